package site

import (
	"errors"
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
	// A caller that reads no links (the receiver) takes data read under any rules.
	if got, err := LoadPages(path, BuildOf(cfg.SiteRoots(), "production")); err != nil || !reflect.DeepEqual(got, pages) {
		t.Errorf("LoadPages for BuildOf = %v, %v; want %v", got, err, pages)
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
		// Another base URL: the built pages have other URLs.
		{"base URL", BuildFor(cfg, "production"), other(func(c *config.Config) { c.BaseURL = "https://staging.example.net/" })},
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

func TestCheckPublished(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "public", "posts", "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "public", "posts", "a", "index.html"), []byte("a"), 0o644)
	os.MkdirAll(filepath.Join(dir, "public", "fr", "ete"), 0o755)
	os.WriteFile(filepath.Join(dir, "public", "fr", "ete", "index.html"), []byte("é"), 0o644)
	os.MkdirAll(filepath.Join(dir, "theme"), 0o755)
	page := func(u string) PageInfo { return PageInfo{URL: u} }
	pages := Pages{"https://b.example/posts/a/": page("https://b.example/posts/a/")}
	public := []config.Root{{Dir: filepath.Join(dir, "public"), BaseURL: "https://b.example/"}}
	tests := []struct {
		name  string
		roots []config.Root
		pages Pages
		ok    bool
	}{
		// The site's own publish dir.
		{"published", public, pages, true},
		// A dir with none of the pages (a theme's, another site's).
		{"other dir", []config.Root{{Dir: filepath.Join(dir, "theme"), BaseURL: "https://b.example/"}}, pages, false},
		// The right dir at another URL: no page lives there.
		{"other base URL", []config.Root{{Dir: filepath.Join(dir, "public"), BaseURL: "https://staging.example/"}}, pages, false},
		// One page found is enough (the others may be new since the build).
		{"one of several", public, Pages{"https://b.example/posts/a/": page("https://b.example/posts/a/"), "https://b.example/new/": page("https://b.example/new/")}, true},
		// A page whose URL path is escaped.
		{"escaped path", []config.Root{{Dir: filepath.Join(dir, "public", "fr"), BaseURL: "https://b.example/fr"}}, Pages{"https://b.example/fr/ete/": page("https://b.example/fr/%C3%A9t%C3%A9/")}, false},
		{"escaped path found", []config.Root{{Dir: filepath.Join(dir, "public", "fr"), BaseURL: "https://b.example/fr"}}, Pages{"x": page("https://b.example/fr/ete/")}, true},
		// No page data, or no publish dir at all: nothing to say here.
		{"no pages", public, Pages{}, true},
		{"no dir", []config.Root{{Dir: filepath.Join(dir, "nope"), BaseURL: "https://b.example/"}}, pages, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPublished(tt.roots, tt.pages, "/my/site")
			if tt.ok != (err == nil) {
				t.Fatalf("CheckPublished = %v, want ok %v", err, tt.ok)
			}
			if err != nil && (!errors.Is(err, ErrNotPublished) || !strings.Contains(err.Error(), tt.roots[0].Dir) || !strings.Contains(err.Error(), "/my/site")) {
				t.Errorf("error %q does not name both dirs or wrap ErrNotPublished", err)
			}
		})
	}
}

// TestPagesFileMatcher: the pages file, read beside a walk, finds for every
// file of the walk what a lookup of all pages by URL finds, on nested
// roots of two languages, with pages the walk lacks and files the site does
// not list (names chosen to sort differently by Rel and by URL); and it
// reads the file a page at a time, in one pass per root.
func TestPagesFileMatcher(t *testing.T) {
	dir := t.TempDir()
	public := filepath.Join(dir, "public")
	fr := filepath.Join(public, "fr")
	roots := []config.Root{{Dir: public, BaseURL: "https://blog.example.net/"}, {Dir: fr, BaseURL: "https://blog.example.net/fr/"}}
	pages := Pages{}
	write := func(root config.Root, rel string, listed bool) {
		p := filepath.Join(root.Dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("<p>x</p>"), 0o644)
		if listed {
			u := pageURL(root.BaseURL, rel)
			pages[u] = PageInfo{URL: u, File: rel, Root: root.Dir, Title: rel, Links: []string{"https://x.example/" + rel}}
		}
	}
	for i, rel := range []string{"a/index.html", "a-b/index.html", "a.html", "a/b/index.html", "é/index.html", "z/index.html", "posts/1/index.html", "posts/10/index.html", "posts/2/index.html", "index.html"} {
		write(roots[0], rel, i%4 != 3)
		write(roots[1], rel, i%3 != 2)
	}
	// Pages the walk does not find: removed since, or under another root.
	pages["https://blog.example.net/gone/"] = PageInfo{URL: "https://blog.example.net/gone/", File: "gone/index.html", Root: public, Links: []string{}}
	pages["https://blog.example.net/fr/gone/"] = PageInfo{URL: "https://blog.example.net/fr/gone/", File: "gone/index.html", Root: fr, Links: []string{}}
	pages["https://blog.example.net/other/"] = PageInfo{URL: "https://blog.example.net/other/", File: "other/index.html", Root: filepath.Join(dir, "elsewhere"), Links: []string{}}

	cfg := config.Default()
	cfg.SiteDir, cfg.BaseURL = dir, "https://blog.example.net/"
	path := filepath.Join(dir, "pages.json")
	b := BuildOf(roots, "production")
	if err := SavePages(path, b, pages); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	filepath.Walk(public, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	pf, err := OpenPages(path, b)
	if err != nil || pf == nil {
		t.Fatalf("OpenPages = %v, %v", pf, err)
	}
	if pf.Len() != len(pages) {
		t.Errorf("Len = %d, want %d", pf.Len(), len(pages))
	}
	stream, byURL := pf.Matcher(), pages.Matcher()
	matched := 0
	err = WalkContents(roots, func(f File, feed bool) error {
		got, gok, err := stream.Match(f)
		if err != nil {
			return err
		}
		want, wok, _ := byURL.Match(f)
		if gok != wok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s (%s): stream %v %+v, by URL %v %+v", f.Rel, f.URL, gok, got, wok, want)
		}
		if gok {
			matched++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	if matched != len(pages)-3 {
		t.Errorf("matched %d pages, want %d", matched, len(pages)-3)
	}

	// Range gives every page.
	n := 0
	if err := pf.Range(func(PageInfo) bool { n++; return true }); err != nil || n != len(pages) {
		t.Errorf("Range: %d pages, %v; want %d", n, err, len(pages))
	}

	// A file out of order (written by hand, or cut and joined) is an error
	// naming it, not a page silently taken for one the site does not list.
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2], lines[3] = lines[3], lines[2]
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	os.Chtimes(path, time.Now(), time.Now())
	m := pf.Matcher()
	err = WalkContents(roots, func(f File, feed bool) error {
		_, _, err := m.Match(f)
		return err
	})
	m.Close()
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("out-of-order pages file: %v", err)
	}

	// A pages file of version 1 (one document) is taken for none.
	os.WriteFile(path, []byte(`{"version":1,"build":{},"pages":[]}`), 0o644)
	if pf, err := OpenPages(path, b); pf != nil || err != nil {
		t.Errorf("version 1 pages file: %v, %v; want nothing", pf, err)
	}
}
