package linkback

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestFetch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "Text/HTML; charset=utf-8")
			w.Write([]byte("<html>" + r.Header.Get("Accept") + "</html>"))
		case "/big":
			w.Write([]byte(strings.Repeat("x", 100)))
		case "/hop1":
			http.Redirect(w, r, "/hop2", http.StatusFound)
		case "/hop2":
			http.Redirect(w, r, "/page", http.StatusMovedPermanently)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := loopbackClient(t)
	ctx := context.Background()

	tests := []struct {
		name      string
		path      string
		opts      FetchOptions
		status    int
		final     string
		body      string
		truncated bool
		location  string
		err       error
	}{
		// A page: media type lower-cased, HTML preferred in Accept.
		{name: "page", path: "/page", status: 200, final: "/page", body: "<html>text/html, application/xhtml+xml;q=0.9, text/*;q=0.5, */*;q=0.1</html>"},
		// Redirects followed up to the limit.
		{name: "two hops", path: "/hop1", opts: FetchOptions{MaxRedirects: 5}, status: 200, final: "/page"},
		// No redirects: the 3xx is the answer, with its Location.
		{name: "no redirects", path: "/hop1", status: 302, final: "/hop1", location: "/hop2"},
		// Fewer allowed than needed.
		{name: "one hop too many", path: "/hop1", opts: FetchOptions{MaxRedirects: 1}, err: ErrTooManyRedirects},
		// The cap cuts the body and says so.
		{name: "cap", path: "/big", opts: FetchOptions{MaxBytes: 10}, status: 200, final: "/big", body: "xxxxxxxxxx", truncated: true},
		// A 404 is an answer, not an error.
		{name: "404", path: "/gone", status: 404, final: "/gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Fetch(ctx, srv.URL+tt.path, tt.opts)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.StatusCode != tt.status || p.URL.Path != tt.final || p.Truncated != tt.truncated ||
				(tt.body != "" && string(p.Body) != tt.body) || p.Redirected != (tt.final != tt.path) ||
				(tt.location != "" && !strings.HasSuffix(p.Location, tt.location)) {
				t.Fatalf("got %+v (body %q)", p, p.Body)
			}
		})
	}
	// With the guard on, loopback is refused at connect time.
	guarded := NewClient(ClientOptions{})
	if _, err := guarded.Fetch(ctx, srv.URL+"/page", FetchOptions{}); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("guarded fetch of loopback: %v", err)
	}
	// Allow lets one address through; a redirect from it to another loopback
	// port is still refused, on that hop.
	other := httptest.NewServer(http.RedirectHandler(srv.URL+"/page", http.StatusFound))
	defer other.Close()
	allowOther := NewClient(ClientOptions{Allow: func(ap netip.AddrPort) bool { return "http://"+ap.String() == other.URL }})
	if _, err := allowOther.Fetch(ctx, other.URL, FetchOptions{MaxRedirects: 5}); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("redirect to loopback: %v", err)
	}
	if p, err := allowOther.Fetch(ctx, other.URL, FetchOptions{}); err != nil || p.StatusCode != http.StatusFound {
		t.Fatalf("allowed address: %v, %+v", err, p)
	}
	if _, err := guarded.Fetch(ctx, "ftp://a.example/", FetchOptions{}); !errors.Is(err, ErrNotHTTP) {
		t.Fatalf("ftp: %v", err)
	}
}

// Page.Text gives the page as UTF-8, whatever charset it was sent in, so a
// mention's name and excerpt are never mojibake.
func TestPageText(t *testing.T) {
	latin1 := "<html><head><title>Caf\xe9 cr\xe8me</title></head><body>na\xefve</body></html>"
	sjis := "<html><head><meta charset=\"shift_jis\"><title>\x93\xfa\x96\x7b</title></head></html>" // 日本
	utf8Page := "<html><head><title>Café crème</title></head></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/latin1": // the header names the charset
			w.Header().Set("Content-Type", "text/html; charset=ISO-8859-1")
			w.Write([]byte(latin1))
		case "/sjis": // only the page's <meta charset> does
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(sjis))
		case "/lying": // UTF-8 bytes under a Latin-1 header, as a reconfigured WordPress sends
			w.Header().Set("Content-Type", "text/html; charset=ISO-8859-1")
			w.Write([]byte(utf8Page))
		case "/nocharset": // neither: windows-1252, as browsers guess
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(latin1))
		}
	}))
	defer srv.Close()
	c := loopbackClient(t)
	for path, want := range map[string]string{
		"/latin1":    "Café crème",
		"/sjis":      "日本",
		"/lying":     "Café crème",
		"/nocharset": "Café crème",
	} {
		p, err := c.Fetch(context.Background(), srv.URL+path, FetchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(p.Text()); !strings.Contains(got, want) {
			t.Errorf("%s: Text() = %q, want it to contain %q", path, got, want)
		}
	}
}
