package sender

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// dated is the Hugo site's page data of the world's pages, with their dates.
func (w *world) dated(published map[string]time.Time) site.Pages {
	pages := site.Pages{}
	for rel, t := range published {
		u := w.B("/" + strings.TrimSuffix(rel, "index.html"))
		pages[u] = PageInfo{URL: u, File: rel, Root: w.public, Published: t}
	}
	return pages
}

// Losing the ledger is harmless on a site with page dates: a first run
// records the links of pages published before firstRunMaxAge as handled,
// sends those of newer pages, and says so; later runs send every new link.
func TestSendFirstRunBaselinesOldPages(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	w := newWorld(t)
	w.page("posts/old/index.html", w.T("/link/old"))
	w.page("posts/undated/index.html", w.T("/link/undated"))
	w.page("posts/new/index.html", w.T("/link/new"))
	pages := w.dated(map[string]time.Time{
		"posts/old/index.html":     now.AddDate(0, 0, -100),
		"posts/undated/index.html": {}, // no date: cannot be shown to be new
		"posts/new/index.html":     now.AddDate(0, 0, -2),
	})

	rep := w.run(w.cfg(), Options{Now: clock, Pages: pages})
	if want := []string{w.B("/posts/new/") + " -> " + w.T("/link/new")}; !slices.Equal(w.pinged(), want) {
		t.Fatalf("first run pinged %v, want only the new page's link %v", w.pinged(), want)
	}
	f := rep.FirstRun
	if f == nil || f.Links != 2 || f.Pages != 2 || !f.Cutoff.Equal(now.AddDate(0, 0, -14)) || f.MaxAge != "14d" {
		t.Fatalf("first run report %+v, want 2 links on 2 pages before %s", f, now.AddDate(0, 0, -14))
	}
	var out strings.Builder
	rep.Summary(&out)
	if !strings.Contains(out.String(), "first run (no run recorded in the ledger): 2 links on 2 pages published before 2026-11-13 recorded as handled") {
		t.Errorf("the summary does not say what the first run did:\n%s", out.String())
	}
	if n := w.notification(w.B("/posts/old/"), w.T("/link/old")); n.Status != state.StatusBaseline || !strings.Contains(n.LastError, "firstRunMaxAge") {
		t.Errorf("old page's link: %s (%s), want baseline naming firstRunMaxAge", n.Status, n.LastError)
	}

	// A later run is no first run: a new link on an old page sends.
	w.page("posts/old/index.html", w.T("/link/old"), w.T("/link/old-2"))
	rep = w.run(w.cfg(), Options{Now: clock, Pages: pages})
	if rep.FirstRun != nil || rep.Notified != 1 {
		t.Errorf("second run: first run %+v, notified %d; want no cut-off and the new link sent", rep.FirstRun, rep.Notified)
	}
}

// The cut-off leaves the flood guard standing for the newer pages, and
// --all sends everything, old pages included.
func TestSendFirstRunCutoffAndGuard(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	w := newWorld(t)
	published := map[string]time.Time{}
	for i := range 4 {
		rel := fmt.Sprintf("posts/%d/index.html", i)
		w.page(rel, w.T(fmt.Sprintf("/link/%d", i)))
		published[rel] = now.AddDate(0, 0, -i) // all recent
	}
	w.page("posts/old/index.html", w.T("/link/old"))
	published["posts/old/index.html"] = now.AddDate(-1, 0, 0)
	pages := w.dated(published)
	cfg := w.cfg()
	cfg.FloodLimit = 3
	if _, err := w.tryRun(cfg, Options{Now: clock, Pages: pages}); !errors.Is(err, ErrFlood) {
		t.Fatalf("4 recent pages over a flood limit of 3: %v, want the guard", err)
	}
	rep := w.run(cfg, Options{Now: clock, Pages: pages, All: true})
	if rep.Notified != 5 || rep.FirstRun != nil {
		t.Errorf("--all: notified %d, first run %+v; want all 5 and no cut-off", rep.Notified, rep.FirstRun)
	}
}
