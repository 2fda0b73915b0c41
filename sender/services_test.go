package sender

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/internal/peertest"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// hub is a WebSub hub on loopback that records publish requests.
type hub struct {
	srv  *httptest.Server
	mu   sync.Mutex
	urls []string
}

func newHub(t *testing.T) *hub {
	h := &hub{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("hub.mode") != "publish" {
			http.Error(w, "bad mode", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.urls = append(h.urls, r.PostForm.Get("hub.url"))
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) published() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.urls...)
}

func (w *world) feed(rel, hubURL string, items ...string) {
	w.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Blog</title>`)
	if hubURL != "" {
		fmt.Fprintf(&b, `<atom:link rel="hub" href="%s"/>`, hubURL)
	}
	for _, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title></item>", it)
	}
	b.WriteString("</channel></rss>")
	path := filepath.Join(w.public, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// TestSendUpdateServicesAndWebSub: once per run with changes, each update
// service gets weblogUpdates.extendedPing (Python's xmlrpc.server as the
// service) and the hub the feed names gets a publish for each changed feed.
func TestSendUpdateServicesAndWebSub(t *testing.T) {
	service := peertest.Start(t, peertest.Script(t, "weblog_server.py"), "ping-only") + "/RPC2"
	h := newHub(t)
	w := newWorld(t)
	w.page("posts/a/index.html")
	w.feed("index.xml", h.srv.URL+"/", "a")
	w.feed("posts/index.xml", h.srv.URL+"/", "a")
	cfg := w.cfg()
	cfg.PingServices, cfg.SiteTitle = []string{service}, "Blog & Co"

	rep := w.run(cfg, Options{})
	if len(rep.Services) != 3 {
		t.Fatalf("services: %+v, want one update service and two feeds", rep.Services)
	}
	for _, it := range rep.Services {
		if it.Status != string(state.StatusNotified) {
			t.Errorf("%s %s: %s (%s)", it.Protocol, it.Endpoint, it.Status, it.Error)
		}
	}
	// The service only knows weblogUpdates.ping: the fallback answered.
	if got := rep.Services[0].Answer; !strings.Contains(got, "ping(Blog & Co|"+w.B("/")+")") {
		t.Errorf("update service answer %q", got)
	}
	if got := h.published(); fmt.Sprint(got) != fmt.Sprint([]string{w.B("/index.xml"), w.B("/posts/index.xml")}) {
		t.Errorf("hub got %v", got)
	}

	// Nothing changed: no service is called.
	if rep := w.run(cfg, Options{}); len(rep.Services) != 0 {
		t.Errorf("unchanged run called services: %+v", rep.Services)
	}

	// One page and one feed change: the service once, the hub for that feed.
	w.page("posts/a/index.html", w.T("/link/1"))
	w.feed("index.xml", h.srv.URL+"/", "a", "b")
	rep = w.run(cfg, Options{})
	if len(rep.Services) != 2 {
		t.Errorf("changed run: %+v, want the service and one feed", rep.Services)
	}
	if got := h.published(); len(got) != 3 || got[2] != w.B("/index.xml") {
		t.Errorf("hub got %v", got)
	}
}

// TestSendTrackback: a target that offers only Trackback gets one when the
// user opts in, with the page's title and excerpt; by default it gets none.
func TestSendTrackback(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	var got []string
	tb := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			fmt.Fprintf(rw, `<html><head><title>t</title></head><body><!--
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/">
<rdf:Description rdf:about="%[1]s/post/" dc:identifier="%[1]s/post/" dc:title="t" trackback:ping="%[1]s/trackback/" />
</rdf:RDF>--></body></html>`, "http://"+r.Host)
			return
		}
		r.ParseForm()
		mu.Lock()
		got = append(got, r.PostForm.Get("url")+"|"+r.PostForm.Get("title")+"|"+r.PostForm.Get("blog_name")+"|"+r.PostForm.Get("excerpt"))
		mu.Unlock()
		fmt.Fprint(rw, `<?xml version="1.0" encoding="utf-8"?><response><error>0</error></response>`)
	}))
	defer tb.Close()
	w.page("posts/a/index.html", tb.URL+"/post/")

	rep := w.run(w.cfg(), Options{})
	if rep.NoEndpoint != 1 || len(got) != 0 {
		t.Fatalf("default protocols: no endpoint %d, trackbacks %v; want no trackback", rep.NoEndpoint, got)
	}

	w2 := newWorld(t)
	w2.page("posts/a/index.html", tb.URL+"/post/")
	cfg := w2.cfg()
	cfg.Protocols, cfg.SiteTitle = []string{"webmention", "pingback", "trackback"}, "My Blog"
	rep = w2.run(cfg, Options{})
	if rep.Notified != 1 || len(got) != 1 {
		t.Fatalf("trackback opt-in: notified %d, trackbacks %v", rep.Notified, got)
	}
	if want := w2.B("/posts/a/") + "|A post|My Blog|"; !strings.HasPrefix(got[0], want) || !strings.Contains(got[0], "See this.") {
		t.Errorf("trackback form %q, want prefix %q and the content as excerpt", got[0], want)
	}
	if n := w2.notification(w2.B("/posts/a/"), tb.URL+"/post/"); n.Protocol != "trackback" || n.Endpoint != tb.URL+"/trackback/" {
		t.Errorf("recorded %s via %s", n.Protocol, n.Endpoint)
	}
}

// TestTombstones: a page send saw deleted is among DeletedPages, whose 410
// lines site.WriteHostFiles merges into _redirects (inject and build do,
// before the deploy) with the user's own rules; send itself never writes
// _redirects, and a second call changes nothing.
func TestTombstones(t *testing.T) {
	w := newWorld(t)
	w.page("posts/a/index.html")
	w.page("posts/b/index.html")
	cfg := w.cfg()
	w.run(cfg, Options{})
	redirects := filepath.Join(w.public, "_redirects")
	os.WriteFile(redirects, []byte("/old /new 301\n"), 0o644)
	os.RemoveAll(filepath.Join(w.public, "posts", "a"))
	if rep := w.run(cfg, Options{}); rep.Deleted != 1 {
		t.Fatalf("deleted %d", rep.Deleted)
	}
	if data, _ := os.ReadFile(redirects); string(data) != "/old /new 301\n" {
		t.Fatalf("send wrote _redirects after the deploy:\n%s", data)
	}
	tombstones := func() []string {
		l, err := state.Open(w.ledger, &state.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		gone, err := DeletedPages(l)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{w.B("/posts/a/")}; !slices.Equal(gone, want) {
			t.Errorf("deleted pages %q, want %q", gone, want)
		}
		rep, err := site.WriteHostFiles(cfg.Resolved().SiteRoots(), site.HostFiles{Gone: gone})
		if err != nil {
			t.Fatal(err)
		}
		return rep.Tombstones
	}
	if files := tombstones(); len(files) != 1 {
		t.Fatalf("tombstones wrote %v", files)
	}
	data, _ := os.ReadFile(redirects)
	if !strings.Contains(string(data), "/old /new 301") || !strings.Contains(string(data), "/posts/a/ /404.html 410") {
		t.Errorf("_redirects:\n%s", data)
	}
	if files := tombstones(); len(files) != 0 {
		t.Errorf("second call rewrote %v", files)
	}
}

// A hub that fails for a passing reason hears of the feed again on the next
// run, although no page changed: the feed's new hash waits for the hub.
func TestSendWebSubRetriesFailedHub(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	hubSrv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			http.Error(rw, "busy", http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	}))
	defer hubSrv.Close()
	w := newWorld(t)
	w.page("posts/a/index.html")
	w.feed("index.xml", hubSrv.URL+"/", "a")
	if rep := w.run(w.cfg(), Options{}); len(rep.Services) != 1 || rep.Services[0].Status != string(state.StatusFailed) {
		t.Fatalf("first run: %+v", rep.Services)
	}
	rep := w.run(w.cfg(), Options{})
	if len(rep.Services) != 1 || rep.Services[0].Status != string(state.StatusNotified) {
		t.Fatalf("second run: %+v, want the hub told again", rep.Services)
	}
	if rep := w.run(w.cfg(), Options{}); len(rep.Services) != 0 {
		t.Errorf("third run: %+v, want nothing", rep.Services)
	}
}

// Feeds and the calls to services are not pages or notifications of pages:
// `status` counts the site's pages and links only (they once shared the
// pages and notifications buckets, so a feed counted as a page).
func TestSendFeedsAndServicesKeptApart(t *testing.T) {
	service := peertest.Start(t, peertest.Script(t, "weblog_server.py"), "ping-only") + "/RPC2"
	h := newHub(t)
	w := newWorld(t)
	// The home page links out, and its feed is not Hugo's index.xml (with
	// which it would be a list page, sending nothing).
	w.page("index.html", w.T("/link/home"))
	w.page("posts/a/index.html")
	w.feed("feed.xml", h.srv.URL+"/", "a")
	w.feed("posts/index.xml", h.srv.URL+"/", "a")
	cfg := w.cfg()
	cfg.PingServices = []string{service}
	w.run(cfg, Options{})

	l, err := state.Open(w.ledger, &state.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if n, err := l.PageCount(); err != nil || n != 2 {
		t.Errorf("PageCount() = %d, %v; want the 2 pages, not the feeds", n, err)
	}
	stats, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range stats {
		total += n
	}
	if total != 1 {
		t.Errorf("%d notifications (%v), want the home page's one link only", total, stats)
	}
	home, err := l.NotificationsFor(w.B("/"))
	if err != nil || len(home) != 1 || home[0].Target != w.T("/link/home") {
		t.Errorf("the home page's notifications = %+v, %v; want its link, not the ping service", home, err)
	}
	feeds, err := l.Feeds()
	if err != nil || len(feeds) != 2 {
		t.Errorf("Feeds() = %v, %v; want both feeds", feeds, err)
	}
	services, err := l.Services()
	if err != nil || len(services) != 3 {
		t.Errorf("Services() = %+v, %v; want the ping service and two hub calls", services, err)
	}
}
