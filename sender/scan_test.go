package sender

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// The scan streams the walk into the plan in chunks, and finds the pages
// that left the site by the ledger records it did not see. Over several
// chunks: every page is seen once, a page new in this run is never taken
// for one that left, and the pages removed (the first, one on a chunk
// boundary, the last) are exactly those marked deleted.
func TestScanAcrossChunks(t *testing.T) {
	// Records committed while the scan goes on, as on a large site.
	defer func(n int) { commitEvery = n }(commitEvery)
	commitEvery = 10
	w := newWorld(t)
	const n = 3*chunkPages + 5
	rel := func(i int) string { return fmt.Sprintf("posts/%03d/index.html", i) }
	for i := range n {
		w.page(rel(i), w.T(fmt.Sprintf("/link/%d", i)))
	}
	ledgerPages := func() (live, deleted []string) {
		t.Helper()
		l, err := state.Open(w.ledger, &state.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		pages, err := l.Pages()
		if err != nil {
			t.Fatal(err)
		}
		for url, p := range pages {
			if p.Deleted {
				deleted = append(deleted, url)
			} else {
				live = append(live, url)
			}
		}
		slices.Sort(live)
		slices.Sort(deleted)
		return live, deleted
	}

	rep := w.run(w.cfg(), Options{Mode: ModeBaseline})
	if rep.Pages != n || rep.NewPages != n || rep.Deleted != 0 || rep.Baseline != n {
		t.Fatalf("baseline: %d pages, %d new, %d deleted, %d links recorded; want %d, %d, 0, %d", rep.Pages, rep.NewPages, rep.Deleted, rep.Baseline, n, n, n)
	}
	if live, deleted := ledgerPages(); len(live) != n || len(deleted) != 0 {
		t.Fatalf("after the baseline the ledger has %d pages and %d deleted; want %d and 0", len(live), len(deleted), n)
	}
	if rep := w.run(w.cfg(), Options{}); rep.Unchanged != n || rep.Deleted != 0 || len(rep.Items) != 0 {
		t.Fatalf("re-run: %d unchanged, %d deleted, %d items; want %d, 0, 0", rep.Unchanged, rep.Deleted, len(rep.Items), n)
	}

	// Three pages go, two come (one sorting first, one last).
	gone := []int{0, chunkPages, n - 1}
	for _, i := range gone {
		if err := os.RemoveAll(filepath.Dir(filepath.Join(w.public, filepath.FromSlash(rel(i))))); err != nil {
			t.Fatal(err)
		}
	}
	w.page("a/index.html", w.T("/link/a"))
	w.page("z/index.html", w.T("/link/z"))
	rep = w.run(w.cfg(), Options{All: true})
	if want := n - len(gone) + 2; rep.Pages != want || rep.NewPages != 2 || rep.Unchanged != want-2 || rep.Deleted != len(gone) {
		t.Errorf("after changes: %d pages, %d new, %d unchanged, %d deleted; want %d, 2, %d, %d", rep.Pages, rep.NewPages, rep.Unchanged, rep.Deleted, want, want-2, len(gone))
	}
	var wantDeleted []string
	for _, i := range gone {
		wantDeleted = append(wantDeleted, w.B(fmt.Sprintf("/posts/%03d/", i)))
	}
	if live, deleted := ledgerPages(); !slices.Equal(deleted, wantDeleted) || len(live) != n-len(gone)+2 {
		t.Errorf("ledger: deleted %q, want %q; %d live pages, want %d", deleted, wantDeleted, len(live), n-len(gone)+2)
	}
	if want := []string{w.B("/a/") + " -> " + w.T("/link/a"), w.B("/z/") + " -> " + w.T("/link/z")}; !slices.Equal(w.pinged(), want) {
		t.Errorf("pinged %q, want %q", w.pinged(), want)
	}
}

// A scan that stops early (an error from a page or from the plan) returns
// it at once, on a site larger than the scan's window: the walk, blocked
// on the full window, is cancelled before the scan waits for it.
func TestScanStopsEarly(t *testing.T) {
	w := newWorld(t)
	const n = 4*scanWindow*chunkPages + 1
	for i := range n {
		w.page(fmt.Sprintf("posts/%04d/index.html", i), w.T(fmt.Sprintf("/link/%d", i)))
	}
	s, err := New(w.cfg(), nil, nil, Options{Mode: ModeDryRun})
	if err != nil {
		t.Fatal(err)
	}
	sc := &scanner{s: s, opts: &renderer.Options{}}
	stop := errors.New("stop")
	done := make(chan error, 1)
	go func() {
		done <- sc.run(context.Background(), func(*scannedPage) error { return stop })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, stop) {
			t.Errorf("run = %v, want %v", err, stop)
		}
	case <-time.After(time.Minute): // a hang, not a speed bar
		t.Fatal("the scan did not return after its consumer stopped it")
	}
}
