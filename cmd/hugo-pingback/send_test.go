package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A dry run on a placeholder baseURL plans URLs that can never be live: it
// says so, and --verbose names each content link that is not notified.
func TestCLIDryRunWarnsPlaceholderAndNamesSkippedLinks(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "public", "posts", "a", "index.html")
	if err := os.MkdirAll(filepath.Dir(page), 0o755); err != nil {
		t.Fatal(err)
	}
	html := `<!doctype html><html><head><title>t</title></head><body><article>
<a href="https://target.example/ok">sent</a> <a rel="sponsored" href="https://target.example/ad">ad</a>
</article></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		base        string
		placeholder bool
	}{
		{"https://example.org/", true},       // the placeholder of many themes
		{"http://localhost:1313/", true},     // hugo server's
		{"https://blog.example.net/", false}, // a real-looking one
	} {
		out, stderr, code := cli(t, dir, "send", "--site", dir, "--base-url", c.base, "--dry-run", "--verbose")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.base, code, stderr)
		}
		if got := strings.Contains(out, "is a placeholder"); got != c.placeholder {
			t.Errorf("%s: placeholder warning %v, want %v:\n%s", c.base, got, c.placeholder, out)
		}
		if !strings.Contains(out, "https://target.example/ad: rel=sponsored") {
			t.Errorf("%s: --verbose does not name the skipped link:\n%s", c.base, out)
		}
	}
}
