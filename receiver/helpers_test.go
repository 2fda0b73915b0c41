package receiver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/sender"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// The site every test receives for. Its pages are files on disk (never
// fetched); its host is a reserved name.
const siteURL = "https://blog.example.net/"

// articleText is the body of the site's main post, long enough for the
// scraper check to have shingles to compare.
const articleText = `Static sites have no server to hear about the links other blogs make to them.
A pingback is an XML-RPC call that a blog makes to the blogs it links to, and the receiver
checks the calling page before it shows anything. Webmention does the same with a form post
and a status URL, and Trackback is the old form that nobody verified, which is why it became
the channel of spam. This post explains how a small receiver can take all three, verify each
one by fetching the source, and keep scrapers out by comparing the text of the source with the
text of the post it claims to mention.`

// writeSite writes a built site under dir: a post, a post that opted out of
// receiving, and the pages file `build` writes. It returns the roots.
func writeSite(t testing.TB, dir string) []config.Root {
	t.Helper()
	pub := filepath.Join(dir, "public")
	files := map[string]string{
		"index.html":               `<html><head><title>Blog</title></head><body><a href="/posts/hello/">Hello</a></body></html>`,
		"posts/hello/index.html":   `<html><head><title>Hello</title></head><body><article><h1>Hello</h1><p>` + articleText + `</p></article></body></html>`,
		"posts/second/index.html":  `<html><head><title>Second</title></head><body><article><p>A second post, short.</p></article></body></html>`,
		"posts/closed/index.html":  `<html><head><title>Closed</title></head><body><article><p>No mentions here.</p></article></body></html>`,
		"404.html":                 `<html><body>not found</body></html>`,
		"posts/index.xml":          `<rss></rss>`,
		"posts/a b/index.html":     `<html><body>escaped</body></html>`,
		"posts/unicode/index.html": `<html><body>ü</body></html>`,
	}
	for name, body := range files {
		p := filepath.Join(pub, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	roots := []config.Root{{Dir: pub, BaseURL: siteURL}}
	pages := map[string]sender.PageInfo{
		siteURL + "posts/hello/":  {URL: siteURL + "posts/hello/", File: "posts/hello/index.html", Root: pub},
		siteURL + "posts/closed/": {URL: siteURL + "posts/closed/", File: "posts/closed/index.html", Root: pub, NoReceive: true},
	}
	// The pages file must be newer than every page, as after a build.
	future := time.Now().Add(time.Second)
	pf := site.PagesPath(filepath.Join(dir, ".hugo-pingback", "ledger.db"))
	if err := site.SavePages(pf, site.BuildOf(roots, "production"), pages); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(pf, future, future); err != nil {
		t.Fatal(err)
	}
	return roots
}

// sources is an httptest server standing in for the web: each path
// answers what the test put there, and every GET is counted.
type sources struct {
	srv *httptest.Server

	mu     sync.Mutex
	pages  map[string]sourcePage
	hits   map[string]int
	handle map[string]http.HandlerFunc
}

type sourcePage struct {
	status int
	ctype  string
	body   string
}

func newSources(t testing.TB) *sources {
	s := &sources{pages: map[string]sourcePage{}, hits: map[string]int{}, handle: map[string]http.HandlerFunc{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		p, ok := s.pages[r.URL.Path]
		h := s.handle[r.URL.Path]
		s.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		if p.ctype == "" {
			p.ctype = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", p.ctype)
		if p.status == 0 {
			p.status = 200
		}
		w.WriteHeader(p.status)
		io.WriteString(w, p.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// set makes path answer a page; it returns the page's URL.
func (s *sources) set(path string, status int, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = sourcePage{status: status, body: body}
	return s.srv.URL + path
}

func (s *sources) setHandler(path string, h http.HandlerFunc) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handle[path] = h
	return s.srv.URL + path
}

func (s *sources) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// linking is a source page linking to target, with an h-entry-less body
// (title and text, as a WordPress post without microformats).
func linking(title, target string) string {
	return fmt.Sprintf(`<html><head><title>%s</title></head><body><p>I read <a href="%s">this post</a> today and liked it.</p></body></html>`, title, target)
}

// rig is a receiver under test with its store, sources and HTTP server.
type rig struct {
	t       testing.TB
	srv     *Server
	http    *httptest.Server
	store   mention.Store
	mem     *memStore
	src     *sources
	dir     string
	settled chan mention.Request
}

// rigOptions adjusts the Options of a rig before New.
type rigOptions func(*Options)

func noLimits(o *Options) {
	o.Limits.PerIP, o.Limits.PerSource = rate.Inf, rate.Inf
}

// newRig starts a receiver for the test site on loopback, with an
// in-memory store unless an option sets one, sources reachable (the guard
// lifted unless an option sets a Client) and its workers running.
func newRig(t testing.TB, opts ...rigOptions) *rig {
	t.Helper()
	dir := t.TempDir()
	roots := writeSite(t, dir)
	targets, err := NewSiteTargets(roots, SiteOptions{PagesFile: site.PagesPath(filepath.Join(dir, ".hugo-pingback", "ledger.db"))})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, src: newSources(t), dir: dir, settled: make(chan mention.Request, 100000)}
	o := Options{
		BaseURLs:  []string{siteURL},
		Targets:   targets,
		PublicURL: "https://rx.example.net/",
		Client:    linkback.NewClient(linkback.ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second}),
		Limits:    Limits{RetryBase: 20 * time.Millisecond},
	}
	for _, f := range opts {
		f(&o)
	}
	if o.Store == nil {
		r.mem = newMemStore()
		o.Store = r.mem
	}
	r.store = o.Store
	r.srv, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.srv.verifyDone = func(req mention.Request) { r.settled <- req }
	r.http = httptest.NewServer(r.srv.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.srv.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; r.http.Close() })
	return r
}

// target is the URL of a page of the test site.
func target(path string) string { return siteURL + strings.TrimPrefix(path, "/") }

// postForm POSTs a form to the receiver and returns status, headers, body.
func (r *rig) postForm(path string, form url.Values) (int, http.Header, string) {
	r.t.Helper()
	resp, err := http.PostForm(r.http.URL+path, form)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// get GETs a path of the receiver with an Accept header.
func (r *rig) get(path, accept string) (int, http.Header, string) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.http.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// waitSettled waits for the next queued verification to settle.
func (r *rig) waitSettled() mention.Request {
	r.t.Helper()
	select {
	case req := <-r.settled:
		return req
	case <-time.After(10 * time.Second):
		r.t.Fatal("no verification settled within 10 s")
	}
	return mention.Request{}
}

// client is the project's own sender client, for calling the receiver.
func (r *rig) client() *linkback.Client {
	return linkback.NewClient(linkback.ClientOptions{AllowPrivate: true, Timeout: 10 * time.Second})
}

// mentions returns every mention in the store.
func (r *rig) mentions() []mention.Mention {
	r.t.Helper()
	ms, err := r.store.Mentions(context.Background(), mention.Filter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return ms
}
