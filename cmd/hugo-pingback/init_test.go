package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIInit runs init as a user would in a TOML site: the dry run prints
// a diff and writes nothing, the run says what it did, a second run says
// there is nothing to change.
func TestCLIInit(t *testing.T) {
	dir := t.TempDir()
	const cfg = "baseURL = \"https://blog.example.net/\"\ntitle = \"T\"\n"
	if err := os.WriteFile(filepath.Join(dir, "hugo.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	out, stderr, code := cli(t, dir, "init", "--github", "--dry-run")
	if code != 0 || !strings.HasPrefix(out, "--- a/hugo.toml\n+++ b/hugo.toml\n@@ -1,2 +1,") || !strings.Contains(out, "+[params.pingback]\n") ||
		!strings.Contains(out, "--- /dev/null\n+++ b/.github/workflows/pages.yml\n") {
		t.Errorf("init --dry-run: exit %d\n%s", code, out)
	}
	if !strings.Contains(stderr, "init: would have added a commented [params.pingback] block to hugo.toml") {
		t.Errorf("init --dry-run does not say what it would do: %s", stderr)
	}
	if read(t, filepath.Join(dir, "hugo.toml")) != cfg {
		t.Error("--dry-run changed hugo.toml")
	}
	if _, err := os.Stat(filepath.Join(dir, ".github")); err == nil {
		t.Error("--dry-run wrote a workflow")
	}

	out, stderr, code = cli(t, dir, "init", "--github")
	if code != 0 || !strings.Contains(out, "init: added a commented [params.pingback] block to hugo.toml\n") || !strings.Contains(out, "init: wrote .github/workflows/pages.yml") {
		t.Errorf("init: exit %d\n%s%s", code, out, stderr)
	}
	if got := read(t, filepath.Join(dir, "hugo.toml")); !strings.HasPrefix(got, cfg+"\n") || !strings.Contains(got, "[params.pingback]") {
		t.Errorf("hugo.toml after init:\n%s", got)
	}

	out, _, code = cli(t, dir, "init", "--github")
	if code != 0 || !strings.Contains(out, "init: nothing to change; the site is set up") {
		t.Errorf("second init: exit %d\n%s", code, out)
	}

	if _, stderr, code := cli(t, t.TempDir(), "init"); code != 1 || !strings.Contains(stderr, "no Hugo config") {
		t.Errorf("init outside a site: exit %d, %s", code, stderr)
	}
}
