package sender

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// TestHugoPageData: with the Hugo site's page data laid over the build, a
// page sends exactly the links of its page data that the published file
// carries, as given (they are final: send never resolves or filters them
// again); a link of the rendered content that the file lacks is reported,
// not sent; a built page the Hugo site does not list sends nothing.
func TestHugoPageData(t *testing.T) {
	w := newWorld(t)
	// The published file carries the content link, and a chrome link the
	// content selector would not take; the page data names both, plus a
	// link a theme hid from the file.
	w.page("posts/a/index.html", w.T("/content/1"))
	w.page("posts/unlisted/index.html", w.T("/content/2"))
	pages := site.Pages{
		w.B("/posts/a/"): {
			URL: w.B("/posts/a/"), File: "posts/a/index.html", Root: w.public, Title: "From Hugo",
			Links: []string{w.T("/content/1"), w.T("/footer/credits"), w.T("/hidden/by/theme")},
		},
	}
	cfg := w.cfg()
	cfg.FirstRunMaxAge = 0 // the page has no date: no first-run cut-off here
	rep := w.run(cfg, Options{Mode: ModeDryRun, Pages: pages})

	var planned []string
	for _, it := range rep.Items {
		planned = append(planned, strings.TrimPrefix(it.Source, w.blog.URL)+" -> "+strings.TrimPrefix(it.Target, w.targets.URL))
	}
	slices.Sort(planned)
	if want := []string{"/posts/a/ -> /content/1", "/posts/a/ -> /footer/credits"}; !slices.Equal(planned, want) {
		t.Errorf("planned %q, want %q", planned, want)
	}
	hidden := 0
	for _, warn := range rep.Warnings {
		if strings.Contains(warn, "/hidden/by/theme") && strings.Contains(warn, "not in the published file") {
			hidden++
		}
	}
	if hidden != 1 {
		t.Errorf("warnings %q, want the hidden link reported once", rep.Warnings)
	}
}

// TestHTMLOnlyListPages: without the Hugo site's page data, a page beside
// the RSS feed Hugo writes for every list page (index.xml) is a list, even
// with a single <article> (a tag with one post), and sends nothing; the
// post it lists does.
func TestHTMLOnlyListPages(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/content/1"))
	w.page("tags/one/index.html", w.T("/content/1")) // one <article>, as a term page with one post
	os.WriteFile(filepath.Join(w.public, "tags", "one", "index.xml"), []byte(`<rss version="2.0"><channel></channel></rss>`), 0o644)
	rep := w.run(w.cfg(), Options{Mode: ModeDryRun})
	var sources []string
	for _, it := range rep.Items {
		sources = append(sources, strings.TrimPrefix(it.Source, w.blog.URL))
	}
	if !slices.Equal(sources, []string{"/posts/a/"}) {
		t.Errorf("sources %q, want only the post", sources)
	}
}

// A page Hugo stops listing (made a draft) whose stale file stays in the
// publish dir is marked deleted once, and stays so: later runs count it
// unchanged, and do not bring it back as a new page (which would drop its
// 410 tombstone and count it new every run).
func TestGoneFromHugoStaysDeleted(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/webmention/1"))
	w.page("posts/b/index.html", w.T("/link/2"))
	a, b := w.B("/posts/a/"), w.B("/posts/b/")
	both := site.Pages{
		a: {URL: a, File: "posts/a/index.html", Root: w.public},
		b: {URL: b, File: "posts/b/index.html", Root: w.public},
	}
	cfg := w.cfg()
	cfg.FirstRunMaxAge = 0
	w.run(cfg, Options{Pages: both})
	onlyB := site.Pages{b: both[b]}
	if rep := w.run(cfg, Options{Pages: onlyB}); rep.Deleted != 1 {
		t.Fatalf("a made a draft: deleted %d, want 1", rep.Deleted)
	}
	deleted := func() bool {
		t.Helper()
		l, err := state.Open(w.ledger, &state.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		p, _, err := l.Page(a)
		if err != nil {
			t.Fatal(err)
		}
		return p.Deleted
	}
	if !deleted() {
		t.Fatal("a is not marked deleted")
	}
	rep := w.run(cfg, Options{Pages: onlyB})
	if !deleted() || rep.NewPages != 0 || rep.Deleted != 0 || rep.Unchanged != rep.Pages {
		t.Errorf("next run: a deleted %v; %d new, %d deleted, %d of %d unchanged; want deleted, 0, 0, all", deleted(), rep.NewPages, rep.Deleted, rep.Unchanged, rep.Pages)
	}
}
