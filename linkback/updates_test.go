package linkback

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/internal/peertest"
)

// weblogCallSeen is a decoded XML-RPC methodCall with string parameters.
type weblogCallSeen struct {
	Method string   `xml:"methodName"`
	Params []string `xml:"params>param>value>string"`
}

// weblogAnswer is a weblogUpdates answer struct.
func weblogAnswer(flerror bool, message string) string {
	b := 0
	if flerror {
		b = 1
	}
	var m strings.Builder
	_ = xml.EscapeText(&m, []byte(message))
	return fmt.Sprintf(`<?xml version="1.0"?>
<methodResponse><params><param><value><struct>
<member><name>flerror</name><value><boolean>%d</boolean></value></member>
<member><name>message</name><value>%s</value></member>
</struct></value></param></params></methodResponse>`, b, m.String())
}

func weblogFault(code int, msg string) string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<methodResponse><fault><value><struct>
<member><name>faultCode</name><value><int>%d</int></value></member>
<member><name>faultString</name><value><string>%s</string></value></member>
</struct></value></fault></methodResponse>`, code, msg)
}

// rpcServer answers each call with answer(call) and records the calls.
func weblogRPCServer(t *testing.T, answer func(c weblogCallSeen) (status int, body string)) (*httptest.Server, chan weblogCallSeen) {
	t.Helper()
	calls := make(chan weblogCallSeen, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c weblogCallSeen
		if err := xml.NewDecoder(r.Body).Decode(&c); err != nil {
			http.Error(w, "bad call", http.StatusBadRequest)
			return
		}
		calls <- c
		status, body := answer(c)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

func TestWeblogUpdate(t *testing.T) {
	const name, home, feed = "My Blog", "https://me.example/", "https://me.example/index.xml"
	tests := []struct {
		name       string
		feed       string
		answer     func(c weblogCallSeen) (int, string)
		wantCalls  []string // methods called, in order
		wantProto  string
		wantAnswer string
		wantErr    string // "", "update", "fault", "http", "protocol"
	}{
		{
			// The service knows extendedPing: one call.
			name: "extendedPing accepted",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				return 200, weblogAnswer(false, "Thanks for the ping.")
			},
			wantCalls:  []string{ProtoExtendedPing},
			wantProto:  ProtoExtendedPing,
			wantAnswer: "Thanks for the ping.",
		},
		{
			// XML-RPC's "method not found" fault: fall back to ping.
			name: "fault -32601 falls back",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				if c.Method == ProtoExtendedPing {
					return 200, weblogFault(-32601, "server error. requested method not found")
				}
				return 200, weblogAnswer(false, "Pinged.")
			},
			wantCalls:  []string{ProtoExtendedPing, ProtoPing},
			wantProto:  ProtoPing,
			wantAnswer: "Pinged.",
		},
		{
			// Older services say it with fault 0 and words.
			name: "fault 0 unknown method falls back",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				if c.Method == ProtoExtendedPing {
					return 200, weblogFault(0, "Unknown method weblogUpdates.extendedPing")
				}
				return 200, weblogAnswer(false, "ok")
			},
			wantCalls:  []string{ProtoExtendedPing, ProtoPing},
			wantProto:  ProtoPing,
			wantAnswer: "ok",
		},
		{
			// Or with flerror and words.
			name: "flerror method not supported falls back",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				if c.Method == ProtoExtendedPing {
					return 200, weblogAnswer(true, "Method not supported")
				}
				return 200, weblogAnswer(false, "ok")
			},
			wantCalls:  []string{ProtoExtendedPing, ProtoPing},
			wantProto:  ProtoPing,
			wantAnswer: "ok",
		},
		{
			// Or with an HTTP 501 Not Implemented.
			name: "HTTP 501 falls back",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				if c.Method == ProtoExtendedPing {
					return 501, "not implemented"
				}
				return 200, weblogAnswer(false, "ok")
			},
			wantCalls:  []string{ProtoExtendedPing, ProtoPing},
			wantProto:  ProtoPing,
			wantAnswer: "ok",
		},
		{
			// A refusal for another reason is the answer: no second call.
			name: "flerror true is an error",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				return 200, weblogAnswer(true, "Slow down, you pinged 3 minutes ago.")
			},
			wantCalls:  []string{ProtoExtendedPing},
			wantProto:  ProtoExtendedPing,
			wantAnswer: "Slow down, you pinged 3 minutes ago.",
			wantErr:    "update",
		},
		{
			// Another fault is the answer too.
			name: "other fault",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				return 200, weblogFault(50, "upstream down")
			},
			wantCalls:  []string{ProtoExtendedPing},
			wantProto:  ProtoExtendedPing,
			wantAnswer: "upstream down",
			wantErr:    "fault",
		},
		{
			// A 503 without a fault is an HTTP failure, retried later.
			name: "503",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				return 503, "busy"
			},
			wantCalls:  []string{ProtoExtendedPing},
			wantProto:  ProtoExtendedPing,
			wantAnswer: "busy",
			wantErr:    "http",
		},
		{
			// A struct without flerror cannot say success.
			name: "no flerror",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				return 200, `<methodResponse><params><param><value><struct><member><name>message</name><value>hi</value></member></struct></value></param></params></methodResponse>`
			},
			wantCalls:  []string{ProtoExtendedPing},
			wantProto:  ProtoExtendedPing,
			wantAnswer: "<methodResponse><params><param><value><struct><member><name>message</name><value>hi</value></member></struct></value></param></params></methodResponse>",
			wantErr:    "protocol",
		},
		{
			// flerror as bare text "false" (some services) is success.
			name: "flerror as text",
			feed: feed,
			answer: func(c weblogCallSeen) (int, string) {
				return 200, `<methodResponse><params><param><value><struct><member><name>flerror</name><value>false</value></member><member><name>message</name><value><string>ok</string></value></member></struct></value></param></params></methodResponse>`
			},
			wantCalls:  []string{ProtoExtendedPing},
			wantProto:  ProtoExtendedPing,
			wantAnswer: "ok",
		},
		{
			// Without a feed URL there is nothing to extend: ping only.
			name: "no feed",
			feed: "",
			answer: func(c weblogCallSeen) (int, string) {
				return 200, weblogAnswer(false, "ok")
			},
			wantCalls:  []string{ProtoPing},
			wantProto:  ProtoPing,
			wantAnswer: "ok",
		},
	}
	client := NewClient(ClientOptions{AllowPrivate: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := weblogRPCServer(t, tt.answer)
			res, err := client.WeblogUpdate(t.Context(), srv.URL+"/RPC2", name, home, tt.feed)
			if res == nil {
				t.Fatalf("no Result, err %v", err)
			}
			if res.Protocol != tt.wantProto || res.Answer != tt.wantAnswer || res.Endpoint != srv.URL+"/RPC2" {
				t.Errorf("Result = %+v, want protocol %s, answer %q", res, tt.wantProto, tt.wantAnswer)
			}
			var (
				ue *UpdateError
				fe *FaultError
				he *HTTPError
				pe *ProtocolError
			)
			ok := map[string]bool{
				"":         err == nil,
				"update":   errors.As(err, &ue) && ue.Message == tt.wantAnswer && ue.Method == tt.wantProto,
				"fault":    errors.As(err, &fe),
				"http":     errors.As(err, &he),
				"protocol": errors.As(err, &pe) && pe.URL != "",
			}[tt.wantErr]
			if !ok {
				t.Errorf("err = %#v, want kind %q", err, tt.wantErr)
			}
			close(calls)
			var got []string
			for c := range calls {
				got = append(got, c.Method)
				want := []string{name, home}
				if c.Method == ProtoExtendedPing {
					want = append(want, tt.feed)
				}
				if strings.Join(c.Params, "|") != strings.Join(want, "|") {
					t.Errorf("%s params = %q, want %q", c.Method, c.Params, want)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantCalls, ",") {
				t.Errorf("calls = %v, want %v", got, tt.wantCalls)
			}
		})
	}
}

// startWeblogPeer runs testdata/peer/weblog_server.py, Python's own
// xmlrpc.server, and returns its URL. The peer exits when its stdin closes.
func startWeblogPeer(t *testing.T, mode string) string {
	t.Helper()
	return peertest.Start(t, peertest.Script(t, "weblog_server.py"), mode) + "/RPC2"
}

func TestWeblogUpdatePythonPeer(t *testing.T) {
	const name, home, feed = "Blog & Co", "https://me.example/", "https://me.example/index.xml"
	client := NewClient(ClientOptions{AllowPrivate: true})
	tests := []struct {
		mode       string
		wantProto  string
		wantAnswer string
		wantErr    bool
	}{
		// Both methods: extendedPing, with the feed.
		{"both", ProtoExtendedPing, "Thanks for the ping: extendedPing(Blog & Co|https://me.example/|https://me.example/index.xml)", false},
		// Python faults an unknown method with code 1 and "is not
		// supported": recognised, and ping answers.
		{"ping-only", ProtoPing, "Thanks for the ping: ping(Blog & Co|https://me.example/)", false},
		// flerror true from a real struct encoder.
		{"refuse", ProtoExtendedPing, "refused extendedPing(Blog & Co|https://me.example/|https://me.example/index.xml)", true},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			service := startWeblogPeer(t, tt.mode)
			res, err := client.WeblogUpdate(t.Context(), service, name, home, feed)
			var ue *UpdateError
			if tt.wantErr != errors.As(err, &ue) || (!tt.wantErr && err != nil) {
				t.Fatalf("err = %v, want UpdateError: %v", err, tt.wantErr)
			}
			if res == nil || res.Protocol != tt.wantProto || res.Answer != tt.wantAnswer {
				t.Errorf("Result = %+v, want %s %q", res, tt.wantProto, tt.wantAnswer)
			}
		})
	}
}

func TestSaysMethodUnknown(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{`<class 'Exception'>:method "weblogUpdates.extendedPing" is not supported`, true},  // Python xmlrpc.server
		{"server error. requested method weblogUpdates.extendedPing does not exist.", true}, // WordPress IXR
		{"Unknown method", true},                   // generic
		{"Method not found", true},                 // JSON-RPC wording
		{"Thanks for the ping.", false},            // success message
		{"not found", false},                       // about something else: a page, a blog
		{"Slow down, you pinged too often", false}, // rate limit
	}
	for _, tt := range tests {
		if got := saysMethodUnknown(tt.msg); got != tt.want {
			t.Errorf("saysMethodUnknown(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}
