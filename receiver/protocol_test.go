package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// Every Pingback answer, called with the project's own XML-RPC client.
func TestPingbackAnswers(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	good := r.src.set("/good", 200, linking("Good post", hello))
	repeat := r.src.set("/repeat", 200, linking("Repeat", hello))
	nolink := r.src.set("/nolink", 200, `<html><title>x</title><body><a href="https://other.example/">elsewhere</a></body></html>`)
	inComment := r.src.set("/comment", 200, `<html><body><!-- <a href="`+hello+`">x</a> --></body></html>`)
	missing := r.src.srv.URL + "/missing"
	gone := r.src.set("/gone", 410, "gone")
	broken := r.src.set("/broken", 503, "down")
	redirect := r.src.setHandler("/redirect", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/good", http.StatusMovedPermanently)
	})
	image := r.src.set("/image", 200, "")
	r.src.mu.Lock()
	r.src.pages["/image"] = sourcePage{ctype: "image/png", body: `<a href="` + hello + `">`}
	r.src.mu.Unlock()
	blocked := "http://blocked.example/post"
	if err := r.store.Block(context.Background(), "blocked.example"); err != nil {
		t.Fatal(err)
	}
	// The repeat is registered once before the table runs.
	if _, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", repeat, hello); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name           string
		source, target string
		fault          int
	}{
		// A source that links: registered, held for moderation.
		{"registered", good, hello, 0},
		// The same pair again: 48, which senders count as done.
		{"already registered", repeat, hello, 48},
		// A source without the link.
		{"no link", nolink, hello, 17},
		// A link only inside an HTML comment is no link.
		{"link in a comment", inComment, hello, 17},
		// An image that happens to contain the bytes of a link.
		{"not HTML", image, hello, 17},
		// 404 and 410: the source does not exist.
		{"source missing", missing, hello, 16},
		{"source gone", gone, hello, 16},
		// A 5xx is passing trouble upstream.
		{"source failing", broken, hello, 50},
		// No redirects for pingback sources, as WordPress.
		{"source redirects", redirect, hello, 16},
		// A page that is not on the site.
		{"unknown page", good, target("posts/nope/"), 32},
		// Another site altogether.
		{"foreign target", good, "https://other.example/post/", 32},
		// front matter pingbackReceive: false.
		{"closed page", good, target("posts/closed/"), 33},
		// A blocked host: refused before any fetch.
		{"blocked host", blocked, hello, 49},
		// A source that is not http(s).
		{"ftp source", "ftp://files.example/x", hello, 16},
		// Source and target the same page.
		{"same page", hello, hello + "#top", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", tt.source, tt.target)
			if tt.fault == 0 && tt.name == "registered" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if !strings.Contains(res.Answer, "registered") {
					t.Fatalf("answer %q", res.Answer)
				}
				return
			}
			var fe *linkback.FaultError
			if !errors.As(err, &fe) || fe.Code != tt.fault {
				t.Fatalf("err = %v, want fault %d", err, tt.fault)
			}
			if fe.Message == "" {
				t.Fatal("fault without a message")
			}
		})
	}
	if n := r.src.count("/blocked"); n != 0 {
		t.Fatalf("a blocked source was fetched %d times", n)
	}
	// The registered pingback is a pending mention with the page's title.
	m, ok, err := r.store.Find(context.Background(), good, hello)
	if err != nil || !ok {
		t.Fatalf("no mention: %v", err)
	}
	if m.State != mention.Pending || m.Protocol != mention.Pingback || m.Name != "Good post" || m.ClientIP != "127.0.0.1" {
		t.Fatalf("mention = %+v", m)
	}
}

// The XML-RPC layer: other methods, broken calls, bombs, oversized bodies.
func TestXMLRPCFaults(t *testing.T) {
	r := newRig(t, noLimits)
	tests := []struct {
		name  string
		body  string
		fault int
		want  string // in the answer, for successes
	}{
		// Introspection lists the two methods.
		{"listMethods", `<methodCall><methodName>system.listMethods</methodName><params/></methodCall>`, 0, "pingback.ping"},
		// Any other method.
		{"unknown method", `<methodCall><methodName>wp.getUsersBlogs</methodName><params/></methodCall>`, -32601, ""},
		// pingback.ping with one parameter.
		{"one param", `<methodCall><methodName>pingback.ping</methodName><params><param><value>a</value></param></params></methodCall>`, -32602, ""},
		// Not well-formed.
		{"malformed", `<methodCall><methodName>pingback.ping</methodName>`, -32700, ""},
		// Billion laughs: refused, never expanded.
		{"xml bomb", billionLaughs, -32600, ""},
		// External entity (XXE).
		{"xxe", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><methodCall><methodName>&e;</methodName></methodCall>`, -32600, ""},
		// Over 64 KiB.
		{"oversized", `<methodCall><methodName>pingback.ping</methodName><params><param><value>` + strings.Repeat("x", 70<<10) + `</value></param></params></methodCall>`, -32600, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(r.http.URL+"/xmlrpc", "text/xml", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data := readAll(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("HTTP %d, want faults in 200 answers", resp.StatusCode)
			}
			got, err := linkback.ParseMethodResponse(data)
			if tt.fault == 0 {
				if err != nil || !strings.Contains(got, tt.want) {
					t.Fatalf("answer %q, %v", got, err)
				}
				return
			}
			var fe *linkback.FaultError
			if !errors.As(err, &fe) || fe.Code != tt.fault {
				t.Fatalf("err = %v, want fault %d", err, tt.fault)
			}
		})
	}
	// GET is not a method of the endpoint.
	if code, _, _ := r.get("/xmlrpc", ""); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /xmlrpc: %d", code)
	}
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>pingback.ping</methodName><params><param><value>&lol9;</value></param><param><value>&lol9;</value></param></params></methodCall>`

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every synchronous Webmention refusal: 400 with the reason in words.
func TestWebmention400(t *testing.T) {
	r := newRig(t, noLimits)
	src := r.src.set("/post", 200, linking("Post", target("posts/hello/")))
	tests := []struct {
		name   string
		form   url.Values
		status int
		reason string
	}{
		// W3C 3.2.1: both parameters are required.
		{"no source", url.Values{"target": {target("posts/hello/")}}, 400, "source is missing"},
		{"no target", url.Values{"source": {src}}, 400, "target is missing"},
		// Only http(s) URLs.
		{"ftp source", url.Values{"source": {"ftp://x.example/a"}, "target": {target("posts/hello/")}}, 400, "source is not an http(s) URL"},
		{"mailto target", url.Values{"source": {src}, "target": {"mailto:me@blog.example.net"}}, 400, "target is not an http(s) URL"},
		{"relative source", url.Values{"source": {"/post"}, "target": {target("posts/hello/")}}, 400, "source is not an http(s) URL"},
		// Source and target must differ (after normalisation).
		{"same", url.Values{"source": {target("posts/hello/")}, "target": {"HTTPS://Blog.Example.NET:443/posts/hello"}}, 400, "source and target are the same page"},
		// A target on another site.
		{"foreign", url.Values{"source": {src}, "target": {"https://other.example/x"}}, 400, "target is not on a site this receiver takes mentions for"},
		// A page the site does not have.
		{"unknown page", url.Values{"source": {src}, "target": {target("posts/nope/")}}, 400, "target is not a page of this site"},
		// The 404 page is not a page that takes mentions.
		{"404 page", url.Values{"source": {src}, "target": {target("404.html")}}, 400, "target is not a page of this site"},
		// A page that opted out.
		{"closed", url.Values{"source": {src}, "target": {target("posts/closed/")}}, 400, "target does not take mentions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := r.postForm("/webmention", tt.form)
			if code != tt.status || strings.TrimSpace(body) != tt.reason {
				t.Fatalf("%d %q, want %d %q", code, body, tt.status, tt.reason)
			}
		})
	}
	if n := r.src.count("/post"); n != 0 {
		t.Fatalf("refused requests fetched the source %d times", n)
	}
	if r.mem.enqueued != 0 {
		t.Fatalf("refused requests were stored: %d", r.mem.enqueued)
	}
}

// A good Webmention: 202 with a Location, the status page in words and
// JSON, then accepted once a worker verified it.
func TestWebmentionAcceptedAndStatus(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	src := r.src.set("/reply", 200, `<html><head><title>Re: Hello</title></head><body><img src="`+hello+`"></body></html>`)
	code, h, body := r.postForm("/webmention", url.Values{"source": {src}, "target": {hello}})
	if code != http.StatusAccepted {
		t.Fatalf("%d %s", code, body)
	}
	loc := h.Get("Location")
	if !strings.HasPrefix(loc, "https://rx.example.net/webmention/") || !strings.Contains(body, loc) {
		t.Fatalf("Location %q, body %q", loc, body)
	}
	settled := r.waitSettled()
	if settled.State != mention.Accepted {
		t.Fatalf("settled %+v", settled)
	}
	path := strings.TrimPrefix(loc, "https://rx.example.net")
	code, h, page := r.get(path, "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(page, "held for moderation") {
		t.Fatalf("status page %d %s: %s", code, h.Get("Content-Type"), page)
	}
	code, _, js := r.get(path, "application/json")
	var st Status
	if err := json.Unmarshal([]byte(js), &st); err != nil || code != 200 {
		t.Fatalf("status JSON %d %s: %v", code, js, err)
	}
	if st.State != mention.Accepted || st.Mention == nil || st.Mention.State != mention.Pending || st.Source != src {
		t.Fatalf("status %+v", st)
	}
	// The client IP is never on the public status page.
	if strings.Contains(js, "client_ip") || strings.Contains(page, "client") {
		t.Fatal("status page shows the client IP")
	}
	if code, _, _ := r.get("/webmention/nosuchid", ""); code != 404 {
		t.Fatalf("unknown status id: %d", code)
	}
}

// Webmention verification outcomes, settled by the workers.
func TestWebmentionVerification(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	tests := []struct {
		name   string
		page   sourcePage
		state  mention.RequestState
		result string
	}{
		// An <a href> with a trailing-slash variant of the target.
		{"link", sourcePage{body: linking("A", strings.TrimSuffix(hello, "/"))}, mention.Accepted, "held for moderation"},
		// Only inside a <script>: not a link.
		{"script only", sourcePage{body: `<html><body><script>var u = "<a href='` + hello + `'>";</script></body></html>`}, mention.Refused, "does not link"},
		// 404: refused for good.
		{"missing", sourcePage{status: 404}, mention.Refused, "404"},
		// Not HTML.
		{"json", sourcePage{ctype: "application/json", body: `{"url":"` + hello + `"}`}, mention.Refused, "not an HTML page"},
		// A link past the 1 MiB cap does not count.
		{"past the cap", sourcePage{body: "<html><body>" + strings.Repeat("<p>padding</p>", 80000) + `<a href="` + hello + `">late</a></body></html>`}, mention.Refused, "in its first 1024 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/" + strings.ReplaceAll(tt.name, " ", "-")
			r.src.mu.Lock()
			r.src.pages[path] = tt.page
			r.src.mu.Unlock()
			code, _, body := r.postForm("/webmention", url.Values{"source": {r.src.srv.URL + path}, "target": {hello}})
			if code != 202 {
				t.Fatalf("%d %s", code, body)
			}
			got := r.waitSettled()
			if got.State != tt.state || !strings.Contains(got.Result, tt.result) {
				t.Fatalf("settled %s %q, want %s %q", got.State, got.Result, tt.state, tt.result)
			}
		})
	}
}

// Redirects: a Webmention source may redirect (up to 5 hops), and links
// are resolved against the final URL.
func TestWebmentionRedirects(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	r.src.set("/final/post", 200, `<html><body><a href="`+hello+`">x</a></body></html>`)
	hop := r.src.setHandler("/moved", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/final/post", http.StatusMovedPermanently)
	})
	loop := r.src.setHandler("/loop", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/loop", http.StatusFound)
	})
	for _, c := range []struct {
		src   string
		state mention.RequestState
	}{{hop, mention.Accepted}, {loop, mention.Refused}} {
		if code, _, body := r.postForm("/webmention", url.Values{"source": {c.src}, "target": {hello}}); code != 202 {
			t.Fatalf("%d %s", code, body)
		}
		if got := r.waitSettled(); got.State != c.state {
			t.Fatalf("%s: %s %q", c.src, got.State, got.Result)
		}
	}
}

// Updates and deletes: a new request for a known source re-verifies it.
func TestWebmentionUpdateAndDelete(t *testing.T) {
	r := newRig(t, noLimits, func(o *Options) { o.Limits.SourceCache = 1 }) // every request fetches
	hello := target("posts/hello/")
	src := r.src.set("/post", 200, linking("First title", hello))
	send := func() mention.Request {
		t.Helper()
		if code, _, body := r.postForm("/webmention", url.Values{"source": {src}, "target": {hello}}); code != 202 {
			t.Fatalf("%d %s", code, body)
		}
		return r.waitSettled()
	}
	send()
	m, _, _ := r.store.Find(context.Background(), src, hello)
	if m.Name != "First title" {
		t.Fatalf("first: %+v", m)
	}
	// The moderator approves; an update keeps that.
	if _, err := r.store.Moderate(context.Background(), []mention.ID{m.ID}, mention.Approved, ""); err != nil {
		t.Fatal(err)
	}
	r.src.set("/post", 200, linking("Edited title", hello))
	send()
	m2, _, _ := r.store.Find(context.Background(), src, hello)
	if m2.ID != m.ID || m2.Name != "Edited title" || m2.State != mention.Approved {
		t.Fatalf("update: %+v", m2)
	}
	// The source removes the link: deleted, kept, with the reason.
	r.src.set("/post", 200, `<html><title>Edited</title><body>no link now</body></html>`)
	got := send()
	m3, _, _ := r.store.Find(context.Background(), src, hello)
	if m3.State != mention.Deleted || !strings.Contains(m3.Reason, "no longer links") || got.State != mention.Accepted {
		t.Fatalf("unlinked: %+v, request %+v", m3, got)
	}
	// It links again, then answers 410: deleted with that reason.
	r.src.set("/post", 200, linking("Back", hello))
	send()
	if m4, _, _ := r.store.Find(context.Background(), src, hello); m4.State != mention.Pending {
		t.Fatalf("relinked: %+v", m4)
	}
	r.src.set("/post", 410, "gone")
	send()
	m5, _, _ := r.store.Find(context.Background(), src, hello)
	if m5.State != mention.Deleted || !strings.Contains(m5.Reason, "410") || m5.Name != "Back" {
		t.Fatalf("gone: %+v", m5)
	}
	if n := len(r.mentions()); n != 1 {
		t.Fatalf("%d mentions, want the one updated", n)
	}
}

// A source failing for a passing reason is retried with backoff, then
// verified; one that keeps failing is refused after the attempts.
func TestWebmentionRetry(t *testing.T) {
	r := newRig(t, noLimits, func(o *Options) {
		o.Limits.SourceCache = 1
		o.Limits.Attempts = 3
	})
	hello := target("posts/hello/")
	fails := 2
	flaky := r.src.setHandler("/flaky", func(w http.ResponseWriter, req *http.Request) {
		r.src.mu.Lock()
		f := fails
		fails--
		r.src.mu.Unlock()
		if f > 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(linking("Finally", hello)))
	})
	if code, _, _ := r.postForm("/webmention", url.Values{"source": {flaky}, "target": {hello}}); code != 202 {
		t.Fatal(code)
	}
	for i := 1; i <= 2; i++ {
		got := r.waitSettled()
		if got.State != mention.Queued || got.Attempts != i || !strings.Contains(got.Result, "503") || got.NextAttempt.IsZero() {
			t.Fatalf("attempt %d: %+v", i, got)
		}
	}
	if got := r.waitSettled(); got.State != mention.Accepted {
		t.Fatalf("third attempt: %+v", got)
	}
	down := r.src.set("/down", 502, "bad gateway")
	if code, _, _ := r.postForm("/webmention", url.Values{"source": {down}, "target": {hello}}); code != 202 {
		t.Fatal(code)
	}
	var last mention.Request
	for range 3 {
		last = r.waitSettled()
	}
	if last.State != mention.Refused || !strings.Contains(last.Result, "gave up after 3 attempts") {
		t.Fatalf("after the last attempt: %+v", last)
	}
}

// Trackback 1.2 answers.
func TestTrackbackAnswers(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	src := r.src.set("/tb", 200, linking("Trackback source", hello))
	nolink := r.src.set("/tb-nolink", 200, "<html><body>nothing</body></html>")
	tests := []struct {
		name string
		path string
		form url.Values
		msg  string // "" for error 0
	}{
		// A verified trackback.
		{"ok", "/trackback/posts/hello/", url.Values{"url": {src}, "title": {"T"}, "excerpt": {"E"}, "blog_name": {"B"}}, ""},
		// The same again: WordPress's words, which senders take as done.
		{"repeat", "/trackback/posts/hello/", url.Values{"url": {src}}, "We already have a ping from that URL for this post."},
		// url is required.
		{"no url", "/trackback/posts/hello/", url.Values{"title": {"T"}}, "url is missing"},
		// A post the site does not have.
		{"no post", "/trackback/posts/nope/", url.Values{"url": {src}}, "no such post"},
		// A post that opted out.
		{"closed", "/trackback/posts/closed/", url.Values{"url": {src}}, "no such post"},
		// The url does not link to the post.
		{"no link", "/trackback/posts/hello/", url.Values{"url": {nolink}}, "the source does not link to the target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := r.postForm(tt.path, tt.form)
			if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/xml") {
				t.Fatalf("%d %s", code, h.Get("Content-Type"))
			}
			want := "<error>0</error>"
			if tt.msg != "" {
				want = "<error>1</error>\n<message>" + strings.ReplaceAll(tt.msg, "'", "&#39;") + "</message>"
			}
			if !strings.Contains(body, want) {
				t.Fatalf("answer %s, want %s", body, want)
			}
		})
	}
	m, ok, _ := r.store.Find(context.Background(), src, hello)
	if !ok || m.Protocol != mention.Trackback || m.Name != "Trackback source" || m.Author.Name != "B" {
		t.Fatalf("mention %+v", m)
	}
	// The project's own Trackback client reads the answers as the spec says.
	_, err := r.client().Trackback(context.Background(), r.http.URL+"/trackback/posts/hello/", linkback.TrackbackPing{URL: src})
	var te *linkback.TrackbackError
	if !errors.As(err, &te) || !te.Duplicate() {
		t.Fatalf("repeat through the client: %v", err)
	}
}

// GET /healthz.
func TestHealthz(t *testing.T) {
	r := newRig(t)
	if code, _, body := r.get("/healthz", ""); code != 200 || body != "ok\n" {
		t.Fatalf("%d %q", code, body)
	}
}

// A Webmention committed while the server starts (before Run reloaded the
// queue from the store) is verified once, not once by the handler's queue
// entry and again by the reload.
func TestQueueReloadTakesEachRequestOnce(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	src := r.src.set("/once", 200, linking("Once", hello))
	// A second server on the same store, not running yet: its handler
	// commits and queues the request, then Run reloads the store's queue,
	// which holds the same request.
	o := r.srv.opts
	o.Registry = nil
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	settled := make(chan mention.Request, 10)
	srv.verifyDone = func(req mention.Request) { settled <- req }
	h := httptest.NewServer(srv.Handler())
	defer h.Close()
	resp, err := http.PostForm(h.URL+"/webmention", url.Values{"source": {src}, "target": {hello}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if got := <-settled; got.State != mention.Accepted {
		t.Fatalf("settled %+v", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.queue.pending() > 0 && time.Now().Before(deadline) {
		<-time.After(5 * time.Millisecond)
	}
	if n := srv.queue.pending(); n != 0 {
		t.Fatalf("%d requests still held after the only one settled", n)
	}
	select {
	case again := <-settled:
		t.Fatalf("verified twice: %+v", again)
	default:
	}
}
