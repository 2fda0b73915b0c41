package linkback

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/peertest"
)

// startPythonPeer runs testdata/peer/pingback_server.py, an independent
// Pingback receiver built on Python's xmlrpc.server, and returns its base URL.
func startPythonPeer(t *testing.T) string {
	t.Helper()
	return peertest.Start(t, peertest.Script(t, "pingback_server.py"))
}

func TestPythonPeer(t *testing.T) {
	peer := startPythonPeer(t)
	target := peer + "/post/hello"

	// Our source pages, as a deployed site would serve them.
	var srv string
	sources := map[string]string{
		"/linked/":     `<html><head><title>Linked</title></head><body><p>See <a href="` + target + `">hello</a>.</p></body></html>`,
		"/not-linked/": `<html><head><title>Not linked</title></head><body><p>No link here.</p></body></html>`,
		"/wrong/":      `<html><head><title>Wrong post</title></head><body><a href="` + peer + `/post/nope">nope</a></body></html>`,
	}
	site := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirecting" { // a missing trailing slash, say
			http.Redirect(w, r, "/linked/", http.StatusMovedPermanently)
			return
		}
		body, ok := sources[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		page(body)(w, r)
	})
	srv = site.URL

	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 10 * time.Second})
	ctx := context.Background()

	ep, err := c.Discover(ctx, target, []string{ProtoWebmention, ProtoPingback})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if ep.Pingback != peer+"/xmlrpc" || ep.Webmention != "" || ep.Target != target || ep.Status != 200 {
		t.Fatalf("Discover = %+v", ep)
	}
	proto, endpoint, err := ep.Choose([]string{ProtoWebmention, ProtoPingback})
	if err != nil || proto != ProtoPingback {
		t.Fatalf("Choose = %q, %q, %v", proto, endpoint, err)
	}

	steps := []struct {
		name   string
		source string
		target string
		code   int // fault code, -1 for success
		class  Class
	}{
		{"a source with the link is registered", srv + "/linked/", target, -1, ClassDone},
		{"the same pingback again is fault 48", srv + "/linked/", target, 48, ClassDone},
		{"a source without the link is fault 17", srv + "/not-linked/", target, 17, ClassPermanent},
		{"a source that does not exist is fault 16", srv + "/missing/", target, 16, ClassRetry},
		{"a redirecting source is not followed: fault 16", srv + "/redirecting", target, 16, ClassRetry},
		{"a target that is not the peer's is fault 32", srv + "/wrong/", peer + "/post/nope", 32, ClassPermanent},
	}
	for _, s := range steps {
		res, err := c.Pingback(ctx, endpoint, s.source, s.target)
		var fe *FaultError
		switch {
		case s.code < 0 && err != nil:
			t.Errorf("%s: %v", s.name, err)
		case s.code < 0 && !strings.Contains(res.Answer, "registered"):
			t.Errorf("%s: answer %q", s.name, res.Answer)
		case s.code >= 0 && (!errors.As(err, &fe) || fe.Code != s.code):
			t.Errorf("%s: err = %v, want fault %d", s.name, err, s.code)
		}
		if got := Classify(err); got != s.class {
			t.Errorf("%s: Classify = %s, want %s", s.name, got, s.class)
		}
		if res == nil || res.Status != http.StatusOK {
			t.Errorf("%s: Result = %+v", s.name, res)
		}
	}

	// The peer registered exactly one pingback, naming the target as linked.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, peer+"/registered", nil)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	reg, _ := io.ReadAll(resp.Body)
	if want := srv + "/linked/ " + target + "\n"; string(reg) != want {
		t.Errorf("peer registered %q, want %q", reg, want)
	}

	// An unknown method is a fault in Python's own words (code 1, not
	// -32601), and it still parses as one.
	_, err = c.Call(ctx, endpoint, "pingback.nosuch", "a")
	var fe *FaultError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "pingback.nosuch") {
		t.Errorf("unknown method: err = %v, want a fault naming it", err)
	}
}
