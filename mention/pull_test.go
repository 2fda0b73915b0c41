package mention

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// fakeWebmentionIO answers api/mentions.jf2 as webmention.io does, from the
// recorded answers in testdata/webmentionio: with per-page=2, page 0 and 1
// of everything, then since_id=1843220 gives the newer ones.
type fakeWebmentionIO struct {
	t    *testing.T
	fail bool // answer the token as invalid

	mu    sync.Mutex
	calls []string // query strings
}

func (f *fakeWebmentionIO) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.calls = append(f.calls, r.URL.RawQuery)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/api/mentions.jf2" || q.Get("per-page") != "2" {
		http.Error(w, "unexpected request "+r.URL.String(), http.StatusTeapot)
		return
	}
	if f.fail || q.Get("token") != "wm-token" {
		w.WriteHeader(http.StatusForbidden)
		w.Write(fixture(f.t, "error.json"))
		return
	}
	var file string
	switch q.Get("since_id") + "/" + q.Get("page") {
	case "/0":
		file = "page0.json"
	case "/1":
		file = "page1.json"
	case "1843220/0":
		file = "since.json"
	default:
		w.Write([]byte(`{"type":"feed","name":"Webmentions","children":[]}`))
		return
	}
	w.Write(fixture(f.t, file))
}

func fixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "webmentionio", name))
	if err != nil {
		t.Error(err)
	}
	return b
}

func (f *fakeWebmentionIO) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func TestPullWebmentionIO(t *testing.T) {
	fake := &fakeWebmentionIO{t: t}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	w := WebmentionIO{Token: "wm-token", Endpoint: srv.URL + "/api/mentions.jf2", Client: loopbackClient(), PerPage: 2}

	// The site's own receiver has one approved mention of the same post.
	s, data := exportSite(t)
	if _, err := Export(ctx, s, data); err != nil {
		t.Fatal(err)
	}

	// First pull: two pages, everything.
	res, err := PullWebmentionIO(ctx, w, data)
	if err != nil {
		t.Fatal(err)
	}
	if calls := fake.takeCalls(); len(calls) != 2 || !strings.Contains(calls[1], "page=1") || strings.Contains(calls[0], "since_id") {
		t.Errorf("first pull asked %v; want pages 0 and 1, no since_id", calls)
	}
	if res.Pulled != 3 || !reflect.DeepEqual(res.Written, []string{"_index.json", "posts/hello-world.json"}) {
		t.Errorf("first pull: %+v", res)
	}
	hello := readFeed(t, filepath.Join(data, "mentions", "posts", "hello-world.json"))
	var srcs []string
	for _, e := range hello.Children {
		srcs = append(srcs, fmt.Sprint(e.WMID, " ", e.WMProperty))
	}
	// The receiver's two, then webmention.io's reply and like, by wm-id.
	if want := []string{"1 in-reply-to", "2 in-reply-to", "1843002 in-reply-to", "1843107 like-of"}; !reflect.DeepEqual(srcs, want) {
		t.Errorf("hello-world.json entries %v, want %v", srcs, want)
	}
	like := hello.Children[3]
	if like.Published != nil || like.Author.Photo == "" || like.LikeOf != "https://blog.example.net/posts/hello-world/" || like.WMSource == "" {
		t.Errorf("the like as recorded: %+v", like)
	}

	// Second pull: since_id is the highest wm-id seen; the private mention
	// is not shown, the repost is added.
	res, err = PullWebmentionIO(ctx, w, data)
	if err != nil {
		t.Fatal(err)
	}
	if calls := fake.takeCalls(); len(calls) != 2 || !strings.Contains(calls[0], "since_id=1843220") {
		t.Errorf("second pull asked %v; want since_id=1843220, pages 0 and 1", calls)
	}
	if res.Pulled != 1 || !reflect.DeepEqual(res.Written, []string{"posts/hello-world.json"}) {
		t.Errorf("second pull: %+v", res)
	}
	hello = readFeed(t, filepath.Join(data, "mentions", "posts", "hello-world.json"))
	if n := len(hello.Children); n != 5 || hello.Children[4].WMProperty != "repost-of" {
		t.Errorf("after the second pull hello-world.json has %d entries: %+v", n, hello.Children)
	}

	// Third pull: nothing new, nothing written.
	before := tree(t, data)
	res, err = PullWebmentionIO(ctx, w, data)
	if err != nil || res.Pulled != 0 || len(res.Written) != 0 {
		t.Errorf("third pull: %+v, %v", res, err)
	}
	if after := tree(t, data); !reflect.DeepEqual(before, after) {
		t.Errorf("a pull with nothing new touched files")
	}
	fake.takeCalls()

	// An Export keeps webmention.io's entries.
	if _, err := Export(ctx, s, data); err != nil {
		t.Fatal(err)
	}
	if n := len(readFeed(t, filepath.Join(data, "mentions", "posts", "hello-world.json")).Children); n != 5 {
		t.Errorf("Export after pulls left %d entries, want 5", n)
	}

	// An error answer: the message, no token, nothing changed.
	fake.fail = true
	before = tree(t, data)
	state, _ := os.ReadFile(filepath.Join(data, "mentions", StateFile))
	_, err = PullWebmentionIO(ctx, w, data)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "The token provided is not valid") || strings.Contains(err.Error(), "wm-token") {
		t.Errorf("pull with a refused token = %v; want the 403 and its message, without the token", err)
	}
	if after := tree(t, data); !reflect.DeepEqual(before, after) {
		t.Error("a failed pull changed files")
	}
	if now, _ := os.ReadFile(filepath.Join(data, "mentions", StateFile)); string(now) != string(state) {
		t.Error("a failed pull changed the state")
	}
	var st exportState
	json.Unmarshal(state, &st)
	if st.WebmentionIO.SinceID != 1843560 {
		t.Errorf("since_id = %d, want 1843560 (the private one counts as seen)", st.WebmentionIO.SinceID)
	}
	if _, err := PullWebmentionIO(ctx, WebmentionIO{Endpoint: w.Endpoint}, data); err == nil || !strings.Contains(err.Error(), "WEBMENTION_IO_TOKEN") {
		t.Errorf("pull without a token = %v", err)
	}
}

// A full pull asks for everything again and keeps only what webmention.io
// has now: a mention it dropped since (here the repost only the since_id
// answer has) goes from the files.
func TestPullWebmentionIOFull(t *testing.T) {
	fake := &fakeWebmentionIO{t: t}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	w := WebmentionIO{Token: "wm-token", Endpoint: srv.URL + "/api/mentions.jf2", Client: loopbackClient(), PerPage: 2}
	s, data := exportSite(t)
	if _, err := Export(ctx, s, data); err != nil {
		t.Fatal(err)
	}
	for range 2 { // everything, then the repost since the last wm-id
		if _, err := PullWebmentionIO(ctx, w, data); err != nil {
			t.Fatal(err)
		}
	}
	hasRepost := func() bool {
		for _, e := range readFeed(t, filepath.Join(data, "mentions", "posts", "hello-world.json")).Children {
			if e.WMProperty == "repost-of" {
				return true
			}
		}
		return false
	}
	if !hasRepost() {
		t.Fatal("the repost was not pulled")
	}
	fake.takeCalls()
	w.Full = true
	if _, err := PullWebmentionIO(ctx, w, data); err != nil {
		t.Fatal(err)
	}
	for _, c := range fake.takeCalls() {
		if strings.Contains(c, "since_id") {
			t.Errorf("a full pull asked %s", c)
		}
	}
	if hasRepost() {
		t.Error("after a full pull, the repost webmention.io no longer lists is still shown")
	}
}
