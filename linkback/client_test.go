package linkback

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// loopbackClient is a client for httptest servers: the guard is lifted.
func loopbackClient(t *testing.T) *Client {
	t.Helper()
	return NewClient(ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second})
}

// guardedClient has the real guard, except that the addresses allow says
// yes to count as public: a stand-in for "a public host" on loopback.
func guardedClient(t *testing.T, allow func(netip.AddrPort) bool) *Client {
	t.Helper()
	c := NewClient(ClientOptions{Timeout: 5 * time.Second})
	g := guard{check: func(ap netip.AddrPort) error {
		if allow != nil && allow(ap) {
			return nil
		}
		return checkPublic(ap)
	}}
	c.HTTP.Transport = newTransport(g, c.Timeout)
	return c
}

// serve starts an httptest server with h and closes it with the test.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// stall starts a server whose handler runs h (which may write a first part
// of the answer, or nothing) and then blocks until the client goes away or
// the test ends; it never orders events by sleeping.
func stall(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if h != nil {
			h(w, r)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
	// Registered after serve, so it runs before srv.Close, which waits for
	// handlers (a POST handler that never reads its body does not see the
	// client leave).
	t.Cleanup(func() { close(done) })
	return srv
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestNewClientDefaults(t *testing.T) {
	old := Version
	Version = "1.2.3"
	t.Cleanup(func() { Version = old })

	c := NewClient(ClientOptions{})
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %s, want %s", c.Timeout, DefaultTimeout)
	}
	if want := "hugo-pingback/1.2.3 (+https://github.com/hugo-pingback/hugo-pingback)"; c.UserAgent != want {
		t.Errorf("UserAgent = %q, want %q", c.UserAgent, want)
	}
	tr, ok := c.HTTP.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T", c.HTTP.Transport)
	}
	// A proxy would be the only address the guard ever saw.
	if tr.Proxy != nil {
		t.Error("transport uses a proxy; the guard would check only the proxy")
	}
	if c.HTTP == http.DefaultClient || c.HTTP.Timeout == 0 {
		t.Error("client has no timeout of its own")
	}
}

func TestUserAgentSent(t *testing.T) {
	got := make(chan string, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "text/html")
	})
	c := NewClient(ClientOptions{AllowPrivate: true, UserAgent: "probe/1 (+https://probe.example)"})
	if _, err := c.Discover(context.Background(), srv.URL, []string{ProtoPingback}); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != "probe/1 (+https://probe.example)" {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestRedirectLimit(t *testing.T) {
	var hits atomic.Int32
	var srv *httptest.Server
	srv = serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, srv.URL+"/again", http.StatusFound)
	})
	c := NewClient(ClientOptions{AllowPrivate: true, MaxRedirects: 2})
	_, err := c.Discover(context.Background(), srv.URL, []string{ProtoPingback})
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("err = %v, want ErrTooManyRedirects", err)
	}
	// The first request and two redirects are followed; the third is not.
	if n := hits.Load(); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
	if Classify(err) != ClassRetryFew {
		t.Errorf("Classify = %s, want retry-few", Classify(err))
	}

	// A negative MaxRedirects follows none: the 3xx is the answer.
	hits.Store(0)
	c = NewClient(ClientOptions{AllowPrivate: true, MaxRedirects: -1})
	_, err = c.Discover(context.Background(), srv.URL, []string{ProtoPingback})
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusFound || he.Location != srv.URL+"/again" || hits.Load() != 1 {
		t.Errorf("MaxRedirects -1: err = %v after %d requests", err, hits.Load())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},                    // absent
		{"30", 30 * time.Second},   // delay-seconds
		{" 120 ", 2 * time.Minute}, // whitespace around
		{"0", 0},                   // no wait at all
		{"-5", 0},                  // negative is nonsense
		{"Fri, 27 Nov 2026 12:01:30 GMT", 90 * time.Second}, // HTTP date ahead
		{"Fri, 27 Nov 2026 11:00:00 GMT", 0},                // HTTP date past
		{"soon", 0},                                         // garbage
		{"99999999999999", 365 * 24 * time.Hour},            // capped at a year
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestEscapeNonASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://a.example/x?q=1", "https://a.example/x?q=1"},        // untouched
		{"https://a.example/x?caf\xe9", "https://a.example/x?caf%E9"}, // Latin-1 byte
		{"\xff", "%FF"}, // first byte
		{"https://a.example/x?a b", "https://a.example/x?a%20b"}, // space
		{"https://a.example/é", "https://a.example/%C3%A9"},      // UTF-8 bytes
	}
	for _, tt := range tests {
		if got := escapeNonASCII(tt.in); got != tt.want {
			t.Errorf("escapeNonASCII(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClientWithoutHTTP(t *testing.T) {
	var c Client // zero value: must fail, not fall back to http.DefaultClient
	_, err := c.Call(context.Background(), "http://127.0.0.1:1/", "m")
	if err == nil || !strings.Contains(err.Error(), "NewClient") {
		t.Errorf("err = %v, want a hint to use NewClient", err)
	}
}
