package linkback

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMethodCall(t *testing.T) {
	const ping = `<?xml version="1.0"?><methodCall><methodName>pingback.ping</methodName><params>` +
		`<param><value><string>https://a.example/post</string></value></param>` +
		`<param><value>https://b.example/x?a=1&amp;b=2</value></param></params></methodCall>`
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` +
		`<methodCall><methodName>&lol2;</methodName></methodCall>`
	tests := []struct {
		name   string
		in     string
		method string
		params []string
		fault  int
	}{
		// The call every pingback sender makes; an untyped value is a string.
		{"pingback.ping", ping, "pingback.ping", []string{"https://a.example/post", "https://b.example/x?a=1&b=2"}, 0},
		// No params at all (system.listMethods as Python sends it).
		{"no params", `<methodCall><methodName>system.listMethods</methodName><params></params></methodCall>`, "system.listMethods", nil, 0},
		// Scalars other than string arrive as their literal.
		{"int and boolean", `<methodCall><methodName>m</methodName><params><param><value><i4> 7 </i4></value></param><param><value><boolean>1</boolean></value></param></params></methodCall>`, "m", []string{"7", "1"}, 0},
		// Another encoding, declared: decoded by its label.
		{"latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>m</methodName><params><param><value>caf\xe9</value></param></params></methodCall>", "m", []string{"café"}, 0},
		// Billion laughs: refused at the DOCTYPE, nothing expanded.
		{"xml bomb", bomb, "", nil, FaultInvalid},
		// A lone entity declaration is a directive too.
		{"entity", `<!ENTITY x SYSTEM "file:///etc/passwd"><methodCall><methodName>m</methodName></methodCall>`, "", nil, FaultInvalid},
		// An undeclared entity is not well-formed.
		{"undeclared entity", `<methodCall><methodName>&x;</methodName></methodCall>`, "", nil, FaultParse},
		// Cut in the middle.
		{"truncated", `<methodCall><methodName>pingback.ping</methodName><params><param>`, "", nil, FaultParse},
		// Not XML at all.
		{"form body", `source=a&target=b`, "", nil, FaultParse},
		// An empty body.
		{"empty", ``, "", nil, FaultInvalid},
		// The wrong root element.
		{"methodResponse", `<methodResponse><params/></methodResponse>`, "", nil, FaultInvalid},
		// A call without a method name.
		{"no methodName", `<methodCall><params/></methodCall>`, "", nil, FaultInvalid},
		// A struct where a URL belongs.
		{"struct param", `<methodCall><methodName>m</methodName><params><param><value><struct></struct></value></param></params></methodCall>`, "", nil, FaultInvalidParams},
		// An int that is not one.
		{"bad int", `<methodCall><methodName>m</methodName><params><param><value><int>x</int></value></param></params></methodCall>`, "", nil, FaultInvalid},
		// A second root element after the call.
		{"trailing element", `<methodCall><methodName>m</methodName></methodCall><methodCall/>`, "", nil, FaultInvalid},
		// An encoding nobody knows.
		{"unknown encoding", `<?xml version="1.0" encoding="x-klingon"?><methodCall><methodName>m</methodName></methodCall>`, "", nil, FaultEncoding},
		// Over the size cap, however well-formed.
		{"too large", `<methodCall><methodName>m</methodName><params><param><value>` + strings.Repeat("a", MaxCallBytes) + `</value></param></params></methodCall>`, "", nil, FaultInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := ParseMethodCall([]byte(tt.in))
			if tt.fault != 0 {
				var fe *FaultError
				if !errors.As(err, &fe) || fe.Code != tt.fault {
					t.Fatalf("err = %v, want fault %d", err, tt.fault)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if call.Method != tt.method || strings.Join(call.Params, "|") != strings.Join(tt.params, "|") || len(call.Params) != len(tt.params) {
				t.Fatalf("got %q %q, want %q %q", call.Method, call.Params, tt.method, tt.params)
			}
		})
	}
}

// The server's answers read back with the client's parser, text escaped.
func TestEncodeRoundTrip(t *testing.T) {
	msg := `ok <b> & "quotes"`
	if got, err := ParseMethodResponse(EncodeResponse(msg)); err != nil || got != msg {
		t.Fatalf("response: %q, %v", got, err)
	}
	_, err := ParseMethodResponse(EncodeFault(FaultNoLink, "no <a> link & more"))
	var fe *FaultError
	if !errors.As(err, &fe) || fe.Code != FaultNoLink || fe.Message != "no <a> link & more" {
		t.Fatalf("fault: %v", err)
	}
	if got, err := ParseMethodResponse(EncodeStrings([]string{"a", "b&c"})); err != nil || got != "[a, b&c]" {
		t.Fatalf("strings: %q, %v", got, err)
	}
	// A call encoded by the client parses back on the server side.
	call, err := ParseMethodCall(encodeMethodCall("pingback.ping", []string{"s<", "t&"}))
	if err != nil || call.Method != "pingback.ping" || len(call.Params) != 2 || call.Params[0] != "s<" || call.Params[1] != "t&" {
		t.Fatalf("call: %+v, %v", call, err)
	}
}

// FuzzParseMethodCall: any input gives a call or a fault, never a panic; a
// parsed call encodes and parses back to itself.
func FuzzParseMethodCall(f *testing.F) {
	f.Add([]byte(`<methodCall><methodName>pingback.ping</methodName><params><param><value>a</value></param></params></methodCall>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><methodCall/>`))
	f.Add([]byte(`<methodCall><methodName>m</methodName><params><param><value><int>1</int></value></param></params></methodCall>`))
	f.Add([]byte(`<?xml version="1.0" encoding="utf-16"?><methodCall/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		call, err := ParseMethodCall(data)
		if err != nil {
			var fe *FaultError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a fault: %v", err)
			}
			return
		}
		again, err := ParseMethodCall(encodeMethodCall(call.Method, call.Params))
		if err != nil {
			t.Fatalf("re-encoded call does not parse: %v", err)
		}
		if again.Method != strings.TrimSpace(call.Method) || len(again.Params) != len(call.Params) {
			t.Fatalf("round trip: %+v -> %+v", call, again)
		}
	})
}
