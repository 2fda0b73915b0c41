package receiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// URLs longer than linkurl.MaxLength are refused before anything is
// fetched or stored: the store could not hold them (its keys hold source
// and target), and a request it cannot settle would stay queued, fetched
// again at every start.
func TestAdmitRefusesLongURLs(t *testing.T) {
	r := newRig(t, noLimits)
	src := r.src.set("/p", 200, linking("Long", target("posts/second/")))
	long := "?" + strings.Repeat("a", linkurl.MaxLength)
	for _, c := range []struct{ source, target, reason string }{
		{src + long, target("posts/second/"), "source is longer than"},
		{src, target("posts/second/") + long, "target is longer than"},
	} {
		code, _, body := r.postForm("/webmention", url.Values{"source": {c.source}, "target": {c.target}})
		if code != http.StatusBadRequest || !strings.Contains(body, c.reason) {
			t.Errorf("status %d %q, want 400 with %q", code, body, c.reason)
		}
	}
	if n := r.src.count("/p"); n != 0 {
		t.Errorf("source fetched %d times", n)
	}
	if q, _ := r.store.Queued(context.Background()); len(q) != 0 {
		t.Errorf("%d requests stored", len(q))
	}
}

// A re-sent Webmention is an update (W3C Webmention 3.2.2): once
// SourceRefetch has passed since the last fetch, it is checked against the
// source as it is now, not the cached copy; within it (a flood), the
// cached copy answers.
func TestWebmentionResentIsVerifiedAgain(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	r := newRig(t, noLimits, func(o *Options) {
		o.Now = now
		o.Policy = mention.Policy{Moderate: mention.ModerateNone}
		o.Limits.SourceRefetch = 10 * time.Second
	})
	hello := target("posts/hello/")
	src := r.src.set("/post", 200, linking("Title", hello))
	send := func() {
		t.Helper()
		if code, _, body := r.postForm("/webmention", url.Values{"source": {src}, "target": {hello}}); code != 202 {
			t.Fatalf("%d %s", code, body)
		}
		r.waitSettled()
	}
	state := func() mention.State {
		m, _, _ := r.store.Find(context.Background(), src, hello)
		return m.State
	}
	send()
	if s := state(); s != mention.Approved {
		t.Fatalf("first send: %s", s)
	}
	r.src.set("/post", 410, "gone")
	advance(3 * time.Second) // within SourceRefetch: the copy fetched answers
	send()
	if s, n := state(), r.src.count("/post"); s != mention.Approved || n != 1 {
		t.Errorf("re-sent within SourceRefetch: %s after %d fetches, want approved after 1", s, n)
	}
	advance(10 * time.Second) // past it: fetched again, and the source is gone
	send()
	if s, n := state(), r.src.count("/post"); s != mention.Deleted || n != 2 {
		t.Errorf("re-sent after SourceRefetch: %s after %d fetches, want deleted after 2", s, n)
	}
}

// Live targets are looked up without their query string, as the built
// site's are: one client varying ?x= of a real page spends one GET of the
// site-wide budget, not all of it, and a genuine mention of another page
// still gets through.
func TestLiveTargetsIgnoreQuery(t *testing.T) {
	var mu sync.Mutex
	gets := map[string]int{}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gets[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body><p>a page</p></body></html>"))
	}))
	defer site.Close()
	r := newRig(t, func(o *Options) { // the default abuse limits
		o.BaseURLs = []string{site.URL + "/"}
		o.Targets = NewLiveTargets(o.Client, LiveOptions{})
	})
	src := r.src.set("/s", 200, "<html></html>")
	for i := range 12 {
		r.postForm("/webmention", url.Values{"source": {src}, "target": {site.URL + "/posts/a/?x=" + strings.Repeat("y", i+1)}})
	}
	code, _, body := r.postForm("/webmention", url.Values{"source": {src}, "target": {site.URL + "/posts/b/"}})
	if code == http.StatusTooManyRequests {
		t.Fatalf("a genuine target refused after one client varied a query: %d %s", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if gets["/posts/a/"] != 1 {
		t.Errorf("/posts/a/ fetched %d times for 12 queries, want 1", gets["/posts/a/"])
	}
}

// A fetch shared by several requests waits for its slot on its own, not
// on the deadline of the request that started it: a Pingback giving up
// (PingVerify) does not fail a queued Webmention sharing the fetch.
func TestSharedFetchOutlivesFirstCaller(t *testing.T) {
	r := newRig(t, noLimits, func(o *Options) {
		o.Limits.Fetches = 1
		o.Limits.PingVerify = 300 * time.Millisecond
	})
	hello := target("posts/hello/")
	slow := r.src.setHandler("/slow", func(w http.ResponseWriter, _ *http.Request) { time.Sleep(1500 * time.Millisecond) })
	b := r.src.set("/b", 200, linking("B", hello))
	go r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", slow, hello) // holds the one slot
	time.Sleep(50 * time.Millisecond)
	go r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", b, target("posts/second/")) // starts the shared fetch of b
	time.Sleep(50 * time.Millisecond)
	if code, _, body := r.postForm("/webmention", url.Values{"source": {b}, "target": {hello}}); code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	got := r.waitSettled()
	for got.Protocol != mention.Webmention { // the Pingbacks may settle here too
		got = r.waitSettled()
	}
	if got.Attempts > 0 {
		t.Fatalf("the Webmention failed with another request's deadline: attempts %d, %q", got.Attempts, got.Result)
	}
}

// A request that joins a fetch in flight which began more than
// SourceRefetch before the request arrived gets a fetch of its own: the
// shared one may hold the source as it was before the request was sent.
func TestJoinedStaleFetchIsFetchedAgain(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	r := newRig(t, noLimits, func(o *Options) { o.Now = now; o.Limits.SourceRefetch = 10 * time.Second })
	hello := target("posts/hello/")
	var hits atomic.Int32
	src := r.src.setHandler("/slow", func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			time.Sleep(400 * time.Millisecond) // the first fetch is slow
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(linking("T", hello)))
	})
	first := make(chan error, 1)
	go func() {
		_, err := r.srv.fetch.get(context.Background(), src, now())
		first <- err
	}()
	for hits.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	clock = clock.Add(11 * time.Second) // the next request arrives well after the fetch began
	mu.Unlock()
	if _, err := r.srv.fetch.get(context.Background(), src, now()); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("source fetched %d times, want 2: the late request took the fetch that began 11 s before it", n)
	}
}
