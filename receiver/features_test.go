package receiver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/sender"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// Scraper detection: a copy of the post with another title is spam; a
// genuine post quoting one paragraph is not.
func TestScraperDetection(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	scraped := r.src.set("/scraped", 200, `<html><head><title>Best Post Ever (copy)</title></head><body><article><h1>Another title</h1><p>`+
		articleText+`</p><p>Read more at <a href="`+hello+`">the source</a>.</p></article></body></html>`)
	firstSentence := strings.SplitN(articleText, ".", 2)[0] + "."
	quoting := r.src.set("/quoting", 200, `<html><head><title>My take</title></head><body><article><p>I have been thinking about receivers for a while,
and about what a small server should do when a stranger claims to link to it. The answer in
<a href="`+hello+`">this post</a> is to check, and it quotes the problem well:</p>
<blockquote>`+firstSentence+`</blockquote><p>My own view is that moderation matters more than
verification, because spam pages link for real: verification only proves the link exists, not that
the page is worth showing under the post. Still, both together beat what most blogs do today.</p></article></body></html>`)
	for _, c := range []struct {
		src   string
		state mention.State
	}{{scraped, mention.Spam}, {quoting, mention.Pending}} {
		if _, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", c.src, hello); err != nil {
			t.Fatal(err)
		}
		m, _, _ := r.store.Find(context.Background(), c.src, hello)
		if m.State != c.state {
			t.Fatalf("%s: %s (%s)", c.src, m.State, m.Reason)
		}
		if c.state == mention.Spam && !regexpMatch(`^source copies \d+% of the target's text$`, m.Reason) {
			t.Fatalf("reason %q", m.Reason)
		}
	}
	// A negative threshold turns the check off.
	r2 := newRig(t, noLimits, func(o *Options) { o.ScraperThreshold = -1 })
	src := r2.src.set("/scraped", 200, `<html><body><p>`+articleText+`</p><a href="`+hello+`">x</a></body></html>`)
	if _, err := r2.client().Pingback(context.Background(), r2.http.URL+"/xmlrpc", src, hello); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := r2.store.Find(context.Background(), src, hello); m.State != mention.Pending {
		t.Fatalf("check off: %s", m.State)
	}
}

// The policy decides new mentions; a denied host is refused before any
// fetch; an approval fires the on-approve hook, debounced.
func TestPolicyAndHook(t *testing.T) {
	var posts atomic.Int64
	hookSrv := newSources(t)
	hookURL := hookSrv.setHandler("/build", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
	})
	posted := make(chan error, 10)
	r := newRig(t, noLimits, func(o *Options) {
		o.Policy = mention.Policy{Allow: []string{"127.0.0.1"}, Deny: []string{"*.denied.example"}}
		o.OnApproveURL = hookURL
		o.OnApproveInterval = time.Hour
	})
	r.srv.hook.posted = func(err error) { posted <- err }
	hello := target("posts/hello/")
	for i, p := range []string{"/a", "/b", "/c"} {
		src := r.src.set(p, 200, linking("Post", hello))
		if _, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", src, hello); err != nil {
			t.Fatal(err)
		}
		if m, _, _ := r.store.Find(context.Background(), src, hello); m.State != mention.Approved {
			t.Fatalf("%d: %+v", i, m)
		}
	}
	select {
	case err := <-posted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the on-approve URL was not POSTed")
	}
	// Three approvals within the interval: one POST now, the rest folded
	// into one later (an hour away), none in between.
	select {
	case <-posted:
		t.Fatal("a second POST within the interval")
	case <-time.After(200 * time.Millisecond):
	}
	if posts.Load() != 1 {
		t.Fatalf("%d POSTs", posts.Load())
	}
	_, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", "https://www.denied.example/x", hello)
	var fe *linkback.FaultError
	if !errors.As(err, &fe) || fe.Code != 49 {
		t.Fatalf("denied host: %v", err)
	}
}

// /metrics exposes the request, queue, fetch and verification series.
func TestMetrics(t *testing.T) {
	r := newRig(t, noLimits)
	hello := target("posts/hello/")
	src := r.src.set("/m", 200, linking("M", hello))
	r.postForm("/webmention", url.Values{"source": {src}, "target": {hello}})
	r.waitSettled()
	r.postForm("/webmention", url.Values{"source": {"nope"}, "target": {hello}})
	_, _, body := r.get("/metrics", "")
	for _, want := range []string{
		`hugo_pingback_receiver_requests_total{code="202",endpoint="webmention"} 1`,
		`hugo_pingback_receiver_requests_total{code="400",endpoint="webmention"} 1`,
		`hugo_pingback_receiver_queue_depth 0`,
		`hugo_pingback_receiver_source_fetches_total{outcome="ok"} 1`,
		`hugo_pingback_receiver_verifications_total{outcome="pending",protocol="webmention"} 1`,
		`hugo_pingback_receiver_request_duration_seconds_bucket{endpoint="webmention",le=`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// SiteTargets picks up a new build without a restart: a new page, a
// removed page, a changed opt-out.
func TestSiteTargetsReload(t *testing.T) {
	dir := t.TempDir()
	roots := writeSite(t, dir)
	pf := site.PagesPath(filepath.Join(dir, ".hugo-pingback", "ledger.db"))
	tg, err := NewSiteTargets(roots, SiteOptions{PagesFile: pf, RescanEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(path string) error {
		u, _ := url.Parse(target(path))
		return tg.Check(ctx, u)
	}
	tests := []struct {
		path string
		want error
	}{
		{"posts/hello/", nil},                 // a page
		{"posts/hello", nil},                  // without the slash
		{"posts/hello/index.html", nil},       // by its file name
		{"posts/a%20b/", nil},                 // escaped path
		{"posts/unicode/", nil},               // plain path
		{"posts/closed/", ErrClosedTarget},    // pingbackReceive: false
		{"posts/nope/", ErrUnknownTarget},     // no such page
		{"404.html", ErrUnknownTarget},        // the 404 page
		{"posts/index.xml", ErrUnknownTarget}, // a feed
		// A query names the same file: a static host ignores it, and links
		// carry ?utm_source=… that senders keep in the target (WordPress,
		// recorded in testdata/wordpress/pingback-target-query.txtar).
		{"posts/hello/?utm_source=wp", nil},
		{"posts/hello?x=1&y=2", nil},
		{"posts/closed/?x=1", ErrClosedTarget}, // and keeps the page's opt-out
		{"posts/nope/?x=1", ErrUnknownTarget},  // but makes no page of a missing one
		{"static/../posts/", ErrUnknownTarget}, // not a file
		{"POSTS/hello/", ErrUnknownTarget},     // paths are case-sensitive
		{"posts/second/index.html", nil},       // in the files, not in the pages file
		{"posts/second/index.htm", ErrUnknownTarget},
	}
	for _, tt := range tests {
		if err := check(tt.path); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tt.path, err, tt.want)
		}
	}
	// A new build: a new page, hello removed, closed opened.
	pub := roots[0].Dir
	os.MkdirAll(filepath.Join(pub, "posts", "new"), 0o755)
	os.WriteFile(filepath.Join(pub, "posts", "new", "index.html"), []byte("<html>new</html>"), 0o644)
	os.RemoveAll(filepath.Join(pub, "posts", "hello"))
	if err := site.SavePages(pf, site.BuildOf(roots, "production"), map[string]sender.PageInfo{
		target("posts/closed/"): {URL: target("posts/closed/"), File: "posts/closed/index.html", Root: pub},
	}); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(pf, future, future)
	deadline := time.Now().Add(5 * time.Second)
	for check("posts/closed/") != nil && time.Now().Before(deadline) {
		<-time.After(50 * time.Millisecond) // the stamp is checked at most once a second
	}
	for path, want := range map[string]error{"posts/new/": nil, "posts/hello/": ErrUnknownTarget, "posts/closed/": nil} {
		if err := check(path); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("after the build, %s: %v, want %v", path, err, want)
		}
	}
	if _, err := NewSiteTargets([]config.Root{{Dir: filepath.Join(dir, "missing"), BaseURL: siteURL}}, SiteOptions{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing publish dir: %v", err)
	}
}

// LiveTargets: a GET answering 200 is a page; others are not; answers are
// cached, and the GETs rate-limited.
func TestLiveTargets(t *testing.T) {
	site := newSources(t)
	site.set("/post/", 200, "<html><body><p>"+articleText+"</p></body></html>")
	site.set("/broken/", 500, "oops")
	c := linkback.NewClient(linkback.ClientOptions{AllowPrivate: true})
	tg := NewLiveTargets(c, LiveOptions{PerMinute: 18}) // a burst of 3
	ctx := context.Background()
	u := func(p string) *url.URL { v, _ := url.Parse(site.srv.URL + p); return v }
	if err := tg.Check(ctx, u("/post/")); err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(ctx, u("/post")); err != nil { // same page by Key, from the cache
		t.Fatal(err)
	}
	if text, err := tg.Text(ctx, u("/post/")); err != nil || !strings.Contains(text, "Static sites have no server") {
		t.Fatalf("text %q, %v", text, err)
	}
	if n := site.count("/post/"); n != 1 {
		t.Fatalf("%d GETs of a cached page", n)
	}
	if err := tg.Check(ctx, u("/nope/")); !errors.Is(err, ErrUnknownTarget) {
		t.Fatalf("missing page: %v", err)
	}
	// Trouble on our own site is not the sender's fault: not "unknown".
	if err := tg.Check(ctx, u("/broken/")); err == nil || errors.Is(err, ErrUnknownTarget) {
		t.Fatalf("500: %v", err)
	}
	// The burst is spent: a flood of unknown pages gets ErrTargetBusy.
	var busy int
	for i := range 5 {
		if err := tg.Check(ctx, u("/x"+string(rune('a'+i)))); errors.Is(err, ErrTargetBusy) {
			busy++
		}
	}
	if busy == 0 {
		t.Fatal("no rate limit on live target checks")
	}
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}

// The default moderation, "unknown": a host's first mention waits; once a
// moderator approved one, its next mentions are approved at once.
func TestModerationUnknown(t *testing.T) {
	r := newRig(t, noLimits)
	hello, second := target("posts/hello/"), target("posts/second/")
	first := r.src.set("/first", 200, linking("First", hello))
	next := r.src.set("/next", 200, linking("Next", second))
	if _, err := r.client().Pingback(context.Background(), r.http.URL+"/xmlrpc", first, hello); err != nil {
		t.Fatal(err)
	}
	m, _, _ := r.store.Find(context.Background(), first, hello)
	if m.State != mention.Pending || !strings.Contains(m.Reason, "first mention from 127.0.0.1") {
		t.Fatalf("first: %s %q", m.State, m.Reason)
	}
	if _, err := r.store.Moderate(context.Background(), []mention.ID{m.ID}, mention.Approved, ""); err != nil {
		t.Fatal(err)
	}
	if code, _, body := r.postForm("/webmention", url.Values{"source": {next}, "target": {second}}); code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	if got := r.waitSettled(); got.State != mention.Accepted || got.Result != "accepted: the mention is approved" {
		t.Fatalf("next: %+v", got)
	}
}
