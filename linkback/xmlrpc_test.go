package linkback

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// decodedCall is a methodCall read back with encoding/xml's struct mapping,
// an independent path from the encoder.
type decodedCall struct {
	XMLName xml.Name `xml:"methodCall"`
	Method  string   `xml:"methodName"`
	Params  []string `xml:"params>param>value>string"`
}

func TestEncodeMethodCallGolden(t *testing.T) {
	got := encodeMethodCall("pingback.ping", []string{
		"https://me.example/2024/a?x=1&y=<2>",
		`https://you.example/"quoted"/'single'/café/日本`,
	})
	golden(t, "xmlrpc/call_escaped.golden", string(got))
}

func TestEncodeMethodCallRoundTrip(t *testing.T) {
	tests := []struct {
		method string
		params []string
	}{
		{"pingback.ping", []string{"https://a.example/", "https://b.example/"}},           // the usual call
		{"pingback.ping", []string{"https://a.example/?a=1&b=2", "https://b.example/#x"}}, // & and #
		{"weblogUpdates.extendedPing", []string{"Tom & Jerry's <blog>", "https://a.example/", "https://a.example/index.xml"}},
		{"m", []string{"]]>", "<![CDATA[x]]>", "&amp;"}},          // markup that must stay text
		{"m", []string{" leading and trailing spaces ", "\ttab"}}, // whitespace kept
		{"m", []string{"unicode: é 日本 🙂"}},                        // non-ASCII
		{"m", nil},          // no parameters
		{"m", []string{""}}, // an empty string
	}
	for _, tt := range tests {
		var d decodedCall
		if err := xml.Unmarshal(encodeMethodCall(tt.method, tt.params), &d); err != nil {
			t.Errorf("%s %q: not XML: %v", tt.method, tt.params, err)
			continue
		}
		if d.Method != tt.method || !equalStrings(d.Params, tt.params) {
			t.Errorf("round trip of %s %q gave %s %q", tt.method, tt.params, d.Method, d.Params)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// describe prints a ParseMethodResponse outcome for golden files.
func describe(answer string, err error) string {
	var fe *FaultError
	var pe *ProtocolError
	switch {
	case err == nil:
		return fmt.Sprintf("answer %q\n", answer)
	case errors.As(err, &fe):
		return fmt.Sprintf("fault %d %q\n", fe.Code, fe.Message)
	case errors.As(err, &pe):
		return "garbage: " + pe.Msg + "\n"
	default:
		return "error: " + err.Error() + "\n"
	}
}

// TestParseMethodResponseGolden parses every testdata/xmlrpc/*.xml answer;
// the .golden file beside it says what it must give.
func TestParseMethodResponseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "xmlrpc", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("xmlrpc", name+".golden"), describe(ParseMethodResponse(data)))
		})
	}
}

// rpcServer answers every call with body, after checking the request is a
// well-formed pingback.ping methodCall.
func rpcServer(t *testing.T, status int, header http.Header, body string) string {
	t.Helper()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var d decodedCall
		raw, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") ||
			xml.Unmarshal(raw, &d) != nil {
			http.Error(w, "bad call", http.StatusBadRequest)
			return
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
	return srv.URL + "/xmlrpc.php"
}

func faultBody(code int, msg string) string {
	return fmt.Sprintf(`<?xml version="1.0"?><methodResponse><fault><value><struct>`+
		`<member><name>faultCode</name><value><int>%d</int></value></member>`+
		`<member><name>faultString</name><value><string>%s</string></value></member>`+
		`</struct></value></fault></methodResponse>`, code, msg)
}

const okBody = `<?xml version="1.0"?><methodResponse><params><param><value><string>Pingback registered.</string></value></param></params></methodResponse>`

// TestPingbackOutcomes sends a real pingback.ping to a receiver answering
// each row of the fault table and each HTTP failure, and checks the class.
func TestPingbackOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		class   Class
		explain string // substring of Explain
	}{
		{"success", 200, nil, okBody, ClassDone, "done"},
		{"fault 0, WordPress", 200, nil, faultBody(0, ""), ClassRetryFew, "without giving a reason"},
		{"fault 16, source missing", 200, nil, faultBody(16, "The source URI does not exist."), ClassRetry, "not be live yet"},
		{"fault 17, no link", 200, nil, faultBody(17, "no link"), ClassPermanent, "source has no link to the target (fault 17)"},
		{"fault 32, no target", 200, nil, faultBody(32, "no such target"), ClassPermanent, "target does not exist"},
		{"fault 33, closed", 200, nil, faultBody(33, "closed"), ClassPermanent, "cannot take pingbacks"},
		{"fault 48, already registered", 200, nil, faultBody(48, "The pingback has already been registered."), ClassDone, "already registered"},
		{"fault 49, denied", 200, nil, faultBody(49, "denied"), ClassPermanent, "denied access"},
		{"fault 50, upstream", 200, nil, faultBody(50, "upstream"), ClassRetry, "upstream"},
		{"fault 409, WordPress duplicate", 200, nil, faultBody(409, "Duplicate comment detected"), ClassDone, "duplicate"},
		{"fault 429, WordPress flood", 200, nil, faultBody(429, "You are posting comments too quickly."), ClassBackoff, "comment flood"},
		{"fault -32700, parse error", 200, nil, faultBody(-32700, "parse error. not well formed"), ClassRetry, "could not parse"},
		{"fault -32300, transport", 200, nil, faultBody(-32300, "transport error"), ClassRetry, "transport error"},
		{"fault -32301, transport", 200, nil, faultBody(-32301, "transport error"), ClassRetry, "transport error"},
		{"fault -32601, no such method", 200, nil, faultBody(-32601, "server error. requested method pingback.ping does not exist."), ClassPermanent, "does not offer pingback.ping"},
		{"fault 99, unknown", 200, nil, faultBody(99, "odd"), ClassRetryFew, "fault 99: odd"},
		{"fault with HTTP 500", 500, nil, faultBody(17, "no link"), ClassPermanent, "fault 17"},
		{"HTTP 500", 500, nil, "<html><body>Internal Server Error</body></html>", ClassRetry, "HTTP 500"},
		{"HTTP 502", 502, nil, "Bad Gateway", ClassRetry, "HTTP 502"},
		{"HTTP 503", 503, http.Header{"Retry-After": {"120"}}, faultBody(0, ""), ClassRetry, "asks to wait 2m0s"},
		{"HTTP 429", 429, http.Header{"Retry-After": {"30"}}, "slow down", ClassBackoff, "HTTP 429"},
		{"HTTP 404", 404, nil, "Not Found", ClassPermanent, "HTTP 404"},
		{"HTTP 405", 405, nil, "XML-RPC server accepts POST requests only.", ClassPermanent, "HTTP 405"},
		{"HTML answer", 200, http.Header{"Content-Type": {"text/html"}}, "<!DOCTYPE html><html><body>Blog</body></html>", ClassRetryFew, "garbage answer"},
		{"empty answer", 200, nil, "", ClassRetryFew, "garbage answer"},
		{"too large", 200, nil, okBody[:len(okBody)-len("</methodResponse>")] + "<!--" + strings.Repeat("x", MaxRPCBytes) + "--></methodResponse>", ClassRetryFew, "too large"},
		{"just under the cap", 200, nil, okBody + "<!--" + strings.Repeat("x", MaxRPCBytes-len(okBody)-7) + "-->", ClassDone, "done"},
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint := rpcServer(t, tt.status, tt.header, tt.body)
			res, err := c.Pingback(context.Background(), endpoint, "https://a.example/post/", "https://b.example/")
			if got := Classify(err); got != tt.class {
				t.Errorf("Classify(%v) = %s, want %s", err, got, tt.class)
			}
			if got := Explain(err); !strings.Contains(got, tt.explain) {
				t.Errorf("Explain(%v) = %q, want it to say %q", err, got, tt.explain)
			}
			if res == nil || res.Status != tt.status || res.Endpoint != endpoint || res.Protocol != ProtoPingback {
				t.Errorf("Result = %+v, want status %d at %s", res, tt.status, endpoint)
			}
			if tt.class == ClassDone && err == nil && res.Answer != "Pingback registered." {
				t.Errorf("Answer = %q", res.Answer)
			}
			var fe *FaultError
			if errors.As(err, &fe) && res.Answer != fe.Message {
				t.Errorf("Answer = %q, want the fault string %q", res.Answer, fe.Message)
			}
		})
	}
}

func TestPingbackRetryAfter(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		header string
		min    time.Duration
		max    time.Duration
	}{
		{"45", 45 * time.Second, 45 * time.Second}, // seconds
		{date, 80 * time.Second, 91 * time.Second}, // an HTTP date
		{"", 0, 0}, // none: the caller picks its own pause
	}
	c := loopbackClient(t)
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		_, err := c.Pingback(context.Background(), rpcServer(t, 429, h, ""), "https://a.example/", "https://b.example/")
		if got := RetryAfter(err); got < tt.min || got > tt.max {
			t.Errorf("Retry-After %q: RetryAfter = %s, want %s..%s", tt.header, got, tt.min, tt.max)
		}
	}
	if RetryAfter(nil) != 0 || RetryAfter(errors.New("x")) != 0 {
		t.Error("RetryAfter of a non-HTTP error is not 0")
	}
}

// The exact bytes a receiver gets.
func TestPingbackRequest(t *testing.T) {
	type seen struct {
		method, ctype, ua, path string
		call                    decodedCall
	}
	got := make(chan seen, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var s seen
		s.method, s.ctype, s.ua, s.path = r.Method, r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.URL.RequestURI()
		raw, _ := io.ReadAll(r.Body)
		_ = xml.Unmarshal(raw, &s.call)
		got <- s
		_, _ = io.WriteString(w, okBody)
	})
	c := loopbackClient(t)
	source, target := "https://me.example/2024/hello/?a=1&b=2", "https://you.example/post/<1>"
	res, err := c.Pingback(context.Background(), srv.URL+"/xmlrpc.php?x=1", source, target)
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.method != "POST" || !strings.HasPrefix(s.ctype, "text/xml") || s.path != "/xmlrpc.php?x=1" {
		t.Errorf("request: %s %s, Content-Type %q", s.method, s.path, s.ctype)
	}
	if !strings.HasPrefix(s.ua, "hugo-pingback/") || !strings.Contains(s.ua, ProjectURL) {
		t.Errorf("User-Agent = %q", s.ua)
	}
	if s.call.Method != "pingback.ping" || !equalStrings(s.call.Params, []string{source, target}) {
		t.Errorf("call = %+v", s.call)
	}
	if res.Answer != "Pingback registered." || res.Status != 200 {
		t.Errorf("Result = %+v", res)
	}
}

// A receiver that accepts the call and never answers: the ping ends after
// Timeout, classified as a retry.
func TestPingbackHungReceiver(t *testing.T) {
	srv := stall(t, nil)
	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 100 * time.Millisecond})
	start := time.Now()
	res, err := c.Pingback(context.Background(), srv.URL, "https://a.example/", "https://b.example/")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s for a 100ms timeout", d)
	}
	var te *TimeoutError
	if !errors.As(err, &te) || te.After != 100*time.Millisecond {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	if res != nil {
		t.Errorf("Result = %+v for no answer", res)
	}
	if Classify(err) != ClassRetry || Explain(err) != "timed out after 100ms" {
		t.Errorf("Classify = %s, Explain = %q", Classify(err), Explain(err))
	}
}

// A receiver that sends its headers and stalls in the body times out too.
func TestPingbackStalledBody(t *testing.T) {
	srv := stall(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<?xml version="1.0"?><methodResponse><params>`)
	})
	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 100 * time.Millisecond})
	_, err := c.Pingback(context.Background(), srv.URL, "https://a.example/", "https://b.example/")
	if Classify(err) != ClassRetry {
		t.Errorf("err = %v (%s), want a retry", err, Classify(err))
	}
}

// The caller's context ends the call too (the run's budget).
func TestPingbackCancelled(t *testing.T) {
	srv := stall(t, nil)
	c := loopbackClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Pingback(ctx, srv.URL, "https://a.example/", "https://b.example/")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		t.Error("a cancelled run is reported as a timeout")
	}
}

func TestCallRedirectedEndpoint(t *testing.T) {
	var final string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			// 308 keeps the method and body (http to https moves do this).
			http.Redirect(w, r, "/xmlrpc.php", http.StatusPermanentRedirect)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || !bytes.Contains(raw, []byte("pingback.ping")) {
			http.Error(w, "lost the body", http.StatusBadRequest)
			return
		}
		final = r.URL.Path
		_, _ = io.WriteString(w, okBody)
	})
	ans, err := loopbackClient(t).Call(context.Background(), srv.URL+"/old", "pingback.ping", "a", "b")
	if err != nil || ans != "Pingback registered." || final != "/xmlrpc.php" {
		t.Errorf("Call = %q, %v (final %q)", ans, err, final)
	}
}

// A 301 on a POST is not turned into a GET of the new address: the call
// fails with the 3xx, naming where it points.
func TestCallMovedEndpoint(t *testing.T) {
	var gets atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
		}
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/xmlrpc.php", http.StatusMovedPermanently)
			return
		}
		_, _ = io.WriteString(w, okBody)
	})
	_, err := loopbackClient(t).Call(context.Background(), srv.URL+"/moved", "pingback.ping", "a", "b")
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusMovedPermanently || he.Location != srv.URL+"/xmlrpc.php" {
		t.Fatalf("err = %v, want HTTP 301 naming the new address", err)
	}
	if gets.Load() != 0 {
		t.Error("the POST became a GET")
	}
}

// A big error page is reported by its status, not as "too large".
func TestCallBigErrorPage(t *testing.T) {
	endpoint := rpcServer(t, http.StatusNotFound, nil, "<html>"+strings.Repeat("not found ", MaxRPCBytes/5)+"</html>")
	_, err := loopbackClient(t).Call(context.Background(), endpoint, "pingback.ping", "a", "b")
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusNotFound || errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want HTTP 404", err)
	}
}

// Errors name the endpoint they came from.
func TestCallErrorsNameTheEndpoint(t *testing.T) {
	for _, body := range []string{faultBody(17, "no link"), "<html>oops</html>"} {
		endpoint := rpcServer(t, 200, nil, body)
		_, err := loopbackClient(t).Call(context.Background(), endpoint, "pingback.ping", "a", "b")
		if err == nil || !strings.Contains(err.Error(), endpoint) {
			t.Errorf("err = %v, want it to name %s", err, endpoint)
		}
	}
}
