package site

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/config"
)

func TestPageURL(t *testing.T) {
	for _, c := range []struct{ base, rel, want string }{
		{"https://example.org/", "index.html", "https://example.org/"},                     // the home page
		{"https://example.org/", "a/b/index.html", "https://example.org/a/b/"},             // a directory page
		{"https://example.org/", "x.html", "https://example.org/x.html"},                   // a plain file
		{"https://example.org", "x.htm", "https://example.org/x.htm"},                      // base without a slash
		{"https://example.org/blog/", "a/index.html", "https://example.org/blog/a/"},       // base with a path
		{"https://example.org/", "a b/index.html", "https://example.org/a%20b/"},           // escaped space
		{"https://example.org/", "café/index.html", "https://example.org/caf%C3%A9/"},      // non-ASCII escaped
		{"https://example.org/", "a/index.htm", "https://example.org/a/index.htm"},         // only index.html is a directory index
		{"https://example.org/", "fr/404.html", "https://example.org/fr/404.html"},         // a language's 404
		{"", "a/b/index.html", "a/b/"},                                                     // no base: the relative path
		{"https://example.org/", "myindex.html", "https://example.org/myindex.html"},       // not an index
		{"https://example.org/", "a/b/c.html?x", "https://example.org/a/b/c.html%3Fx"},     // '?' in a file name is escaped
		{"https://example.org/", "a/INDEX.html", "https://example.org/a/INDEX.html"},       // index matching is exact
		{"http://localhost:1313/", "posts/p/index.html", "http://localhost:1313/posts/p/"}, // a port
	} {
		if got := pageURL(c.base, c.rel); got != c.want {
			t.Errorf("pageURL(%q, %q) = %q, want %q", c.base, c.rel, got, c.want)
		}
	}
}

// pageURL skips url.URL for paths that need no escaping: every byte
// either way gives what EscapedPath gives.
func TestPageURLEscapes(t *testing.T) {
	for b := 1; b < 256; b++ {
		rel := "a" + string(rune(b)) + "b/x.html"
		if b >= 0x80 {
			rel = "a" + string([]byte{byte(b)}) + "b/x.html"
		}
		want := "https://example.org/" + (&url.URL{Path: rel}).EscapedPath()
		if got := pageURL("https://example.org/", rel); got != want {
			t.Errorf("pageURL(%q) = %q, want %q", rel, got, want)
		}
	}
}

func TestSkipReason(t *testing.T) {
	for _, c := range []struct{ rel, want string }{
		{"404.html", "404 page"},        // Hugo's root 404
		{"fr/404.html", "404 page"},     // a language's 404
		{"posts/404/index.html", ""},    // a post about 404s
		{"posts/a/index.html", ""},      // an ordinary page
		{"404.htm", ""},                 // Hugo never writes this name
		{"errors/404.HTML", "404 page"}, // case does not hide it
	} {
		if got := SkipReason(c.rel); got != c.want {
			t.Errorf("SkipReason(%q) = %q, want %q", c.rel, got, c.want)
		}
	}
}

// writeTree creates files (slash paths → content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func walkRels(t *testing.T, root config.Root) []File {
	t.Helper()
	var got []File
	if err := Walk(root, func(f File) error { got = append(got, f); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"index.html":            "home",
		"a.html":                "a",
		"a/index.html":          "a dir",
		"b/c/UPPER.HTML":        "upper",
		"old.htm":               "htm",
		"index.xml":             "feed",
		"css/main.css":          "css",
		"img/x.png":             "png",
		"posts/p/index.html":    "post",
		"posts/p/notes.html.gz": "gz",
	})
	// A link to a page, and a link loop: neither is followed.
	if err := os.Symlink(filepath.Join(dir, "a.html"), filepath.Join(dir, "link.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "posts", "loop")); err != nil {
		t.Fatal(err)
	}
	root := config.Root{Dir: dir, BaseURL: "https://example.org/"}
	var rels, urls []string
	for _, f := range walkRels(t, root) {
		rels = append(rels, f.Rel)
		urls = append(urls, f.URL)
		if f.Path != filepath.Join(dir, filepath.FromSlash(f.Rel)) || f.Root != root {
			t.Errorf("file %+v: wrong Path or Root", f)
		}
	}
	wantRels := []string{"a.html", "a/index.html", "b/c/UPPER.HTML", "index.html", "old.htm", "posts/p/index.html"}
	wantURLs := []string{
		"https://example.org/a.html", "https://example.org/a/", "https://example.org/b/c/UPPER.HTML",
		"https://example.org/", "https://example.org/old.htm", "https://example.org/posts/p/",
	}
	if !slices.Equal(rels, wantRels) || !slices.Equal(urls, wantURLs) {
		t.Errorf("Walk found\n %q %q\nwant\n %q %q", rels, urls, wantRels, wantURLs)
	}

	// The root itself may be a link.
	link := filepath.Join(t.TempDir(), "public")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if got := walkRels(t, config.Root{Dir: link}); len(got) != len(wantRels) || got[0].Path != filepath.Join(link, "a.html") {
		t.Errorf("Walk through a linked root: %+v", got)
	}

	// A missing root is an error naming it; so is a file.
	missing := filepath.Join(dir, "nope")
	err := Walk(config.Root{Dir: missing}, func(File) error { return nil })
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Walk(missing) = %v", err)
	}
	err = Walk(config.Root{Dir: filepath.Join(dir, "a.html")}, func(File) error { return nil })
	if !errors.Is(err, ErrNotDir) {
		t.Errorf("Walk(file) = %v, want ErrNotDir", err)
	}
	// An error from fn stops the walk and comes back as is.
	stop := errors.New("stop")
	n := 0
	if err := Walk(root, func(File) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Walk with failing fn: err %v after %d calls", err, n)
	}
}

func TestWalkRootsNested(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"index.html":       "en home",
		"posts/index.html": "en posts",
		"fr/index.html":    "fr home",
		"fr/a/index.html":  "fr a",
	})
	roots := []config.Root{
		{Dir: dir, BaseURL: "https://example.org/", Lang: "en"},
		{Dir: filepath.Join(dir, "fr"), BaseURL: "https://example.fr/", Lang: "fr"},
	}
	var got []string
	files, _, err := listRoots(roots, isHTML, false)
	for _, f := range files {
		got = append(got, f.Root.Lang+" "+f.URL)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"en https://example.org/", "en https://example.org/posts/", "fr https://example.fr/a/", "fr https://example.fr/"}
	if !slices.Equal(got, want) {
		t.Errorf("listRoots = %q, want %q", got, want)
	}
	// The same directory twice is walked once.
	got = nil
	files, _, err = listRoots(append(roots, roots[1]), isHTML, false)
	for _, f := range files {
		got = append(got, f.Root.Lang+" "+f.URL)
	}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("listRoots with a repeated root = %q, %v", got, err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "page.html")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("new bytes")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new bytes" || fi.Mode().Perm() != 0o600 {
		t.Errorf("after write: %q mode %v, want \"new bytes\" mode 0600", b, fi.Mode().Perm())
	}
	// A new file gets 0644 (before umask).
	q := filepath.Join(dir, "_headers")
	if err := WriteFileAtomic(q, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(q); fi.Mode().Perm()&0o600 != 0o600 || fi.Mode().Perm()&0o111 != 0 {
		t.Errorf("new file mode %v", fi.Mode().Perm())
	}
	// A directory in the way is an error naming the path; nothing is left behind.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(sub, []byte("x")); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("WriteFileAtomic(dir) = %v", err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"_headers", "page.html", "sub"}) {
		t.Errorf("directory holds %q: a temp file was left behind", names)
	}
	// A missing directory is an error naming the path.
	if err := WriteFileAtomic(filepath.Join(dir, "nope", "x.html"), nil); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFileAtomic(missing dir) = %v", err)
	}
}

func TestIsStaleTemp(t *testing.T) {
	// The names WriteFileAtomic really gives its temporary files.
	dir := t.TempDir()
	for _, base := range []string{"index.html", "page.HTM", "_headers", "_redirects"} {
		f, err := os.CreateTemp(dir, fmt.Sprintf(tempPattern, base))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if name := filepath.Base(f.Name()); !isStaleTemp(name) {
			t.Errorf("isStaleTemp(%q) = false for a temporary file of %s", name, base)
		}
	}
	for _, c := range []struct {
		name string
		want bool
	}{
		{".index.html.tmp-123456", true},            // a page's
		{"._headers.tmp-9", true},                   // the host files'
		{"._redirects.tmp-42", true},                //
		{".a.b.html.tmp-1", true},                   // a page name with dots
		{"index.html.tmp-123", false},               // no leading dot: not ours
		{".index.html.tmp-", false},                 // no digits
		{".index.html.tmp-12a", false},              // not only digits
		{".notes.txt.tmp-1", false},                 // not a file we write
		{".tmp-1", false},                           // no name
		{".pages.json.tmp-1", false},                // ours, but never in a publish dir
		{".index.html.tmp-1.swp", false},            // an editor's
		{"post.html", false},                        // a page
		{".hugo_build.lock", false},                 // Hugo's
		{"._headers.tmp-1/index.html", false},       // a path, not a name
		{".index.html.tmp-00000000000000001", true}, // any number of digits
	} {
		if got := isStaleTemp(c.name); got != c.want {
			t.Errorf("isStaleTemp(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSweep: the temporary files a killed run left are removed, everything
// else stays, and the pages are counted as Inject counts them.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	files := map[string]bool{ // path -> kept
		"index.html":                      true,
		"posts/a/index.html":              true,
		"posts/a/.index.html.tmp-3141":    false,
		"._headers.tmp-27":                false,
		"fr/.index.html.tmp-1":            false,
		"fr/index.html":                   true,
		"notes/.draft.txt.tmp-1":          true, // not ours
		"notes/index.html.tmp-1":          true, // not ours
		".well-known/.index.html.tmp-one": true, // not ours
	}
	for rel := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	roots := []config.Root{{Dir: dir, BaseURL: "https://example.org/"}, {Dir: filepath.Join(dir, "fr"), BaseURL: "https://example.org/fr/"}}
	rep, err := Sweep(roots)
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, p := range rep.Removed {
		rel, _ := filepath.Rel(dir, p)
		removed = append(removed, filepath.ToSlash(rel))
	}
	slices.Sort(removed)
	if want := []string{"._headers.tmp-27", "fr/.index.html.tmp-1", "posts/a/.index.html.tmp-3141"}; !slices.Equal(removed, want) || rep.Pages != 3 {
		t.Errorf("Sweep: %d pages, removed %q; want 3 and %q", rep.Pages, removed, want)
	}
	for rel, kept := range files {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		if kept != (err == nil) {
			t.Errorf("%s: kept %v, want %v", rel, err == nil, kept)
		}
	}
}

// TestContents: one walk gives the pages and the feeds; a page beside the
// RSS feed Hugo writes for every list page knows it is a list.
func TestWalkContents(t *testing.T) {
	dir := t.TempDir()
	for _, rel := range []string{
		"index.html", "index.xml", // the home page and its feed
		"tags/go/index.html", "tags/go/index.xml", // a term page
		"posts/a/index.html",                 // a post: no feed beside it
		"notes/index.html", "notes/feed.xml", // another generator's feed name: not Hugo's list
		"about.html", "index.htm", // not index.html
		"fr/index.html", "fr/index.xml", // a nested root's home page
		"sitemap.xml",                              // not a feed
		"a-b/index.html", "a.html", "a/index.html", // a directory sorts as its name and '/'
	} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	roots := []config.Root{{Dir: dir, BaseURL: "https://example.org/"}, {Dir: filepath.Join(dir, "fr"), BaseURL: "https://example.org/fr/"}}
	var pages, feeds []File
	err := WalkContents(roots, func(f File, feed bool) error {
		if feed {
			feeds = append(feeds, f)
		} else {
			pages = append(pages, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{}
	var order []string
	for _, p := range pages {
		lists[p.URL] = p.ListFeed
		order = append(order, p.Root.BaseURL+p.Rel)
	}
	want := map[string]string{
		"https://example.org/":           "index.xml",
		"https://example.org/tags/go/":   "tags/go/index.xml",
		"https://example.org/posts/a/":   "",
		"https://example.org/notes/":     "",
		"https://example.org/about.html": "",
		"https://example.org/index.htm":  "",
		"https://example.org/fr/":        "index.xml",
		"https://example.org/a-b/":       "",
		"https://example.org/a.html":     "",
		"https://example.org/a/":         "",
	}
	if !reflect.DeepEqual(lists, want) {
		t.Errorf("pages and their list feeds:\n got %v\nwant %v", lists, want)
	}
	// Root by root, each in sorted Rel order, as the walk found them.
	wantOrder := []string{
		"https://example.org/a-b/index.html", "https://example.org/a.html", "https://example.org/a/index.html",
		"https://example.org/about.html", "https://example.org/index.htm", "https://example.org/index.html",
		"https://example.org/notes/index.html", "https://example.org/posts/a/index.html", "https://example.org/tags/go/index.html",
		"https://example.org/fr/index.html",
	}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("pages in the order\n %q\nwant\n %q", order, wantOrder)
	}
	var feedRels []string
	for _, f := range feeds {
		feedRels = append(feedRels, f.Root.BaseURL+f.Rel)
	}
	if wantFeeds := []string{"https://example.org/index.xml", "https://example.org/notes/feed.xml", "https://example.org/tags/go/index.xml", "https://example.org/fr/index.xml"}; !slices.Equal(feedRels, wantFeeds) {
		t.Errorf("feeds %q, want %q", feedRels, wantFeeds)
	}
	// An error from fn stops the walk and comes back as is.
	stop := errors.New("stop")
	if err := WalkContents(roots, func(File, bool) error { return stop }); err != stop {
		t.Errorf("WalkContents with failing fn = %v", err)
	}
}

// TestWalkOrder checks the walk's order against a sort of every Rel, on
// names chosen to sort differently by name than by path.
func TestWalkOrder(t *testing.T) {
	dir := t.TempDir()
	var rels []string
	for _, rel := range []string{
		"a/index.html", "a.html", "a-b/index.html", "a b/x.html", "a/b/c.html", "a/b.html", "a/b-c/index.html",
		"ab/index.html", "a0.html", "A/index.html", "é/index.html", "z.htm", "a/.hidden.html", "a/b/c/d/e.html",
	} {
		rels = append(rels, rel)
		writeTree(t, dir, map[string]string{rel: "x"})
	}
	slices.Sort(rels)
	var got []string
	if err := Walk(config.Root{Dir: dir}, func(f File) error { got = append(got, f.Rel); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, rels) {
		t.Errorf("Walk order\n %q\nwant (sorted)\n %q", got, rels)
	}
}
