package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// copyExampleSite copies the bundled example-site (sources only) into a
// temp dir, so tests build and send in a site of their own.
func copyExampleSite(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	copyExampleSiteTo(t, dst)
	return dst
}

// copyExampleSiteTo copies example-site's sources into dst.
func copyExampleSiteTo(t interface{ Fatalf(string, ...any) }, dst string) {
	src, err := filepath.Abs(filepath.Join("..", "..", "example-site"))
	if err != nil {
		t.Fatalf("%v", err)
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		if top == "public" || top == ".hugo-pingback" || top == "resources" || top == ".hugo_build.lock" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy example-site: %v", err)
	}
}

type planJSON struct {
	Pages    int `json:"pages"`
	Planned  int `json:"planned"`
	Excluded int `json:"excluded"`
	Items    []struct {
		Source, Target, Status string
	} `json:"items"`
	Warnings []string `json:"warnings"`
}

// dryRunPlan is the plan of a first send, without the first-run cut-off
// (example-site's posts are old): which links would send.
func dryRunPlan(t *testing.T, dir string, args ...string) planJSON {
	t.Helper()
	out, stderr, code := cli(t, dir, append([]string{"send", "--dry-run", "--json", "--first-run-max-age", "0"}, args...)...)
	if code != 0 {
		t.Fatalf("send --dry-run: exit %d: %s", code, stderr)
	}
	var p planJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("send --dry-run --json: %v\n%s", err, out)
	}
	return p
}

func pairs(p planJSON) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, strings.TrimPrefix(it.Source, "https://blog.example.net")+" -> "+it.Target)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCLIProductionGuard: a preview must never ping the web.
func TestCLIProductionGuard(t *testing.T) {
	dir := copyExampleSite(t)
	if _, stderr, code := cli(t, dir, "build"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	// A non-production environment is refused before any request.
	_, stderr, code := cli(t, dir, "send", "--environment", "development")
	if code != 1 || !strings.Contains(stderr, `environment "development"`) {
		t.Errorf("development environment: exit %d: %s", code, stderr)
	}
	// A placeholder baseURL is refused too.
	cfg := filepath.Join(dir, "hugo.toml")
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(data), `baseURL = "https://blog.example.net/"`, `baseURL = "http://localhost:1313/"`, 1)), 0o644)
	_, stderr, code = cli(t, dir, "send")
	if code != 1 || !strings.Contains(stderr, "placeholder") {
		t.Errorf("placeholder baseURL: exit %d: %s", code, stderr)
	}
	// --dry-run makes no request, so it is allowed.
	if _, stderr, code := cli(t, dir, "send", "--dry-run"); code != 0 {
		t.Errorf("dry run under the guard: exit %d: %s", code, stderr)
	}
	// An explicit --base-url lifts the placeholder check, never the environment's.
	_, stderr, code = cli(t, dir, "send", "--environment", "staging", "--base-url", "https://blog.example.net/")
	if code != 1 || !strings.Contains(stderr, `environment "staging"`) {
		t.Errorf("--base-url with a staging environment: exit %d: %s", code, stderr)
	}
}

// TestCLIPreviewBuildNeverFeedsSend: the page data of a build with drafts is
// never used by send, so a draft can never ping.
func TestCLIPreviewBuildNeverFeedsSend(t *testing.T) {
	dir := copyExampleSite(t)
	if _, stderr, code := cli(t, dir, "build", "--buildDrafts"); code != 0 {
		t.Fatalf("build --buildDrafts: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "posts", "draft", "index.html")); err != nil {
		t.Fatalf("the preview build has no draft page: %v", err)
	}
	for _, p := range pairs(dryRunPlan(t, dir)) {
		if strings.HasPrefix(p, "/posts/draft/") {
			t.Errorf("draft planned after a preview build: %s", p)
		}
	}
}

// TestCLIInjectTombstones: inject writes the 410 rules of deleted pages
// before the deploy, so they ship with the build that lost the pages.
func TestCLIInjectTombstones(t *testing.T) {
	dir := copyExampleSite(t)
	if _, stderr, code := cli(t, dir, "build"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	if _, stderr, code := cli(t, dir, "send", "--baseline"); code != 0 {
		t.Fatalf("baseline: %s", stderr)
	}
	os.Remove(filepath.Join(dir, "content", "posts", "shortcodes.md"))
	os.RemoveAll(filepath.Join(dir, "public"))
	if _, stderr, code := cli(t, dir, "build"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	if _, stderr, code := cli(t, dir, "send", "--baseline"); code != 0 { // records the deletion
		t.Fatalf("baseline: %s", stderr)
	}
	out, stderr, code := cli(t, dir, "inject", "--tombstones")
	if code != 0 || !strings.Contains(out, "tombstones") {
		t.Fatalf("inject --tombstones: exit %d\n%s%s", code, out, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "public", "_redirects"))
	if err != nil || !strings.Contains(string(data), "/posts/shortcodes/ /404.html 410") {
		t.Errorf("_redirects: %v\n%s", err, data)
	}
}

// TestCLIFallsBackToPublic: a site the embedded Hugo cannot load (here, a
// theme that is not there) is reported once, and send reads public/.
func TestCLIFallsBackToPublic(t *testing.T) {
	dir := copyExampleSite(t)
	if _, stderr, code := cli(t, dir, "build"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	os.RemoveAll(filepath.Join(dir, ".hugo-pingback"))
	cfg := filepath.Join(dir, "hugo.toml")
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append([]byte("theme = \"needs-a-newer-hugo\"\n"), data...), 0o644)
	// Its [params.pingback] still holds, read from the config files: here
	// one more exclusion, in config/_default/params.toml (as many sites
	// keep their params), which replaces hugo.toml's list as with hugo.
	os.MkdirAll(filepath.Join(dir, "config", "_default"), 0o755)
	os.WriteFile(filepath.Join(dir, "config", "_default", "params.toml"), []byte("[pingback]\nexclude = [\"private.example/*\", \"talks.example.org\"]\n"), 0o644)

	out, stderr, code := cli(t, dir, "send", "--dry-run", "--json")
	if code != 0 {
		t.Fatalf("send with an unloadable site: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "cannot load the Hugo site"); n != 1 {
		t.Errorf("want the fallback said once, got %d times:\n%s", n, stderr)
	}
	var plan planJSON
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatal(err)
	}
	got := pairs(plan)
	if !contains(got, "/posts/hello-world/ -> https://example.com/articles/static-blogs") {
		t.Errorf("fallback plan misses a content link: %v", got)
	}
	for _, p := range got {
		if strings.Contains(p, "git.example.com") {
			t.Errorf("fallback plan has a nav link: %s", p)
		}
	}
	// The site's [params.pingback] holds: excluded by hugo.toml
	// (private.example) and by config/_default/params.toml
	// (talks.example.org); every page at the config's baseURL.
	for _, it := range plan.Items {
		excluded := strings.Contains(it.Target, "private.example") || strings.Contains(it.Target, "talks.example.org")
		if excluded && it.Status != "skipped" {
			t.Errorf("fallback plan: %s -> %s %s, want it excluded by the site's [params.pingback]", it.Source, it.Target, it.Status)
		}
		if !strings.HasPrefix(it.Source, "https://blog.example.net/") {
			t.Errorf("fallback plan: source %s, not at the config's baseURL", it.Source)
		}
	}
	if plan.Excluded < 2 {
		t.Errorf("fallback plan excluded %d links, want the two the site excludes", plan.Excluded)
	}
}

// TestCLISendRulesOverBuild: page data is read with the link rules of the
// command that uses it: a send whose --skip-rel differs from the build's
// does not take the build's links, which were read under other rules.
func TestCLISendRulesOverBuild(t *testing.T) {
	dir := copyExampleSite(t)
	if _, stderr, code := cli(t, dir, "build"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	const sponsored = "/posts/second-post/ -> https://shop.example/widget"
	if got := pairs(dryRunPlan(t, dir)); contains(got, sponsored) {
		t.Errorf("rel=sponsored link planned under the default rules: %v", got)
	}
	if got := pairs(dryRunPlan(t, dir, "--skip-rel", "ugc")); !contains(got, sponsored) {
		t.Errorf("with --skip-rel ugc the rel=sponsored link is not planned: %v", got)
	}
}

// TestCLIHostFilesOneWriter: build --headers and inject --headers write the
// same _headers for the same site (a multihost site: one file per host) and
// both report the user's own rule that sets a header hugo-pingback writes.
func TestCLIHostFilesOneWriter(t *testing.T) {
	const conflict = "X-Pingback: https://old.example/xmlrpc.php"
	newSite := func() string {
		dir := copyExampleSite(t)
		f, err := os.OpenFile(filepath.Join(dir, "hugo.toml"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("\n[languages.en]\nbaseURL = \"https://blog.example.net/\"\nweight = 1\n[languages.fr]\nbaseURL = \"https://blog.example.fr/\"\nweight = 2\n")
		f.Close()
		os.WriteFile(filepath.Join(dir, "static", "_headers"), []byte("/*\n  "+conflict+"\n"), 0o644)
		return dir
	}
	headers := func(dir, stdout string) map[string]string {
		files := map[string]string{}
		filepath.WalkDir(filepath.Join(dir, "public"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == "_headers" {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(dir, p)
				files[filepath.ToSlash(rel)] = string(b)
			}
			return err
		})
		if n := strings.Count(stdout, "warning: ") - strings.Count(stdout, "warning: params."); n != 2 || strings.Count(stdout, conflict) != 2 {
			t.Errorf("want the conflicting rule of each host's _headers reported:\n%s", stdout)
		}
		return files
	}

	built := newSite()
	out, stderr, code := cli(t, built, "build", "--headers")
	if code != 0 {
		t.Fatalf("build --headers: exit %d\n%s%s", code, out, stderr)
	}
	fromBuild := headers(built, out)

	injected := newSite()
	if out, stderr, code := cli(t, injected, "build", "--no-inject"); code != 0 {
		t.Fatalf("build --no-inject: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = cli(t, injected, "inject", "--headers")
	if code != 0 {
		t.Fatalf("inject --headers: exit %d\n%s%s", code, out, stderr)
	}
	fromInject := headers(injected, out)

	if len(fromBuild) != 2 || !reflect.DeepEqual(fromBuild, fromInject) {
		t.Errorf("_headers differ:\nbuild:  %q\ninject: %q", fromBuild, fromInject)
	}
	for f, h := range fromBuild {
		if !strings.HasPrefix(h, "/*\n  "+conflict+"\n") || !strings.Contains(h, "X-Pingback: https://webmention.io/blog.example.net/xmlrpc") {
			t.Errorf("%s:\n%s", f, h)
		}
	}
}

// TestCLIBuildRemovesStaleTemp: build, like inject, removes the temporary
// files a killed run left in the publish dir, so they never ship.
func TestCLIBuildRemovesStaleTemp(t *testing.T) {
	dir := copyExampleSite(t)
	if _, stderr, code := cli(t, dir, "build"); code != 0 {
		t.Fatalf("build: %s", stderr)
	}
	stale := filepath.Join(dir, "public", "posts", "hello-world", ".index.html.tmp-1618033988")
	os.WriteFile(stale, []byte("<html><head>"), 0o644)
	out, stderr, code := cli(t, dir, "build")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) || !strings.Contains(out, "removed "+stale) {
		t.Errorf("stale temporary file: %v\n%s", err, out)
	}
}
