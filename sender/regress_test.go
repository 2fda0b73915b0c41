package sender

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// faultyLedger is a real ledger whose reads fail where a test says, with
// an error worded as package state words its own ("read ledger FILE: ...").
type faultyLedger struct {
	*state.Ledger
	failDiscovery, failPage, failNotificationsFor bool
}

func (f *faultyLedger) fault(what string) error {
	return fmt.Errorf("read ledger %s: %w: %s: bad page header", f.Path(), state.ErrCorrupt, what)
}

func (f *faultyLedger) Discovery(target string, now time.Time) (state.Discovery, bool, error) {
	if f.failDiscovery {
		return state.Discovery{}, false, f.fault("discovery " + target)
	}
	return f.Ledger.Discovery(target, now)
}

func (f *faultyLedger) Page(url string) (state.Page, bool, error) {
	if f.failPage {
		return state.Page{}, false, f.fault("page " + url)
	}
	return f.Ledger.Page(url)
}

func (f *faultyLedger) NotificationsFor(source string) ([]state.Notification, error) {
	if f.failNotificationsFor {
		return nil, f.fault("notifications of " + source)
	}
	return f.Ledger.NotificationsFor(source)
}

// runFaulty performs one send whose ledger fails as f says.
func (w *world) runFaulty(cfg config.Config, opts Options, f faultyLedger) (*Report, error) {
	return w.tryRunWith(cfg, opts, func(l *state.Ledger) ledger {
		f.Ledger = l
		return &f
	})
}

// A ledger that cannot be read stops the run with the ledger's error, said
// once: the cached discovery and the links of a page sending a retry were
// once read with their errors dropped (and the target fetched and pinged as
// if nothing was known), and errors repeated their prefix ("read ledger X:
// read ledger X: ...").
func TestSendLedgerReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault faultyLedger
		// setup runs before the faulty run; it returns the clock of that run.
		setup func(w *world) time.Time
	}{
		{
			// The discovery cache of a new link.
			name:  "discovery",
			fault: faultyLedger{failDiscovery: true},
			setup: func(w *world) time.Time {
				w.page("posts/a/index.html", w.T("/link/1"))
				return time.Now()
			},
		},
		{
			// The links of an unchanged page whose notification is retried.
			name:  "page of a retry",
			fault: faultyLedger{failPage: true},
			setup: func(w *world) time.Time {
				w.page("posts/a/index.html", w.T("/flaky/1"))
				now := time.Now()
				w.run(w.cfg(), Options{Now: func() time.Time { return now }})
				return now.Add(48 * time.Hour)
			},
		},
		{
			// The notifications of a changed page.
			name:  "notifications of a page",
			fault: faultyLedger{failNotificationsFor: true},
			setup: func(w *world) time.Time {
				w.page("posts/a/index.html", w.T("/link/1"))
				now := time.Now()
				w.run(w.cfg(), Options{Now: func() time.Time { return now }})
				w.page("posts/a/index.html", w.T("/link/1"), w.T("/link/2"))
				return now
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			now := tt.setup(w)
			before := len(w.pinged())
			_, err := w.runFaulty(w.cfg(), Options{Now: func() time.Time { return now }}, tt.fault)
			if !errors.Is(err, state.ErrCorrupt) {
				t.Fatalf("run = %v, want the ledger's error", err)
			}
			if n := strings.Count(err.Error(), "read ledger"); n != 1 {
				t.Errorf("error says %q %d times, want once: %v", "read ledger", n, err)
			}
			if got := len(w.pinged()); got != before {
				t.Errorf("%d pings sent despite the unreadable ledger", got-before)
			}
		})
	}
}

// A notification the time budget left unsent, while it waited for its
// host's turn, goes back to where it stood: it was never sent, so it is not
// left in flight (which `status` words as "sent when a run stopped").
func TestSendBudgetUnsentIsNotInFlight(t *testing.T) {
	w := newWorld(t)
	first, second := w.T("/link/1"), w.T("/link/2")
	w.page("posts/a/index.html", first, second)
	// Both targets' endpoints are known (a fresh discovery cache), so the
	// first request to their host is the first notification, and the
	// second waits an hour for its turn.
	l, err := state.Open(w.ledger, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b state.Batch
	for _, target := range []string{first, second} {
		b.Discoveries = append(b.Discoveries, state.Discovery{Target: target, Pingback: w.T("/xmlrpc"), Expires: time.Now().Add(time.Hour)})
	}
	if err := l.Commit(&b); err != nil {
		t.Fatal(err)
	}
	l.Close()
	cfg := w.cfg()
	cfg.HostInterval, cfg.MaxTime = time.Hour, 2*time.Second
	rep := w.run(cfg, Options{})
	if rep.Notified != 1 || rep.Unsent != 1 || !rep.BudgetExhausted {
		t.Fatalf("notified %d, unsent %d, budget exhausted %v; want 1, 1, true", rep.Notified, rep.Unsent, rep.BudgetExhausted)
	}
	var sent, waiting state.Notification
	for _, target := range []string{first, second} {
		n := w.notification(w.B("/posts/a/"), target)
		if n.Status == state.StatusNotified {
			sent = n
		} else {
			waiting = n
		}
	}
	if sent.Target == "" || waiting.Status != state.StatusPending || waiting.Sends != 0 {
		t.Errorf("the unsent one: %s with %d sends, want pending with none", waiting.Status, waiting.Sends)
	}
	if got := len(w.pinged()); got != 1 {
		t.Errorf("%d pings, want 1", got)
	}
	if rep.Waiting == nil || rep.Waiting.NotSent != 1 || rep.Waiting.InFlight != 0 {
		t.Errorf("waiting %+v, want one not sent yet and none in flight", rep.Waiting)
	}
}

// One page with many links is a flood too: the guard counts notifications,
// not only pages, on a first run and on a known site, and only on a first
// run does it speak of a first run.
func TestSendFloodGuardCountsNotifications(t *testing.T) {
	w := newWorld(t)
	var many []string
	for i := range 12 {
		many = append(many, w.T(fmt.Sprintf("/link/%d", i)))
	}
	w.page("posts/a/index.html", many...)
	cfg := w.cfg()
	cfg.FloodNotifications = 10
	_, err := w.tryRun(cfg, Options{})
	if !errors.Is(err, ErrFlood) || !strings.Contains(err.Error(), "first run") || !strings.Contains(err.Error(), "--baseline") {
		t.Fatalf("first run with 12 links on one page: %v, want the first-run flood guard", err)
	}
	if len(w.pinged()) != 0 {
		t.Fatalf("the guard let %d pings through", len(w.pinged()))
	}
	// It holds on the next try: nothing it weighed was written.
	if _, err := w.tryRun(cfg, Options{}); !errors.Is(err, ErrFlood) {
		t.Fatalf("second try: %v, want the guard again", err)
	}
	if rep := w.run(cfg, Options{All: true}); rep.Notified != 12 {
		t.Fatalf("--all notified %d, want 12", rep.Notified)
	}

	// A known site: a page gains 11 links at once.
	var more []string
	for i := range 11 {
		more = append(more, w.T(fmt.Sprintf("/link/more-%d", i)))
	}
	w.page("posts/b/index.html", more...)
	_, err = w.tryRun(cfg, Options{})
	if !errors.Is(err, ErrFlood) || !strings.Contains(err.Error(), "11 notifications") {
		t.Fatalf("known site, 11 new links: %v, want the flood guard counting notifications", err)
	}
	if strings.Contains(err.Error(), "first run") {
		t.Errorf("the guard on a known site speaks of a first run: %v", err)
	}
	if rep := w.run(cfg, Options{All: true}); rep.Notified != 11 {
		t.Errorf("--all notified %d, want 11", rep.Notified)
	}
}

// A re-run says how many notifications still wait and why, not only what
// this run did ("0 deferred").
func TestSendReportsWaiting(t *testing.T) {
	w := newWorld(t)
	for i := range 3 {
		w.page(fmt.Sprintf("posts/%d/index.html", i), w.T(fmt.Sprintf("/link/%d", i)))
	}
	cfg := w.cfg()
	cfg.BaseURL = w.blog.URL + "/not-deployed/"
	now := time.Now()
	clock := func() time.Time { return now }
	w.run(cfg, Options{Now: clock})
	// Not due yet: this run sends and defers nothing, yet 3 wait.
	rep := w.run(cfg, Options{Now: clock})
	if rep.Deferred != 0 || rep.Waiting == nil || rep.Waiting.NotLive != 3 {
		t.Fatalf("re-run: deferred %d, waiting %+v; want 0 this run and 3 waiting", rep.Deferred, rep.Waiting)
	}
	var out strings.Builder
	rep.Summary(&out)
	if !strings.Contains(out.String(), "3 waiting: source not live") {
		t.Errorf("summary does not say what waits:\n%s", out.String())
	}
}

// --verbose names every content link of a changed page that is not
// notified, and why.
func TestSendVerboseNamesSkippedLinks(t *testing.T) {
	w := newWorld(t)
	path := filepath.Join(w.public, "posts", "a", "index.html")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf(`<!doctype html><html><head><title>t</title></head><body><article>
<a href=%q>sent</a> <a rel="nofollow" href=%q>nofollow</a> <a class="no-pingback" href=%q>opted out</a>
<a href=%q>excluded</a> <a href=%q>self</a></article></body></html>`,
		w.T("/link/ok"), w.T("/link/nofollow"), w.T("/link/class"), "https://skip.example/x", w.B("/posts/b/"))
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := w.cfg()
	cfg.SelfPing, cfg.Exclude = false, []string{"skip.example"}
	rep := w.run(cfg, Options{Mode: ModeDryRun, Verbose: true})
	var got []string
	for _, it := range rep.Skipped {
		got = append(got, it.Target+" "+it.Error)
	}
	want := []string{
		w.T("/link/nofollow") + " rel=nofollow",
		w.T("/link/class") + " class=no-pingback",
		"https://skip.example/x excluded by skip.example",
		w.B("/posts/b/") + " " + reasonSelfPing,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep := w.run(cfg, Options{Mode: ModeDryRun}); rep.Skipped != nil {
		t.Errorf("without Verbose the report lists %d skipped links", len(rep.Skipped))
	}
}

// A receiver's Retry-After longer than the run's budget holds across runs:
// the next attempt is not scheduled before it ends (it was 15 minutes,
// the first backoff, whatever the receiver asked for).
func TestRetryAfterKeptAcrossRuns(t *testing.T) {
	w := newWorld(t)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wm" {
			rw.Header().Set("Retry-After", "7200")
			http.Error(rw, "slow down", http.StatusTooManyRequests)
			return
		}
		rw.Header().Set("Link", `</wm>; rel="webmention"`)
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprint(rw, "<html><head><title>t</title></head><body>t</body></html>")
	}))
	t.Cleanup(srv.Close)
	target := srv.URL + "/post"
	w.page("posts/a/index.html", target)
	cfg := w.cfg()
	cfg.MaxTime = 3 * time.Second
	now := time.Now()
	w.run(cfg, Options{Now: func() time.Time { return now }})
	n := w.notification(w.B("/posts/a/"), target)
	if n.Status != state.StatusRetry || n.NextAttempt.Before(now.Add(2*time.Hour)) {
		t.Errorf("%s, next attempt in %s; want retry after the 2 h the receiver asked for (%s)", n.Status, n.NextAttempt.Sub(now), n.LastError)
	}
}

// A 429 to a discovery GET pauses the whole host, as one to a
// notification does: the host's next target is not fetched in that run.
func TestDiscovery429HoldsHost(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	gets := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gets[r.URL.Path] = true
		mu.Unlock()
		rw.Header().Set("Retry-After", "60")
		http.Error(rw, "slow down", http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	w.page("posts/a/index.html", srv.URL+"/a", srv.URL+"/b")
	cfg := w.cfg()
	cfg.MaxTime = 3 * time.Second
	w.run(cfg, Options{})
	mu.Lock()
	defer mu.Unlock()
	if len(gets) != 1 {
		t.Errorf("the host answered 429 Retry-After: 60 to the first discovery, yet %d paths were fetched in the run: %v", len(gets), gets)
	}
	for p := range gets {
		if n := w.notification(w.B("/posts/a/"), srv.URL+p); n.NextAttempt.Before(time.Now().Add(50 * time.Second)) {
			t.Errorf("%s: next attempt in %s, before the Retry-After of 60 s", p, time.Until(n.NextAttempt).Round(time.Second))
		}
	}
}

// The discovery GET and the POST to an endpoint on the same server share
// one queue however the host is spelt.
func TestHostKeySpellings(t *testing.T) {
	for _, p := range [][2]string{
		{"https://bücher.example/post", "https://xn--bcher-kva.example/xmlrpc.php"},
		{"https://example.com:443/post", "https://example.com/xmlrpc.php"},
		{"http://Example.COM:80/a", "https://example.com/b"},
	} {
		if a, b := hostOf(p[0]), hostOf(p[1]); a != b {
			t.Errorf("%s and %s are one server, queued as %q and %q", p[0], p[1], a, b)
		}
	}
	if a, b := hostOf("https://example.com:8443/"), hostOf("https://example.com/"); a == b {
		t.Errorf("another port is another queue: both %q", a)
	}
}
