package sender

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/state"
)

// A Webmention delete that fails for a passing reason is retried as a
// delete: never live-checked (the page is gone on purpose), never lost.
func TestSendRetriedDeleteIsDelivered(t *testing.T) {
	w := newWorld(t)
	src, target := w.B("/posts/a/"), w.T("/webmention/1")
	w.page("posts/a/index.html", target)
	w.page("posts/b/index.html")
	now := time.Now()
	clock := func() time.Time { return now }
	w.run(w.cfg(), Options{Now: clock})

	os.RemoveAll(filepath.Join(w.public, "posts", "a"))
	w.mu.Lock()
	w.wmStatus = 503
	w.mu.Unlock()
	if rep := w.run(w.cfg(), Options{Now: clock}); rep.Retry != 1 {
		t.Fatalf("delete during an outage: retry %d, want 1: %+v", rep.Retry, rep.Items)
	}
	w.mu.Lock()
	w.wmStatus = 0
	w.mu.Unlock()
	now = w.notification(src, target).NextAttempt.Add(time.Minute)
	rep := w.run(w.cfg(), Options{Now: clock})
	if rep.Notified != 1 || rep.Deferred != 0 {
		t.Fatalf("retried delete: notified %d, deferred %d: %+v", rep.Notified, rep.Deferred, rep.Items)
	}
	if rep.Items[0].Kind != KindDelete {
		t.Errorf("retried as %q, want %q", rep.Items[0].Kind, KindDelete)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if got := w.webmention[src+" -> "+target]; got != 2 {
		t.Errorf("webmentions delivered %d, want 2 (send, delete)", got)
	}
}

// Only a change of the links re-sends Webmentions: a theme edit that
// touches every page's bytes must not re-send every Webmention of the site.
func TestSendChromeChangeDoesNotResend(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/webmention/1"))
	w.run(w.cfg(), Options{})
	path := filepath.Join(w.public, "posts", "a", "index.html")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), "credits", "credits, new theme", 1)), 0o644)
	rep := w.run(w.cfg(), Options{})
	if rep.Changed != 1 || rep.Notified != 0 || len(rep.Items) != 0 {
		t.Errorf("chrome change: changed %d, notified %d, items %+v; want the page re-read and nothing sent", rep.Changed, rep.Notified, rep.Items)
	}
}

// A notification still waiting (here: its target was down) is not sent once
// the link is gone from the page.
func TestSendRemovedLinkIsNotRetried(t *testing.T) {
	w := newWorld(t)
	flaky := w.T("/flaky/1")
	w.page("posts/a/index.html", flaky)
	now := time.Now()
	clock := func() time.Time { return now }
	if rep := w.run(w.cfg(), Options{Now: clock}); rep.Retry != 1 {
		t.Fatalf("first run: retry %d, want 1", rep.Retry)
	}
	w.page("posts/a/index.html")
	now = now.Add(48 * time.Hour)
	rep := w.run(w.cfg(), Options{Now: clock})
	if len(rep.Items) != 0 {
		t.Errorf("removed link still sent: %+v", rep.Items)
	}
	if n := w.notification(w.B("/posts/a/"), flaky); n.Status != state.StatusSkipped || !strings.Contains(n.LastError, "removed") {
		t.Errorf("removed link: %s (%s), want skipped", n.Status, n.LastError)
	}
	if got := len(w.pinged()); got != 1 {
		t.Errorf("receiver saw %d pings, want only the first attempt", got)
	}
}

// A known site whose pages all vanish (a wrong --public or --base-url) is
// stopped before any Webmention delete, unless --all.
func TestSendFloodGuardOnKnownSite(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < 4; i++ {
		w.page(fmt.Sprintf("posts/%d/index.html", i), w.T(fmt.Sprintf("/webmention/%d", i)))
	}
	cfg := w.cfg()
	cfg.FloodLimit = 2
	w.run(cfg, Options{All: true})
	moved := cfg
	moved.BaseURL = w.blog.URL + "/typo/"
	_, err := w.tryRun(moved, Options{})
	if !errors.Is(err, ErrFlood) || !strings.Contains(err.Error(), "gone from the build") {
		t.Fatalf("mistyped base URL: %v, want the flood guard", err)
	}
	w.mu.Lock()
	deletes := len(w.webmention)
	w.mu.Unlock()
	if deletes != 4 {
		t.Errorf("webmentions %d after the guard, want the 4 first ones only", deletes)
	}
}

// An update is held back while the live page still shows the old version.
func TestSendUpdateWaitsForNewVersion(t *testing.T) {
	w := newWorld(t)
	t1, t2 := w.T("/webmention/1"), w.T("/webmention/2")
	w.page("posts/a/index.html", t1, t2)
	w.run(w.cfg(), Options{})
	// The new build drops t2, but the live site (the blog server, serving
	// the old build dir) still has the old page.
	served := w.public
	w.public = t.TempDir()
	w.page("posts/a/index.html", t1)
	cfg := w.cfg()
	w.public = served
	rep := w.run(cfg, Options{})
	if rep.Deferred != 2 || rep.Notified != 0 {
		t.Errorf("update against the old live page: deferred %d, notified %d; want both held back", rep.Deferred, rep.Notified)
	}
}
