package sender

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// world is a small web on loopback: the blog (serving its built files, so
// the live check sees what a visitor sees), and a host of target pages with
// every way of advertising (or not) a receiver, and the receivers themselves.
type world struct {
	t       *testing.T
	public  string
	ledger  string
	blog    *httptest.Server
	targets *httptest.Server
	hang    chan struct{}

	mu         sync.Mutex
	pings      map[string]int // "source -> target" to count
	webmention map[string]int
	flaky      map[string]int // target path to calls
	wmStatus   int            // when set, the Webmention endpoint answers it
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t: t, public: t.TempDir(), hang: make(chan struct{}),
		pings: map[string]int{}, webmention: map[string]int{}, flaky: map[string]int{},
	}
	w.ledger = filepath.Join(t.TempDir(), "ledger.db")
	w.blog = httptest.NewServer(http.FileServer(http.Dir(w.public)))
	w.targets = httptest.NewServer(http.HandlerFunc(w.serveTarget))
	t.Cleanup(func() {
		close(w.hang)
		w.blog.Close()
		w.targets.Close()
	})
	return w
}

// T is the URL of a target page on the targets host.
func (w *world) T(path string) string { return w.targets.URL + path }

// B is the URL of a page of the blog.
func (w *world) B(path string) string { return w.blog.URL + path }

func (w *world) serveTarget(rw http.ResponseWriter, r *http.Request) {
	recv := w.targets.URL + "/xmlrpc"
	page := func(head string) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(rw, "<!doctype html><html><head><title>t</title>%s</head><body><p>target</p></body></html>", head)
	}
	p := r.URL.Path
	switch {
	case p == "/xmlrpc":
		w.receivePingback(rw, r)
	case p == "/webmention-endpoint":
		r.ParseForm()
		w.mu.Lock()
		status := w.wmStatus
		if status == 0 {
			w.webmention[r.PostForm.Get("source")+" -> "+r.PostForm.Get("target")]++
		}
		w.mu.Unlock()
		if status != 0 {
			http.Error(rw, "not now", status)
			return
		}
		rw.Header().Set("Location", w.targets.URL+"/status/1")
		rw.WriteHeader(http.StatusCreated)
	case strings.HasPrefix(p, "/header/"):
		rw.Header().Set("X-Pingback", recv)
		page("")
	case strings.HasPrefix(p, "/both/"):
		rw.Header().Set("X-Pingback", recv)
		page(`<link rel="pingback" href="` + w.targets.URL + `/wrong-endpoint">`)
	case strings.HasPrefix(p, "/redirect/"):
		http.Redirect(rw, r, "/link/after-redirect", http.StatusFound)
	case strings.HasPrefix(p, "/relative/"):
		page(`<link href="/xmlrpc" rel='PINGBACK'>`)
	case strings.HasPrefix(p, "/comment/"):
		page(`<!-- <link rel="pingback" href="` + recv + `"> -->`)
	case strings.HasPrefix(p, "/huge/"):
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(rw, `<html><head><link rel="pingback" href="%s"></head><body>`, recv)
		chunk := strings.Repeat("<p>filler filler filler filler</p>\n", 1000)
		for i := 0; i < 200; i++ { // about 7 MB
			if _, err := io.WriteString(rw, chunk); err != nil {
				return
			}
		}
	case strings.HasPrefix(p, "/image.png"):
		rw.Header().Set("Content-Type", "image/png")
		fmt.Fprintf(rw, "\x89PNG\r\n<link rel=\"pingback\" href=\"%s\">", recv)
	case strings.HasPrefix(p, "/webmention/"):
		rw.Header().Set("Link", `</webmention-endpoint>; rel="webmention"`)
		page(`<link rel="pingback" href="` + recv + `">`)
	case strings.HasPrefix(p, "/hang/"):
		select {
		case <-w.hang:
		case <-r.Context().Done():
		}
	case strings.HasPrefix(p, "/missing/"):
		http.NotFound(rw, r)
	case strings.HasPrefix(p, "/wrong-endpoint"):
		http.Error(rw, "wrong endpoint used", http.StatusTeapot)
	default: // /link/..., /fault48/..., /flaky/...
		page(`<link rel="pingback" href="` + recv + `">`)
	}
}

// receivePingback is a pingback receiver: it answers by the target's path.
func (w *world) receivePingback(rw http.ResponseWriter, r *http.Request) {
	var call struct {
		Method string   `xml:"methodName"`
		Params []string `xml:"params>param>value>string"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := xml.Unmarshal(body, &call); err != nil || call.Method != "pingback.ping" || len(call.Params) != 2 {
		w.t.Errorf("receiver got a bad call: %v %q", err, body)
		http.Error(rw, "bad call", http.StatusBadRequest)
		return
	}
	source, target := call.Params[0], call.Params[1]
	fault := func(code int) {
		fmt.Fprintf(rw, `<?xml version="1.0"?><methodResponse><fault><value><struct>
<member><name>faultCode</name><value><int>%d</int></value></member>
<member><name>faultString</name><value><string>fault %d</string></value></member>
</struct></value></fault></methodResponse>`, code, code)
	}
	rw.Header().Set("Content-Type", "text/xml")
	w.mu.Lock()
	w.pings[source+" -> "+target]++
	flakyCalls := 0
	if strings.Contains(target, "/flaky/") {
		w.flaky[target]++
		flakyCalls = w.flaky[target]
	}
	w.mu.Unlock()
	switch {
	case strings.Contains(target, "/fault48/"):
		fault(48)
	case strings.Contains(target, "/fault17/"):
		fault(17)
	case strings.Contains(target, "/fault0/"):
		fault(0)
	case flakyCalls == 1:
		http.Error(rw, "try later", http.StatusInternalServerError)
	default:
		fmt.Fprint(rw, `<?xml version="1.0"?><methodResponse><params><param><value><string>Pingback registered.</string></value></param></params></methodResponse>`)
	}
}

// page writes a built page whose content links to targets, inside chrome
// that links elsewhere (nav, footer, sidebar) and must never be notified.
func (w *world) page(rel string, targets ...string) {
	w.t.Helper()
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><title>A post</title></head><body>
<header><nav><a href="` + w.T("/nav/menu") + `">menu</a></nav></header>
<article class="h-entry"><h1 class="p-name">A post</h1><div class="e-content">`)
	for _, t := range targets {
		fmt.Fprintf(&b, "<p>See <a href=%q>this</a>.</p>\n", t)
	}
	b.WriteString(`</div></article>
<aside><a href="` + w.T("/blogroll/friend") + `">a friend</a></aside>
<footer><a href="` + w.T("/footer/credits") + `">credits</a></footer></body></html>`)
	path := filepath.Join(w.public, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// cfg is the Config the tests run with: loopback allowed, no spacing.
func (w *world) cfg() config.Config {
	c := config.Default()
	c.PublishDir, c.BaseURL, c.Ledger = w.public, w.blog.URL+"/", w.ledger
	c.AllowPrivate, c.HostInterval, c.Timeout = true, 0, 2*time.Second
	return c
}

// run performs one send and returns its report.
func (w *world) run(cfg config.Config, opts Options) *Report {
	w.t.Helper()
	rep, err := w.tryRun(cfg, opts)
	if err != nil {
		w.t.Fatalf("run: %v", err)
	}
	return rep
}

func (w *world) tryRun(cfg config.Config, opts Options) (*Report, error) {
	return w.tryRunWith(cfg, opts, nil)
}

// tryRunWith performs one send; wrap, when set, stands between the run and
// its ledger.
func (w *world) tryRunWith(cfg config.Config, opts Options, wrap func(*state.Ledger) ledger) (*Report, error) {
	var l *state.Ledger
	if opts.Mode != ModeDryRun || fileExists(cfg.Ledger) {
		var err error
		l, err = state.Open(cfg.Ledger, &state.Options{ReadOnly: opts.Mode == ModeDryRun})
		if err != nil {
			w.t.Fatal(err)
		}
		defer l.Close()
	}
	c := linkback.NewClient(linkback.ClientOptions{Timeout: cfg.Timeout, AllowPrivate: cfg.AllowPrivate})
	s, err := New(cfg, l, c, opts)
	if err != nil {
		w.t.Fatal(err)
	}
	if wrap != nil {
		s.ledger = wrap(l)
	}
	return s.Run(context.Background())
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// pinged returns the pings received, sorted, as "source -> target".
func (w *world) pinged() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k, n := range w.pings {
		for i := 0; i < n; i++ {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// notification reads one record back from the ledger.
func (w *world) notification(source, target string) state.Notification {
	w.t.Helper()
	l, err := state.Open(w.ledger, &state.Options{ReadOnly: true})
	if err != nil {
		w.t.Fatal(err)
	}
	defer l.Close()
	n, ok, err := l.Notification(source, target)
	if err != nil || !ok {
		w.t.Fatalf("no notification %s -> %s in the ledger (%v)", source, target, err)
	}
	return n
}

func TestSendDiscoveryAndOutcomes(t *testing.T) {
	w := newWorld(t)
	src := w.B("/posts/a/")
	cases := []struct {
		name, target string
		status       state.Status
		pinged       bool
	}{
		// X-Pingback header names the receiver.
		{"header", w.T("/header/1"), state.StatusNotified, true},
		// <link rel="pingback"> in the head.
		{"link element", w.T("/link/1"), state.StatusNotified, true},
		// Both: the header wins, the link's endpoint (a 418) is never used.
		{"header wins", w.T("/both/1"), state.StatusNotified, true},
		// Discovery follows the redirect; the call names the target as linked.
		{"redirect", w.T("/redirect/1"), state.StatusNotified, true},
		// A relative endpoint with odd attribute order and case.
		{"relative endpoint", w.T("/relative/1"), state.StatusNotified, true},
		// A tag inside a comment is no tag.
		{"decoy in comment", w.T("/comment/1"), state.StatusNoEndpoint, false},
		// Megabytes of body after the head: found, without reading it all.
		{"huge page", w.T("/huge/1"), state.StatusNotified, true},
		// An image carrying the bytes of a link tag is not a page.
		{"image target", w.T("/image.png"), state.StatusNoEndpoint, false},
		// Fault 48: already registered counts as done.
		{"fault 48", w.T("/fault48/1"), state.StatusNotified, true},
		// Fault 17: the receiver found no link: permanent.
		{"fault 17", w.T("/fault17/1"), state.StatusFailed, true},
		// Fault 0: WordPress's answer to everything: retried a few times.
		{"fault 0", w.T("/fault0/1"), state.StatusRetry, true},
		// The target page is gone: permanent.
		{"target 404", w.T("/missing/1"), state.StatusFailed, false},
		// Webmention is preferred when a target offers both.
		{"webmention first", w.T("/webmention/1"), state.StatusNotified, false},
	}
	var targets []string
	for _, c := range cases {
		targets = append(targets, c.target)
	}
	w.page("posts/a/index.html", targets...)
	rep := w.run(w.cfg(), Options{})

	for _, c := range cases {
		n := w.notification(src, c.target)
		if n.Status != c.status {
			t.Errorf("%s: status %s (%s), want %s", c.name, n.Status, n.LastError, c.status)
		}
		w.mu.Lock()
		got := w.pings[src+" -> "+c.target] > 0
		w.mu.Unlock()
		if got != c.pinged {
			t.Errorf("%s: pinged %v, want %v", c.name, got, c.pinged)
		}
	}
	if n := w.notification(src, w.T("/webmention/1")); n.Protocol != "webmention" || n.Location == "" {
		t.Errorf("webmention: protocol %q location %q", n.Protocol, n.Location)
	}
	for _, p := range w.pinged() {
		if strings.Contains(p, "/nav/") || strings.Contains(p, "/footer/") || strings.Contains(p, "/blogroll/") {
			t.Errorf("chrome link notified: %s", p)
		}
	}
	if rep.Notified != 8 || rep.AlreadyRegistered != 1 || rep.NoEndpoint != 2 || rep.Failed != 2 || rep.Retry != 1 {
		t.Errorf("report: notified %d (48: %d), no endpoint %d, failed %d, retry %d; want 8 (1), 2, 2, 1",
			rep.Notified, rep.AlreadyRegistered, rep.NoEndpoint, rep.Failed, rep.Retry)
	}
}

func TestSendSecondRunSendsNothing(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/link/a1"), w.T("/header/a2"))
	w.page("posts/b/index.html", w.T("/link/b1"))
	first := w.run(w.cfg(), Options{})
	if first.Notified != 3 {
		t.Fatalf("first run notified %d, want 3", first.Notified)
	}
	second := w.run(w.cfg(), Options{})
	if second.Notified != 0 || len(second.Items) != 0 || second.Unchanged != 2 || second.Changed+second.NewPages != 0 {
		t.Errorf("second run: %d notified, %d items, %d unchanged, %d changed; want nothing sent and nothing parsed",
			second.Notified, len(second.Items), second.Unchanged, second.Changed+second.NewPages)
	}
	if got := len(w.pinged()); got != 3 {
		t.Errorf("receiver saw %d pings, want 3", got)
	}
	// A new link on a page, and an old one gone: only the new one is sent,
	// and the page's record keeps every target it ever notified.
	w.page("posts/b/index.html", w.T("/link/b2"))
	third := w.run(w.cfg(), Options{})
	if third.Notified != 1 || third.Changed != 1 {
		t.Errorf("third run: %d notified, %d changed; want 1, 1", third.Notified, third.Changed)
	}
	l, err := state.Open(w.ledger, &state.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pg, _, err := l.Page(w.B("/posts/b/"))
	if want := []string{w.T("/link/b1"), w.T("/link/b2")}; err != nil || fmt.Sprint(pg.Targets) != fmt.Sprint(want) {
		t.Errorf("page targets %v (%v), want %v", pg.Targets, err, want)
	}
}

func TestSendRetryAfterServerError(t *testing.T) {
	w := newWorld(t)
	target := w.T("/flaky/1")
	w.page("posts/a/index.html", target)
	now := time.Now()
	clock := func() time.Time { return now }
	rep := w.run(w.cfg(), Options{Now: clock})
	if rep.Retry != 1 {
		t.Fatalf("first run: %d retry, want 1 (HTTP 500)", rep.Retry)
	}
	n := w.notification(w.B("/posts/a/"), target)
	if n.Status != state.StatusRetry || n.Attempts != 1 || !n.NextAttempt.After(now) {
		t.Fatalf("after 500: %+v", n)
	}
	// Not due yet: nothing is sent.
	if rep := w.run(w.cfg(), Options{Now: clock}); len(rep.Items) != 0 {
		t.Fatalf("retry sent before it was due: %+v", rep.Items)
	}
	now = n.NextAttempt.Add(time.Second)
	rep = w.run(w.cfg(), Options{Now: clock})
	if rep.Notified != 1 {
		t.Fatalf("second run: notified %d, want 1: %+v", rep.Notified, rep.Items)
	}
}

func TestSendHungTargetDoesNotStallRun(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/hang/1"), w.T("/link/ok"))
	cfg := w.cfg()
	cfg.Timeout = 300 * time.Millisecond
	start := time.Now()
	rep := w.run(cfg, Options{})
	if rep.Notified != 1 || rep.Retry != 1 {
		t.Errorf("notified %d, retry %d; want 1, 1", rep.Notified, rep.Retry)
	}
	if n := w.notification(w.B("/posts/a/"), w.T("/hang/1")); !strings.Contains(n.LastError, "timed out") {
		t.Errorf("hung target: %q, want a timeout", n.LastError)
	}
	// Bounded by the request timeout, not by the hung server: a generous
	// bound that still fails if the run waited for the server.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("run took %s", d)
	}
}

func TestSendBudgetLeavesTheRestForNextRun(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/hang/1"))
	cfg := w.cfg()
	cfg.Timeout, cfg.MaxTime = 10*time.Second, 200*time.Millisecond
	rep := w.run(cfg, Options{})
	if !rep.BudgetExhausted || rep.Unsent != 1 {
		t.Errorf("budget exhausted %v, unsent %d; want true, 1", rep.BudgetExhausted, rep.Unsent)
	}
	if run := w.lastRun(); !run.Interrupted || run.Stopped != state.StoppedBudget {
		t.Errorf("run recorded as interrupted %v, stopped %q; want true, %q", run.Interrupted, run.Stopped, state.StoppedBudget)
	}
}

// A run stopped by a signal (its context cancelled) is recorded as
// interrupted, not as a time budget that ran out.
func TestSendInterruptedIsNotTheBudget(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/hang/1"))
	cfg := w.cfg()
	cfg.Timeout = 10 * time.Second
	l, err := state.Open(cfg.Ledger, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, l, linkback.NewClient(linkback.ClientOptions{Timeout: cfg.Timeout, AllowPrivate: true}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	rep, err := s.Run(ctx)
	l.Close()
	if !errors.Is(err, ErrInterrupted) || !rep.Interrupted || rep.BudgetExhausted {
		t.Fatalf("run: %v; interrupted %v, budget %v; want ErrInterrupted, true, false", err, rep.Interrupted, rep.BudgetExhausted)
	}
	if run := w.lastRun(); !run.Interrupted || run.Stopped != state.StoppedSignal {
		t.Errorf("run recorded as interrupted %v, stopped %q; want true, %q", run.Interrupted, run.Stopped, state.StoppedSignal)
	}
}

// lastRun is the last run the ledger recorded.
func (w *world) lastRun() state.Run {
	w.t.Helper()
	l, err := state.Open(w.ledger, &state.Options{ReadOnly: true})
	if err != nil {
		w.t.Fatal(err)
	}
	defer l.Close()
	run, ok, err := l.LastRun()
	if err != nil || !ok {
		w.t.Fatalf("last run: %v, %v", ok, err)
	}
	return run
}

func TestSendDryRunWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/link/1"), w.T("/header/2"))
	rep := w.run(w.cfg(), Options{Mode: ModeDryRun})
	if rep.Planned != 2 || len(w.pinged()) != 0 {
		t.Errorf("planned %d, pinged %v; want 2 planned and no request", rep.Planned, w.pinged())
	}
	if fileExists(w.ledger) {
		t.Errorf("dry run created the ledger %s", w.ledger)
	}
}

func TestSendBaselineThenOnlyNewLinks(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/link/old1"), w.T("/link/old2"))
	rep := w.run(w.cfg(), Options{Mode: ModeBaseline})
	if rep.Baseline != 2 || len(w.pinged()) != 0 {
		t.Fatalf("baseline: %d recorded, pinged %v", rep.Baseline, w.pinged())
	}
	w.page("posts/a/index.html", w.T("/link/old1"), w.T("/link/old2"), w.T("/link/new"))
	if rep := w.run(w.cfg(), Options{}); rep.Notified != 1 {
		t.Errorf("after baseline: %d notified, want 1", rep.Notified)
	}
	if want := []string{w.B("/posts/a/") + " -> " + w.T("/link/new")}; fmt.Sprint(w.pinged()) != fmt.Sprint(want) {
		t.Errorf("after baseline pinged %v, want %v", w.pinged(), want)
	}
}

func TestSendFloodGuard(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < 5; i++ {
		w.page(fmt.Sprintf("posts/%d/index.html", i), w.T(fmt.Sprintf("/link/%d", i)))
	}
	cfg := w.cfg()
	cfg.FloodLimit = 3
	if _, err := w.tryRun(cfg, Options{}); err == nil || !strings.Contains(err.Error(), "--baseline") {
		t.Fatalf("flood guard: %v", err)
	}
	if len(w.pinged()) != 0 {
		t.Fatalf("flood guard let %d pings through", len(w.pinged()))
	}
	// The guard stopped before writing: it still holds on the next try.
	if _, err := w.tryRun(cfg, Options{}); err == nil {
		t.Fatal("flood guard did not hold on the second try")
	}
	if rep := w.run(cfg, Options{All: true}); rep.Notified != 5 {
		t.Errorf("--all notified %d, want 5", rep.Notified)
	}
}

func TestSendSelfPing(t *testing.T) {
	w := newWorld(t)
	w.page("posts/b/index.html")
	w.page("posts/a/index.html", w.B("/posts/b/"), w.T("/link/x"))
	cfg := w.cfg()
	cfg.SelfPing = false
	rep := w.run(cfg, Options{})
	if rep.SelfPing != 1 || rep.Notified != 1 {
		t.Errorf("self-ping skipped %d, notified %d; want 1, 1", rep.SelfPing, rep.Notified)
	}
	if n := w.notification(w.B("/posts/a/"), w.B("/posts/b/")); n.Status != state.StatusSkipped {
		t.Errorf("self link status %s", n.Status)
	}
}

func TestSendRefusesPrivateAddresses(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/link/1"))
	cfg := w.cfg()
	cfg.AllowPrivate, cfg.VerifyLive = false, false
	rep := w.run(cfg, Options{})
	n := w.notification(w.B("/posts/a/"), w.T("/link/1"))
	if n.Status != state.StatusFailed || len(w.pinged()) != 0 {
		t.Errorf("private target: status %s (%s), pings %v; want failed, none", n.Status, n.LastError, w.pinged())
	}
	if rep.Failed != 1 {
		t.Errorf("failed %d, want 1", rep.Failed)
	}
}

func TestSendDefersWhenSourceNotLive(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html", w.T("/link/1"))
	cfg := w.cfg()
	cfg.BaseURL = w.blog.URL + "/not-deployed/"
	now := time.Now()
	clock := func() time.Time { return now }
	rep := w.run(cfg, Options{Now: clock})
	if rep.Deferred != 1 || len(w.pinged()) != 0 {
		t.Fatalf("deferred %d, pings %v; want the ping kept for later", rep.Deferred, w.pinged())
	}
	src := w.B("/not-deployed/posts/a/")
	n := w.notification(src, w.T("/link/1"))
	if n.Status != state.StatusDeferred || n.Attempts != 0 || !strings.Contains(n.LastError, "not live") {
		t.Errorf("status %s attempts %d: %s", n.Status, n.Attempts, n.LastError)
	}
	// Still not live a day later: deferred again, no attempt counted.
	now = now.Add(24 * time.Hour)
	if rep := w.run(cfg, Options{Now: clock}); rep.Deferred != 1 {
		t.Errorf("a day later: deferred %d, want 1", rep.Deferred)
	}
	// Never live after a week: given up, with the reason.
	now = now.Add(7 * 24 * time.Hour)
	if rep := w.run(cfg, Options{Now: clock}); rep.Failed != 1 {
		t.Errorf("a week later: failed %d, want 1", rep.Failed)
	}
	if n := w.notification(src, w.T("/link/1")); n.Status != state.StatusFailed || !strings.Contains(n.LastError, "gave up") {
		t.Errorf("after a week: %s: %s", n.Status, n.LastError)
	}
}

// TestSendWebmentionUpdatesAndDeletes plays the public suite's update 1,
// update 2 and delete 1 over several runs on a changing site. Pingback has no
// update semantics and is never re-sent.
func TestSendWebmentionUpdatesAndDeletes(t *testing.T) {
	w := newWorld(t)
	src := w.B("/posts/a/")
	t1, t2, pb := w.T("/webmention/1"), w.T("/webmention/2"), w.T("/link/pingback-only")
	sent := func() (int, int, int) {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.webmention[src+" -> "+t1], w.webmention[src+" -> "+t2], w.pings[src+" -> "+pb]
	}
	now := time.Now()
	clock := func() time.Time { return now }
	steps := []struct {
		name           string
		change         func()
		w1, w2, pings  int // totals after the step
		notifiedInStep int
	}{
		{"first send", func() { w.page("posts/a/index.html", t1, t2, pb) }, 1, 1, 1, 3},
		// Update 1: the post's text changes, its links stay: both targets re-fetch it.
		{"update 1", func() { w.page("posts/a/index.html", t1, t2, pb, w.T("/comment/new")) }, 2, 2, 1, 2},
		// Update 2: a link is removed: its target hears too, so it can drop the mention.
		{"update 2", func() { w.page("posts/a/index.html", t1, pb, w.T("/comment/new")) }, 3, 3, 1, 2},
		// Delete 1: the post leaves the site: every target it mentioned hears again.
		{"delete 1", func() {
			os.RemoveAll(filepath.Join(w.public, "posts", "a"))
			w.page("posts/b/index.html")
		}, 4, 4, 1, 2},
		// Nothing more happens once the deletion was told.
		{"after delete", func() {}, 4, 4, 1, 0},
	}
	for _, st := range steps {
		st.change()
		rep := w.run(w.cfg(), Options{Now: clock})
		got1, got2, gotPings := sent()
		if got1 != st.w1 || got2 != st.w2 || gotPings != st.pings || rep.Notified != st.notifiedInStep {
			t.Errorf("%s: webmentions %d, %d, pingbacks %d, notified in run %d; want %d, %d, %d, %d",
				st.name, got1, got2, gotPings, rep.Notified, st.w1, st.w2, st.pings, st.notifiedInStep)
		}
	}
}

// One content link longer than the ledger can key must not block the run
// (it once stopped every send and --baseline of the site): it is skipped
// with a warning naming the page, in dry runs too, and the other links of
// that page and of every other page go out.
func TestSendSkipsOverlongLinks(t *testing.T) {
	w := newWorld(t)
	long := w.T("/link/long?q=" + strings.Repeat("x", 17000))
	w.page("posts/a/index.html", w.T("/link/a"), long)
	w.page("posts/b/index.html", w.T("/link/b"))
	for _, mode := range []Mode{ModeDryRun, ModeBaseline} {
		rep := w.run(w.cfg(), Options{Mode: mode})
		if !strings.Contains(strings.Join(rep.Warnings, "\n"), w.B("/posts/a/")+" (") {
			t.Errorf("%s: warnings %q do not name the page", mode, rep.Warnings)
		}
		os.Remove(w.ledger)
	}
	rep := w.run(w.cfg(), Options{})
	if rep.Notified != 2 {
		t.Errorf("notified %d, want the 2 ordinary links", rep.Notified)
	}
	want := []string{w.B("/posts/a/") + " -> " + w.T("/link/a"), w.B("/posts/b/") + " -> " + w.T("/link/b")}
	if fmt.Sprint(w.pinged()) != fmt.Sprint(want) {
		t.Errorf("pinged %v, want %v", w.pinged(), want)
	}
	var summary strings.Builder
	rep.Summary(&summary)
	if !strings.Contains(summary.String(), "longer than 8192 bytes not notified") {
		t.Errorf("summary does not warn:\n%s", summary.String())
	}
}
