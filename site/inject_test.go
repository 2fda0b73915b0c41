package site

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/internal/sitegen"
	"github.com/hugo-pingback/hugo-pingback/renderer"
)

var tags = renderer.Tags{
	Pingback:   "https://webmention.io/example.org/xmlrpc",
	Webmention: "https://webmention.io/example.org/webmention",
}

const page = "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>T</title>\n</head>\n<body><p>x</p></body>\n</html>\n"

// testSite is a small built site with every kind of file Inject meets.
var testSite = map[string]string{
	"index.html":          page,
	"posts/a/index.html":  page,
	"posts/b/index.html":  strings.Replace(page, "<title>", `<link rel="pingback" href="https://old.example/xmlrpc.php"><title>`, 1),
	"404.html":            page,
	"optout/index.html":   page,
	"empty.html":          "",
	"fragment.html":       "<div>a fragment</div>",
	"index.xml":           "<?xml version=\"1.0\"?><rss><channel><link>https://example.org/</link></channel></rss>",
	"css/main.css":        "body{}",
	"img/pingback.svg":    `<svg><link rel="pingback" href="x"/></svg>`,
	"posts/a/notes.txt":   "<html><head></head></html>",
	"legacy/page.HTM":     page,
	"sitemap.xml":         "<urlset/>",
	"_headers":            "/css/*\n  Cache-Control: max-age=31536000\n",
	"posts/b/cover.jpg":   "\xff\xd8\xff\xe0 binary <head>",
	"posts/b/data.json":   `{"html":"<head></head>"}`,
	"fr/index.html":       page,
	"fr/posts/index.html": page,
}

// snapshot records every file's bytes, mode and mtime under dir.
type fileState struct {
	data  string
	mode  fs.FileMode
	mtime time.Time
}

func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	m := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = fileState{string(b), fi.Mode(), fi.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// agedSite writes testSite with old mtimes, so a rewrite shows.
func agedSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, testSite)
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return err
	})
	if err := os.Chmod(filepath.Join(dir, "posts/a/index.html"), 0o640); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInjectSite(t *testing.T) {
	dir := agedSite(t)
	before := snapshot(t, dir)
	roots := []config.Root{{Dir: dir, BaseURL: "https://example.org/"}}
	opts := InjectOptions{Tags: tags, Skip: map[string]bool{"optout/index.html": true}}

	rep, err := Inject(context.Background(), roots, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"404.html", "fr/index.html", "fr/posts/index.html", "index.html", "legacy/page.HTM", "posts/a/index.html", "posts/b/index.html"}
	if rep.Pages != 10 || rep.Changed != 7 || rep.Unchanged != 0 || rep.Skipped != 1 || rep.NotHTML != 2 ||
		!slices.Equal(rep.Files, wantFiles) ||
		!slices.Equal(rep.Replaced, []string{"posts/b/index.html: https://old.example/xmlrpc.php → " + tags.Pingback}) {
		t.Errorf("first run report: %+v", rep)
	}
	after := snapshot(t, dir)
	for rel, b := range before {
		a := after[rel]
		if !slices.Contains(wantFiles, rel) {
			// Non-HTML files, opted-out pages, non-pages and the host
			// files (WriteHostFiles writes those): untouched, not even
			// rewritten.
			if a != b {
				t.Errorf("%s was touched: %+v → %+v", rel, b, a)
			}
			continue
		}
		if a.data == b.data || a.mode != b.mode {
			t.Errorf("%s: want new bytes with mode %v, got mode %v, same bytes %v", rel, b.mode, a.mode, a.data == b.data)
		}
		if !strings.Contains(a.data, renderer.PingbackTag(tags.Pingback, false)) {
			t.Errorf("%s has no pingback tag:\n%s", rel, a.data)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d files before, %d after: temp files left or files lost", len(before), len(after))
	}

	// A second run writes nothing at all.
	rep, err = Inject(context.Background(), roots, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed != 0 || rep.Unchanged != 7 || len(rep.Files) != 0 || len(rep.Replaced) != 0 {
		t.Errorf("second run report: %+v", rep)
	}
	if again := snapshot(t, dir); !mapsEqual(again, after) {
		t.Errorf("second run rewrote files")
	}
}

func mapsEqual(a, b map[string]fileState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestInjectDryRunWritesNothing(t *testing.T) {
	dir := agedSite(t)
	before := snapshot(t, dir)
	roots := []config.Root{{Dir: dir, BaseURL: "https://example.org/"}}
	rep, err := Inject(context.Background(), roots, InjectOptions{Tags: tags, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed != 8 || len(rep.Files) != 8 {
		t.Errorf("dry run report: %+v", rep)
	}
	if after := snapshot(t, dir); !mapsEqual(before, after) {
		t.Errorf("dry run changed the site")
	}
}

func TestInjectMultipleRoots(t *testing.T) {
	dir := agedSite(t)
	roots := []config.Root{
		{Dir: dir, BaseURL: "https://example.org/", Lang: "en"},
		{Dir: filepath.Join(dir, "fr"), BaseURL: "https://example.fr/", Lang: "fr"},
	}
	rep, err := Inject(context.Background(), roots, InjectOptions{Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	frHome := filepath.ToSlash(filepath.Join(dir, "fr", "index.html"))
	if rep.Changed != 8 || !slices.Contains(rep.Files, frHome) {
		t.Errorf("report: %+v", rep)
	}

	// The same root twice: its pages once.
	rep, err = Inject(context.Background(), []config.Root{roots[0], roots[0]}, InjectOptions{Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 10 {
		t.Errorf("repeated root: %d pages, want 10", rep.Pages)
	}
}

func TestInjectErrors(t *testing.T) {
	dir := agedSite(t)
	roots := []config.Root{{Dir: dir}}
	// Nothing to advertise.
	if _, err := Inject(context.Background(), roots, InjectOptions{}); !errors.Is(err, ErrNoTags) {
		t.Errorf("no tags: %v", err)
	}
	// A missing root names itself.
	missing := filepath.Join(dir, "missing")
	if _, err := Inject(context.Background(), []config.Root{{Dir: missing}}, InjectOptions{Tags: tags}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing root: %v", err)
	}
	// An unreadable page names itself (skipped when running as root).
	p := filepath.Join(dir, "posts", "a", "index.html")
	os.Chmod(p, 0)
	if _, err := os.ReadFile(p); err == nil {
		t.Log("running as root: unreadable file case skipped")
	} else if _, err := Inject(context.Background(), roots, InjectOptions{Tags: tags}); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("unreadable page: %v", err)
	}
	os.Chmod(p, 0o644)
	// A cancelled context stops the run.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Inject(ctx, roots, InjectOptions{Tags: tags}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestInjectZeroByteAndNonHTMLUntouched(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"empty.html": "", "x.html": "plain text", "y.xml": page})
	before := snapshot(t, dir)
	rep, err := Inject(context.Background(), []config.Root{{Dir: dir}}, InjectOptions{Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 2 || rep.NotHTML != 2 || rep.Changed != 0 {
		t.Errorf("report: %+v", rep)
	}
	if !mapsEqual(before, snapshot(t, dir)) {
		t.Errorf("files were touched")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "y.xml")); !bytes.Equal(b, []byte(page)) {
		t.Errorf("a non-.html file was changed")
	}
}

// TestInjectSyntheticSite runs Inject over a small synthetic Hugo build
// (posts, lists, alias pages, 404, feeds, CSS) and checks every page with
// a WordPress-style reader: the first rel="pingback" in the file, the next
// href=, up to the quote.
func TestInjectSyntheticSite(t *testing.T) {
	dir := t.TempDir()
	st, err := sitegen.Generate(dir, sitegen.Options{Pages: 20, ListPages: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Inject(context.Background(), []config.Root{{Dir: dir, BaseURL: sitegen.DefaultBaseURL}}, InjectOptions{Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed != rep.Pages || rep.Pages < st.Pages {
		t.Fatalf("report %+v for %d posts", rep, st.Pages)
	}
	err = Walk(config.Root{Dir: dir}, func(f File) error {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			return err
		}
		s := string(b)
		i := strings.Index(s, `rel="pingback"`)
		if i < 0 {
			t.Errorf("%s: no pingback tag", f.Rel)
			return nil
		}
		h := strings.Index(s[i:], "href=")
		end := strings.IndexByte(s[i+h+6:], '"')
		if got := s[i+h+6 : i+h+6+end]; got != tags.Pingback {
			t.Errorf("%s: WordPress would read %q", f.Rel, got)
		}
		if c := strings.Index(s, "<meta charset"); c < 0 || c > i {
			t.Errorf("%s: the tag is not after <meta charset>", f.Rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Inject(context.Background(), []config.Root{{Dir: dir}}, InjectOptions{Tags: tags})
	if err != nil || rep.Changed != 0 {
		t.Errorf("second run: %+v, %v", rep, err)
	}
}

// TestInjectRemovesStaleTemp: the temporary files of a killed run are gone
// after the next inject (a host would deploy them); a dry run leaves them.
func TestInjectRemovesStaleTemp(t *testing.T) {
	dir := agedSite(t)
	stale := filepath.Join(dir, "posts", "a", ".index.html.tmp-2718281828")
	if err := os.WriteFile(stale, []byte("<!doctype html><html><head>"), 0o644); err != nil {
		t.Fatal(err)
	}
	roots := []config.Root{{Dir: dir, BaseURL: "https://example.org/"}}
	rep, err := Inject(context.Background(), roots, InjectOptions{Tags: tags, DryRun: true})
	if _, serr := os.Stat(stale); err != nil || serr != nil || len(rep.Removed) != 0 {
		t.Fatalf("dry run: %v, removed %q, stale file: %v", err, rep.Removed, serr)
	}
	rep, err = Inject(context.Background(), roots, InjectOptions{Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if _, serr := os.Stat(stale); !errors.Is(serr, fs.ErrNotExist) || !slices.Equal(rep.Removed, []string{stale}) || rep.Pages != 10 {
		t.Errorf("stale file: %v; report %d pages, removed %q", serr, rep.Pages, rep.Removed)
	}
}
