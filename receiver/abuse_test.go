package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// healthWatch polls /healthz until stop is closed and fails the test if it
// ever does not answer 200. The bound is loose (10 s): it is about staying
// up, and the flood shares two cores with whatever else the machine runs.
func healthWatch(t *testing.T, base string) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	var failures atomic.Int64
	var checks atomic.Int64
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 10 * time.Second}
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			resp, err := c.Get(base + "/healthz")
			if err != nil || resp.StatusCode != 200 {
				failures.Add(1)
			}
			if resp != nil {
				resp.Body.Close()
			}
			checks.Add(1)
		}
	})
	return func() {
		close(done)
		wg.Wait()
		if f := failures.Load(); f > 0 || checks.Load() == 0 {
			t.Errorf("/healthz failed %d of %d checks during the flood", f, checks.Load())
		}
	}
}

// The reflection attack: 10,000 requests, Pingback and Webmention, from
// many "clients", all naming one victim source. The victim is fetched once
// per SourceRefetch at most, and the server answers /healthz throughout.
func TestFloodNamingOneSource(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	victim := r.src.set("/victim", 200, linking("Victim", hello))
	stop := healthWatch(t, r.http.URL)

	const total = 10000
	pingback := func(source, target string) (string, string, string) {
		return "/xmlrpc", "text/xml", fmt.Sprintf(`<methodCall><methodName>pingback.ping</methodName><params>`+
			`<param><value>%s</value></param><param><value>%s</value></param></params></methodCall>`, source, target)
	}
	webmention := func(source, target string) (string, string, string) {
		return "/webmention", "application/x-www-form-urlencoded", url.Values{"source": {source}, "target": {target}}.Encode()
	}
	answers := flood(t, r.http.URL, total, func(i int) (string, string, string) {
		// Each request names another URL of the site (a real flood varies
		// the target to dodge "already registered").
		tgt := hello + "?v=" + strconv.Itoa(i)
		if i%2 == 0 {
			return webmention(victim, tgt)
		}
		return pingback(victim, tgt)
	})
	stop()
	t.Logf("answers by HTTP status: %v", answers)
	// A query names the same page (a static host serves it whatever the
	// query), so these are admitted, and all of them together cost the
	// victim one fetch: the Pingbacks were verified while they waited, from
	// one shared fetch, and the queued Webmentions find it in the cache.
	if n := r.src.count("/victim"); n != 1 {
		t.Fatalf("victim fetched %d times by %d requests naming it, want 1", n, total)
	}

	// Now the same with real pages of the site: admitted, verified, and
	// still only one fetch per protocol within the cache period.
	pages := []string{hello, target("posts/second/")}
	stop = healthWatch(t, r.http.URL)
	flood(t, r.http.URL, total, func(i int) (string, string, string) {
		if i%3 == 0 {
			return pingback(victim, pages[i%2])
		}
		return webmention(victim, pages[i%2])
	})
	// Wait for the queue to drain, so every queued request has been verified.
	deadline := time.Now().Add(30 * time.Second)
	for r.srv.queue.pending() > 0 && time.Now().Before(deadline) {
		<-time.After(10 * time.Millisecond)
	}
	stop()
	if n := r.srv.queue.pending(); n > 0 {
		t.Fatalf("%d requests still queued", n)
	}
	// One fetch, for both protocols, in the minute the flood lasted.
	if n := r.src.count("/victim"); n != 1 {
		t.Fatalf("victim fetched %d times for %d requests, want 1", n, total)
	}
	t.Logf("victim fetched %d times for %d requests", r.src.count("/victim"), total)
}

// flood sends total requests, 32 at a time, each the path, content type
// and body req returns, and counts the answers by status.
func flood(t *testing.T, base string, total int, req func(i int) (path, ctype, body string)) map[int]int {
	t.Helper()
	const parallel = 32
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel}, Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	var next atomic.Int64
	var mu sync.Mutex
	answers := map[int]int{}
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > total {
					return
				}
				path, ctype, body := req(i)
				resp, err := c.Post(base+path, ctype, strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				answers[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return answers
}

// A flood from one client IP: past the burst, 429 with Retry-After, and
// /healthz answers throughout.
func TestFloodFromOneIP(t *testing.T) {
	// The default per-IP limit (2/s, burst 30); the per-host one lifted, as
	// the sources are all on one host here.
	r := newRig(t, func(o *Options) { o.Limits.PerSource = rate.Inf })
	hello := target("posts/hello/")
	src := r.src.set("/post", 200, linking("Post", hello))
	stop := healthWatch(t, r.http.URL)
	var ok, limited int
	for i := range 200 {
		code, h, body := r.postForm("/webmention", url.Values{"source": {src + "?" + strconv.Itoa(i)}, "target": {hello}})
		switch code {
		case 202:
			ok++
		case 429:
			limited++
			if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("429 without Retry-After: %q", h.Get("Retry-After"))
			}
			if !strings.Contains(body, "too many requests") {
				t.Fatalf("429 body %q", body)
			}
		default:
			t.Fatalf("HTTP %d: %s", code, body)
		}
	}
	stop()
	// The burst (30) and whatever refilled while the loop ran.
	if ok < 30 || ok > 60 || limited < 140 {
		t.Fatalf("%d accepted, %d limited", ok, limited)
	}
	// Pingbacks from the same IP share the bucket: 429 too.
	resp, err := http.Post(r.http.URL+"/xmlrpc", "text/xml", strings.NewReader(`<methodCall><methodName>system.listMethods</methodName></methodCall>`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("pingback after the flood: %d", resp.StatusCode)
	}
}

// Many requests naming sources on one host are limited per host too,
// whatever client sends them.
func TestPerSourceHostLimit(t *testing.T) {
	r := newRig(t, func(o *Options) {
		o.Limits.PerIP = 1000
		o.Limits.PerIPBurst = 1000
		o.Limits.PerSource = 0.1
		o.Limits.PerSourceBurst = 5
	})
	hello := target("posts/hello/")
	var codes []int
	for i := range 10 {
		code, _, _ := r.postForm("/webmention", url.Values{"source": {r.src.srv.URL + "/p" + strconv.Itoa(i)}, "target": {hello}})
		codes = append(codes, code)
	}
	want := "[202 202 202 202 202 429 429 429 429 429]"
	if fmt.Sprint(codes) != want {
		t.Fatalf("codes %v, want %s", codes, want)
	}
}

// The bounded queue: when full, 429 with Retry-After, nothing stored.
func TestQueueFull(t *testing.T) {
	block := make(chan struct{})
	r := newRig(t, noLimits, func(o *Options) {
		o.Limits.Queue = 3
		o.Limits.Workers = 1
	})
	hello := target("posts/hello/")
	slow := r.src.setHandler("/slow", func(w http.ResponseWriter, req *http.Request) {
		<-block
		w.Write([]byte(linking("Slow", hello)))
	})
	defer close(block)
	for i := range 3 {
		if code, _, body := r.postForm("/webmention", url.Values{"source": {slow + "?" + strconv.Itoa(i)}, "target": {hello}}); code != 202 {
			t.Fatalf("request %d: %d %s", i, code, body)
		}
	}
	code, h, body := r.postForm("/webmention", url.Values{"source": {slow + "?4"}, "target": {hello}})
	if code != 429 || h.Get("Retry-After") == "" || !strings.Contains(body, "queue is full") {
		t.Fatalf("4th: %d %q %s", code, h.Get("Retry-After"), body)
	}
	if r.mem.enqueued != 3 {
		t.Fatalf("%d stored, want 3", r.mem.enqueued)
	}
}

// Oversized bodies are refused on every endpoint without reading them whole.
func TestOversizedBodies(t *testing.T) {
	r := newRig(t, noLimits)
	big := strings.Repeat("a", 100<<10)
	stop := healthWatch(t, r.http.URL)
	defer stop()
	code, _, body := r.postForm("/webmention", url.Values{"source": {big}, "target": {"x"}})
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "over 64 KiB") {
		t.Fatalf("webmention: %d %s", code, body)
	}
	code, _, body = r.postForm("/trackback/posts/hello/", url.Values{"url": {big}})
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "<error>1</error>") {
		t.Fatalf("trackback: %d %s", code, body)
	}
	resp, err := http.Post(r.http.URL+"/xmlrpc", "text/xml", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	data := readAll(t, resp)
	resp.Body.Close()
	_, err = linkback.ParseMethodResponse(data)
	var fe *linkback.FaultError
	if !errors.As(err, &fe) || fe.Code != linkback.FaultInvalid {
		t.Fatalf("xmlrpc: %v", err)
	}
}

// An XML bomb in a flood: every one refused fast, the server stays up.
func TestXMLBombFlood(t *testing.T) {
	r := newRig(t, noLimits)
	stop := healthWatch(t, r.http.URL)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				resp, err := http.Post(r.http.URL+"/xmlrpc", "text/xml", strings.NewReader(billionLaughs))
				if err != nil {
					t.Error(err)
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(data), "<int>-32600</int>") {
					t.Errorf("bomb answer: %s", data)
					return
				}
			}
		})
	}
	wg.Wait()
	stop()
}

// SSRF: without AllowPrivate, sources on loopback, private, link-local and
// IPv4-mapped addresses are refused (fault 49 / refused), also when a
// public source redirects there; the private server is never reached.
func TestSSRFRefused(t *testing.T) {
	inner := newSources(t)
	inner.set("/secret", 200, linking("Secret", target("posts/hello/")))
	public := newSources(t) // stands in for a public host: the guard lets its address pass
	publicAddr := netip.MustParseAddrPort(strings.TrimPrefix(public.srv.URL, "http://"))
	r := newRig(t, noLimits, func(o *Options) {
		o.Client = linkback.NewClient(linkback.ClientOptions{Timeout: 2 * time.Second,
			Allow: func(ap netip.AddrPort) bool { return ap == publicAddr }})
	})
	hello := target("posts/hello/")
	port := strings.TrimPrefix(inner.srv.URL, "http://127.0.0.1:")
	redirect := public.setHandler("/hop", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, inner.srv.URL+"/secret", http.StatusFound)
	})
	public.set("/fine", 200, linking("Fine", hello))
	sources := []struct {
		name, url string
	}{
		{"loopback", inner.srv.URL + "/secret"},
		{"localhost name", "http://localhost:" + port + "/secret"},
		{"IPv6 loopback", "http://[::1]:" + port + "/secret"},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/secret"},
		// Private (10/8) and link-local (169.254/16) ranges are refused by
		// the same guard (linkback's TestIsPublicAddr covers every range);
		// they are not dialled here, since nothing may leave loopback even
		// if the guard broke.
		{"zero address", "http://0.0.0.0:" + port + "/secret"},
	}
	for _, s := range sources {
		t.Run("pingback "+s.name, func(t *testing.T) {
			_, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", s.url, hello)
			var fe *linkback.FaultError
			if !errors.As(err, &fe) || fe.Code != linkback.FaultAccessDenied {
				t.Fatalf("err = %v, want fault 49", err)
			}
		})
	}
	// Through a redirect from the "public" host, as a Webmention.
	code, _, body := r.postForm("/webmention", url.Values{"source": {redirect}, "target": {hello}})
	if code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	got := r.waitSettled()
	if got.State != mention.Refused || !strings.Contains(got.Result, "private or loopback") {
		t.Fatalf("redirect to loopback: %+v", got)
	}
	if n := inner.count("/secret"); n != 0 {
		t.Fatalf("the private server was reached %d times", n)
	}
	// The public stand-in itself works: the guard is not simply shut.
	if _, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", public.srv.URL+"/fine", hello); err != nil {
		t.Fatalf("public source: %v", err)
	}
}
