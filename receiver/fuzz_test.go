package receiver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

// loopbackOnly is a transport that reaches one test server and nothing
// else, without a DNS lookup: fuzzed URLs must never leave the machine.
type loopbackOnly struct {
	host string
	next http.RoundTripper
}

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != l.host {
		return nil, errors.New("test transport: only the sources server is reachable")
	}
	return l.next.RoundTrip(r)
}

// FuzzTrackbackForm: whatever body and path a sender posts, the answer is
// a well-formed Trackback response (error 0 or 1 with a message) with a
// status from the small set the handler uses, and nothing panics.
func FuzzTrackbackForm(f *testing.F) {
	hello := target("posts/hello/")
	f.Add("posts/hello/", "url=SRC&title=T&excerpt=E&blog_name=B")
	f.Add("posts/hello/", "url=SRC")
	f.Add("posts/nope/", "url=SRC")
	f.Add("posts/hello/", "title=no+url")
	f.Add("posts/hello/", "url=%zz")
	f.Add("../../etc/passwd", "url=SRC")
	f.Add("posts/hello/", "url=javascript:alert(1)&excerpt=%3Cscript%3E")
	f.Add("posts/hello/", "url="+strings.Repeat("a", 70000))
	r := newRig(f, noLimits, func(o *Options) {
		c := linkback.NewClient(linkback.ClientOptions{AllowPrivate: true, Timeout: 2 * time.Second})
		o.Client = c
	})
	src := r.src.set("/tb", 200, linking("Trackback source", hello))
	host := strings.TrimPrefix(r.src.srv.URL, "http://")
	c := r.srv.client
	c.HTTP.Transport = loopbackOnly{host: host, next: c.HTTP.Transport}
	h := r.srv.Handler()
	f.Fuzz(func(t *testing.T, path, body string) {
		body = strings.ReplaceAll(body, "SRC", url.QueryEscape(src))
		req := httptest.NewRequest(http.MethodPost, "/trackback/x", strings.NewReader(body))
		req.URL.Path = "/trackback/" + path
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case 200, 413, 429, 503:
		case 404, 405, 301, 307, 308:
			return // the mux: not a trackback path (cleaned, or empty)
		default:
			t.Fatalf("status %d", w.Code)
		}
		var resp struct {
			Error   string `xml:"error"`
			Message string `xml:"message"`
		}
		if err := xml.NewDecoder(bytes.NewReader(w.Body.Bytes())).Decode(&resp); err != nil {
			t.Fatalf("answer is not XML: %v\n%s", err, w.Body.String())
		}
		if resp.Error != "0" && (resp.Error != "1" || resp.Message == "") {
			t.Fatalf("answer %s", w.Body.String())
		}
	})
}
