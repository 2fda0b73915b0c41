package linkback

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFindPingbackGolden runs FindPingback on every testdata/pingback/*.html
// page, as published at https://blog.example/2024/post/, against the
// endpoint in the .golden file beside it (empty: none).
func TestFindPingbackGolden(t *testing.T) {
	base, _ := url.Parse("https://blog.example/2024/post/")
	files, err := filepath.Glob(filepath.Join("testdata", "pingback", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".html")
		t.Run(name, func(t *testing.T) {
			page, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := FindPingback(page, base)
			if ok != (got != "") {
				t.Errorf("FindPingback = %q, %v: ok and result disagree", got, ok)
			}
			golden(t, filepath.Join("pingback", name+".golden"), got+"\n")
		})
	}
}

// page writes an HTML answer.
func page(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

func TestDiscover(t *testing.T) {
	const ep = "https://rpc.example/xmlrpc.php"
	huge := func(at int) http.HandlerFunc {
		// A page whose pingback link starts at byte offset at.
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			head := []byte("<!DOCTYPE html><html><head><title>big</title>\n<!-- ")
			pad := bytes.Repeat([]byte("x"), at-len(head)-len(" -->"))
			_, _ = w.Write(head)
			_, _ = w.Write(pad)
			_, _ = w.Write([]byte(" --><link rel=\"pingback\" href=\"" + ep + "\"></head><body></body></html>"))
		}
	}
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		protocols []string
		path      string // requested path, "/" if empty
		want      Endpoints
		wantFinal string // path of the final URL, "" = the requested one
	}{
		{
			// Pingback 1.0: the header alone names the server.
			name: "header",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Pingback", ep)
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html><head></head></html>"))
			},
			want: Endpoints{Pingback: ep},
		},
		{
			// The <link> element alone.
			name:    "link element",
			handler: page(`<html><head><link rel="pingback" href="` + ep + `"></head></html>`),
			want:    Endpoints{Pingback: ep},
		},
		{
			// Two headers: the first wins.
			name: "two headers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("X-Pingback", "https://first.example/rpc")
				w.Header().Add("X-Pingback", "https://second.example/rpc")
			},
			want: Endpoints{Pingback: "https://first.example/rpc"},
		},
		{
			// A header that is not a usable URL is ignored, and the link used.
			name: "unusable header",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Pingback", "javascript:alert(1)")
				page(`<html><head><link rel="pingback" href="`+ep+`"></head></html>`)(w, r)
			},
			want: Endpoints{Pingback: ep},
		},
		{
			// Both: the header wins.
			name: "header wins over link",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Pingback", "https://header.example/rpc")
				page(`<html><head><link rel="pingback" href="https://link.example/rpc"></head></html>`)(w, r)
			},
			want: Endpoints{Pingback: "https://header.example/rpc"},
		},
		{
			// Relative href resolved against the page URL.
			name:    "relative href",
			path:    "/2024/01/post/",
			handler: page(`<html><head><link rel="pingback" href="../../../xmlrpc.php?x=1"></head></html>`),
			want:    Endpoints{Pingback: "SERVER/xmlrpc.php?x=1"},
		},
		{
			// Redirects are followed; relative hrefs resolve against the final URL.
			name: "redirect",
			path: "/old",
			handler: func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/old":
					http.Redirect(w, r, "/moved", http.StatusMovedPermanently)
				case "/moved":
					http.Redirect(w, r, "/blog/new/", http.StatusFound)
				default:
					page(`<html><head><link rel="pingback" href="rpc.php"></head></html>`)(w, r)
				}
			},
			want:      Endpoints{Pingback: "SERVER/blog/new/rpc.php"},
			wantFinal: "/blog/new/",
		},
		{
			// A commented-out link is not an element.
			name:    "decoy in a comment",
			handler: page(`<html><head><!-- <link rel="pingback" href="https://decoy.example/"> --></head></html>`),
			want:    Endpoints{},
		},
		{
			// A link that starts within the first MiB is found...
			name:      "huge page, link inside the first MiB",
			handler:   huge(MaxPageBytes - 200),
			protocols: []string{ProtoPingback, ProtoWebmention},
			want:      Endpoints{Pingback: ep},
		},
		{
			// ...one past it is never read.
			name:      "huge page, link past the first MiB",
			handler:   huge(MaxPageBytes + 10),
			protocols: []string{ProtoPingback, ProtoWebmention},
			want:      Endpoints{},
		},
		{
			// Pingback only, head only: a huge head is still cut at 1 MiB.
			name:    "huge head, pingback only",
			handler: huge(MaxPageBytes + 10),
			want:    Endpoints{},
		},
		{
			// An image is not a page, whatever bytes it holds.
			name: "image target",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n<link rel=\"pingback\" href=\"https://decoy.example/\">"))
			},
			protocols: []string{ProtoPingback, ProtoWebmention, ProtoTrackback},
			want:      Endpoints{},
		},
		{
			// Without a Content-Type the bytes are sniffed: a PNG stays an image.
			name: "image without content type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil // keep net/http from sniffing for us
				_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n<link rel=\"pingback\" href=\"https://decoy.example/\">"))
			},
			want: Endpoints{},
		},
		{
			// Without a Content-Type an HTML page is still searched.
			name: "html without content type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil
				_, _ = w.Write([]byte(`<!DOCTYPE html><html><head><link rel="pingback" href="` + ep + `"></head></html>`))
			},
			want: Endpoints{Pingback: ep},
		},
		{
			// The header counts on any content type.
			name: "header on a PDF",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Pingback", ep)
				w.Header().Set("Content-Type", "application/pdf")
			},
			want: Endpoints{Pingback: ep},
		},
		{
			// application/xhtml+xml is a page too.
			name: "xhtml",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xhtml+xml; charset=utf-8")
				_, _ = w.Write([]byte(`<html xmlns="http://www.w3.org/1999/xhtml"><head><link rel="pingback" href="` + ep + `" /></head></html>`))
			},
			want: Endpoints{Pingback: ep},
		},
		{
			// A Latin-1 page: bytes that are not UTF-8 do not stop the search.
			name: "non-UTF-8 page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
				_, _ = w.Write([]byte("<html><head><title>Caf\xe9</title><link title=\"\xe9t\xe9\" rel=\"pingback\" href=\"" + ep + "?q=\xe9\"></head></html>"))
			},
			want: Endpoints{Pingback: ep + "?q=%E9"},
		},
		{
			// Pingback alone: reading stops at </head>, so a link in the body is not seen...
			name:    "link in body, pingback only",
			handler: page(`<html><head><title>t</title></head><body><link rel="pingback" href="` + ep + `"></body></html>`),
			want:    Endpoints{},
		},
		{
			// ...but when the body is read anyway for Webmention, it is.
			name:      "link in body, with webmention",
			handler:   page(`<html><head><title>t</title></head><body><link rel="pingback" href="` + ep + `"></body></html>`),
			protocols: []string{ProtoWebmention, ProtoPingback},
			want:      Endpoints{Pingback: ep},
		},
		{
			// One fetch finds every protocol asked for.
			name: "all protocols",
			path: "/post/",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", `<https://wm.example/endpoint>; rel="webmention"`)
				page(`<html><head><link rel="pingback" href="`+ep+`"></head><body>
<!-- <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/">
<rdf:Description rdf:about="SERVER/post/" dc:identifier="SERVER/post/" trackback:ping="https://tb.example/ping" /></rdf:RDF> -->
</body></html>`)(w, r)
			},
			protocols: []string{ProtoWebmention, ProtoPingback, ProtoTrackback},
			want:      Endpoints{Pingback: ep, Webmention: "https://wm.example/endpoint", Trackback: "https://tb.example/ping"},
		},
		{
			// A relative trackback:ping is resolved against the page; one
			// that is no http(s) URL is none.
			name:      "relative trackback ping",
			path:      "/post/",
			handler:   page(`<html><body><rdf:RDF><rdf:Description dc:identifier="SERVER/post/" trackback:ping="/tb/123" /></rdf:RDF></body></html>`),
			protocols: []string{ProtoTrackback},
			want:      Endpoints{Trackback: "SERVER/tb/123"},
		},
		{
			name:      "trackback ping not http",
			path:      "/post/",
			handler:   page(`<html><body><rdf:RDF><rdf:Description dc:identifier="SERVER/post/" trackback:ping="javascript:alert(1)" /></rdf:RDF></body></html>`),
			protocols: []string{ProtoTrackback},
			want:      Endpoints{},
		},
		{
			// Only the protocols asked for are looked for.
			name: "webmention not asked",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", `<https://wm.example/endpoint>; rel="webmention"`)
				w.Header().Set("X-Pingback", ep)
			},
			want: Endpoints{Pingback: ep},
		},
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = serve(t, func(w http.ResponseWriter, r *http.Request) {
				// Handlers write SERVER where the server's own URL belongs.
				rec := httptest.NewRecorder()
				tt.handler(rec, r)
				for k, v := range rec.Header() {
					for i := range v {
						v[i] = strings.ReplaceAll(v[i], "SERVER", srv.URL)
					}
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(bytes.ReplaceAll(rec.Body.Bytes(), []byte("SERVER"), []byte(srv.URL)))
			})
			protocols := tt.protocols
			if protocols == nil {
				protocols = []string{ProtoPingback}
			}
			path := tt.path
			if path == "" {
				path = "/"
			}
			target := srv.URL + path
			got, err := c.Discover(context.Background(), target, protocols)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Target = target
			want.Final = target
			if tt.wantFinal != "" {
				want.Final = srv.URL + tt.wantFinal
			}
			want.Status = http.StatusOK
			for _, f := range []*string{&want.Pingback, &want.Webmention, &want.Trackback} {
				*f = strings.ReplaceAll(*f, "SERVER", srv.URL)
			}
			if *got != want {
				t.Errorf("Discover:\n got %+v\nwant %+v", *got, want)
			}
		})
	}
}

// With pingback alone and no header, reading stops at </head>: a page whose
// body never comes does not cost a timeout.
func TestDiscoverStopsAtHead(t *testing.T) {
	srv := stall(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><head><link rel="pingback" href="https://rpc.example/"></head><body>`))
	})
	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 3 * time.Second})
	start := time.Now()
	ep, err := c.Discover(context.Background(), srv.URL, []string{ProtoPingback})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Pingback != "https://rpc.example/" {
		t.Errorf("Pingback = %q", ep.Pingback)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Discover took %s: it waited for the body", d)
	}
}

func TestDiscoverHTTPError(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		class      Class
	}{
		{http.StatusNotFound, "", ClassPermanent},          // target gone
		{http.StatusGone, "", ClassPermanent},              // target deleted
		{http.StatusInternalServerError, "", ClassRetry},   // server broken for now
		{http.StatusServiceUnavailable, "120", ClassRetry}, // down for maintenance
		{http.StatusTooManyRequests, "30", ClassBackoff},   // slow down
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if tt.retryAfter != "" {
				w.Header().Set("Retry-After", tt.retryAfter)
			}
			w.Header().Set("X-Pingback", "https://rpc.example/")
			w.WriteHeader(tt.status)
		})
		ep, err := c.Discover(context.Background(), srv.URL+"/p", []string{ProtoPingback})
		var he *HTTPError
		if !errors.As(err, &he) || he.StatusCode != tt.status {
			t.Errorf("HTTP %d: err = %v, want an HTTPError", tt.status, err)
			continue
		}
		if ep == nil || ep.Status != tt.status || ep.Target != srv.URL+"/p" || ep.Pingback != "" {
			t.Errorf("HTTP %d: endpoints = %+v", tt.status, ep)
		}
		if got := Classify(err); got != tt.class {
			t.Errorf("HTTP %d: Classify = %s, want %s", tt.status, got, tt.class)
		}
		if tt.retryAfter != "" && RetryAfter(err) == 0 {
			t.Errorf("HTTP %d: Retry-After %s lost", tt.status, tt.retryAfter)
		}
	}
}

// A target that never answers costs one Timeout, not a stalled run.
func TestDiscoverHungTarget(t *testing.T) {
	srv := stall(t, nil)
	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 150 * time.Millisecond})
	start := time.Now()
	_, err := c.Discover(context.Background(), srv.URL, []string{ProtoPingback})
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s for a 150ms timeout", d)
	}
	if Classify(err) != ClassRetry {
		t.Errorf("Classify = %s, want retry", Classify(err))
	}
	if got := Explain(err); got != "timed out after 150ms" {
		t.Errorf("Explain = %q", got)
	}
}

func TestEndpointsChoose(t *testing.T) {
	ep := &Endpoints{Target: "https://t.example/", Pingback: "https://t.example/xmlrpc.php", Webmention: "https://wm.example/"}
	tests := []struct {
		order    []string
		protocol string
	}{
		{[]string{"webmention", "pingback"}, "webmention"}, // the default order: Webmention first
		{[]string{"pingback", "webmention"}, "pingback"},   // the user's order wins
		{[]string{"trackback", "pingback"}, "pingback"},    // trackback not advertised
		{[]string{"trackback"}, ""},                        // nothing usable
		{nil, ""},                                          // nothing asked
	}
	for _, tt := range tests {
		p, e, err := ep.Choose(tt.order)
		if p != tt.protocol {
			t.Errorf("Choose(%v) = %q, want %q", tt.order, p, tt.protocol)
		}
		if p != "" && (e != ep.Endpoint(p) || err != nil) {
			t.Errorf("Choose(%v) = %q, %q, %v", tt.order, p, e, err)
		}
		if p == "" && !errors.Is(err, ErrNoEndpoint) {
			t.Errorf("Choose(%v): err = %v, want ErrNoEndpoint", tt.order, err)
		}
	}
	_, _, err := (&Endpoints{Target: "https://t.example/"}).Choose([]string{"pingback"})
	if got := Explain(err); got != "target does not accept pingbacks" {
		t.Errorf("Explain = %q", got)
	}
	if Classify(err) != ClassPermanent {
		t.Errorf("Classify = %s", Classify(err))
	}
}

// A target cut off in the middle of its head is an error to retry, not "no
// endpoint": we never saw where the link would be.
func TestDiscoverStalledHead(t *testing.T) {
	srv := stall(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><head><title>slow`))
	})
	for _, protocols := range [][]string{{ProtoPingback}, {ProtoWebmention, ProtoPingback}} {
		c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 100 * time.Millisecond})
		_, err := c.Discover(context.Background(), srv.URL, protocols)
		var te *TimeoutError
		if !errors.As(err, &te) || Classify(err) != ClassRetry {
			t.Errorf("%v: err = %v, want a timeout to retry", protocols, err)
		}
	}
}

// A compressed page that inflates to 64 MiB is read only up to the cap: the
// cap applies after decompression.
func TestDiscoverGzipBomb(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte("<html><head><title>bomb</title></head><body>"))
	zeros := make([]byte, 1<<20)
	for range 64 {
		_, _ = zw.Write(zeros)
	}
	_, _ = zw.Write([]byte(`<link rel="pingback" href="https://rpc.example/"></body></html>`))
	_ = zw.Close()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(zipped.Bytes())
	})
	ep, err := loopbackClient(t).Discover(context.Background(), srv.URL, []string{ProtoWebmention, ProtoPingback})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Pingback != "" {
		t.Errorf("found %q past the cap", ep.Pingback)
	}
}
