package site

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// TestPagesFile: the page data build records serves a later send only when
// it was read for the same build (environment, publish dirs, no drafts) under
// the same link rules, and no page was built after it.
func TestPagesFile(t *testing.T) {
	dir := t.TempDir()
	public := filepath.Join(dir, "public")
	page := filepath.Join(public, "posts", "a", "index.html")
	os.MkdirAll(filepath.Dir(page), 0o755)
	os.WriteFile(page, []byte("<p>a</p>"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(page, old, old)

	cfg := config.Default()
	cfg.SiteDir, cfg.BaseURL = dir, "https://blog.example.net/"
	cfg = cfg.Resolved()
	pages := Pages{"https://blog.example.net/posts/a/": {
		URL: "https://blog.example.net/posts/a/", File: "posts/a/index.html", Root: public,
		Title: "A", NoReceive: true, Links: []string{"https://x.example/"},
	}}
	path := PagesPath(cfg.Ledger)
	if err := SavePages(path, BuildFor(cfg, "production"), pages); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPages(path, BuildFor(cfg, "production"))
	if err != nil || !reflect.DeepEqual(got, pages) {
		t.Fatalf("LoadPages = %v, %v; want %v", got, err, pages)
	}

	other := func(change func(c *config.Config)) BuildInfo {
		c := cfg
		change(&c)
		return BuildFor(c.Resolved(), "production")
	}
	tests := []struct {
		name  string
		saved BuildInfo
		want  BuildInfo
	}{
		// A preview with drafts never feeds a send.
		{"drafts", func() BuildInfo { b := BuildFor(cfg, "production"); b.Drafts = true; return b }(), BuildFor(cfg, "production")},
		// Another Hugo environment.
		{"environment", BuildFor(cfg, "staging"), BuildFor(cfg, "production")},
		// Another publish dir.
		{"dirs", BuildFor(cfg, "production"), other(func(c *config.Config) { c.PublishDir = filepath.Join(dir, "dist") })},
		// Links read under other opt-outs.
		{"skip rels", BuildFor(cfg, "production"), other(func(c *config.Config) { c.SkipRels = []string{"ugc"} })},
		{"skip classes", BuildFor(cfg, "production"), other(func(c *config.Config) { c.SkipClasses = nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := SavePages(path, tt.saved, pages); err != nil {
				t.Fatal(err)
			}
			if got, err := LoadPages(path, tt.want); got != nil || err != nil {
				t.Errorf("LoadPages = %v, %v; want nothing", got, err)
			}
		})
	}

	// A page built after the pages file makes it stale.
	if err := SavePages(path, BuildFor(cfg, "production"), pages); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(page, later, later)
	if got, err := LoadPages(path, BuildFor(cfg, "production")); got != nil || err != nil {
		t.Errorf("stale pages file: %v, %v; want nothing", got, err)
	}

	// A file that is not ours is an error naming it.
	os.WriteFile(path, []byte("{"), 0o644)
	if _, err := LoadPages(path, BuildFor(cfg, "production")); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt pages file: %v", err)
	}
}

func TestPagesNoReceive(t *testing.T) {
	pages := Pages{
		"https://en.example.net/a/": {URL: "https://en.example.net/a/", File: "a/index.html", Root: "/site/public/en", NoReceive: true},
		"https://fr.example.net/a/": {URL: "https://fr.example.net/a/", File: "a/index.html", Root: "/site/public/fr"},
	}
	want := map[string]bool{filepath.FromSlash("/site/public/en/a/index.html"): true}
	if got := pages.NoReceive(); !reflect.DeepEqual(got, want) {
		t.Errorf("NoReceive = %v, want %v", got, want)
	}
	if got := (Pages{}).NoReceive(); got != nil {
		t.Errorf("NoReceive of no opted-out page = %v", got)
	}
}
