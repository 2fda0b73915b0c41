package linkback

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// The weblogUpdates methods, as recorded in Result.Protocol.
const (
	ProtoExtendedPing = "weblogUpdates.extendedPing"
	ProtoPing         = "weblogUpdates.ping"
)

// UpdateError is an update service's refusal: its answer struct had
// flerror true (weblogs.com XML-RPC interface).
type UpdateError struct {
	URL     string
	Method  string
	Message string
}

func (e *UpdateError) Error() string {
	return fmt.Sprintf("%s: %s refused: %s", e.URL, e.Method, e.Message)
}

// WeblogUpdate tells an update service (Ping-o-matic and the like) that the
// site changed: weblogUpdates.extendedPing(name, home, feed), and when the
// service does not know that method, weblogUpdates.ping(name, home). Without
// a feed URL only weblogUpdates.ping is called.
//
// The service answers a struct {flerror boolean, message string}: flerror
// true is an *UpdateError. Faults are *FaultError, other failures as for
// Call. Result.Protocol names the method that gave the final answer and
// Result.Answer holds the service's message.
func (c *Client) WeblogUpdate(ctx context.Context, service, name, home, feed string) (*Result, error) {
	if feed != "" {
		res, err := c.weblogCall(ctx, service, ProtoExtendedPing, name, home, feed)
		if err == nil || !methodUnknown(err) {
			return res, err
		}
	}
	return c.weblogCall(ctx, service, ProtoPing, name, home)
}

// methodUnknown reports whether err says the service does not have the
// method: XML-RPC fault -32601, HTTP 501, or words to that effect in a
// fault, a flerror message or an HTTP error page (Python's xmlrpc.server
// answers fault 1 `method "..." is not supported`, others fault 0
// "unknown method").
func methodUnknown(err error) bool {
	var fe *FaultError
	if errors.As(err, &fe) {
		return fe.Code == -32601 || saysMethodUnknown(fe.Message)
	}
	var ue *UpdateError
	if errors.As(err, &ue) {
		return saysMethodUnknown(ue.Message)
	}
	var he *updateHTTPError
	if errors.As(err, &he) {
		return he.StatusCode == http.StatusNotImplemented || saysMethodUnknown(he.body)
	}
	return false
}

func saysMethodUnknown(s string) bool {
	s = strings.ToLower(s)
	if !strings.Contains(s, "method") {
		return false
	}
	for _, w := range []string{"not found", "unknown", "not supported", "unsupported",
		"does not exist", "doesn't exist", "no such", "not implemented", "not recognized", "undefined"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// updateHTTPError is a *HTTPError that keeps the start of the error page,
// so methodUnknown can read it. It unwraps to the *HTTPError.
type updateHTTPError struct {
	*HTTPError
	body string
}

func (e *updateHTTPError) Unwrap() error { return e.HTTPError }

// weblogCall makes one weblogUpdates call and reads its struct answer.
func (c *Client) weblogCall(ctx context.Context, service, method string, params ...string) (*Result, error) {
	u, err := parseRemoteURL(service)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(encodeMethodCall(method, params)))
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", method, redactURL(u), err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, cancel, err := c.request(ctx, c.postClient(), req)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", method, redactURL(u), err)
	}
	defer cancel()
	defer closeBody(resp.Body)
	final := redactURL(resp.Request.URL)
	res := &Result{Protocol: method, Endpoint: service, Status: resp.StatusCode}

	data, truncated, err := readCapped(resp.Body, MaxRPCBytes)
	if err != nil {
		err = wrapTransportError(ctx, ctx, resp.Request.URL, c.Timeout, err)
		return res, fmt.Errorf("%s at %s: read answer: %w", method, final, err)
	}
	if truncated {
		return res, fmt.Errorf("%s answer of %s: %w (over %d KiB)", method, final, ErrTooLarge, MaxRPCBytes>>10)
	}
	// Faults and garbage are found by the package's XML-RPC reader; the
	// struct answer is read here, since Call renders values as one string.
	_, perr := ParseMethodResponse(data)
	var fe *FaultError
	if errors.As(perr, &fe) {
		res.Answer = fe.Message
		return res, fe
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.Answer = excerpt(data)
		return res, &updateHTTPError{HTTPError: newHTTPError(resp, time.Now()), body: res.Answer}
	}
	if perr != nil {
		var pe *ProtocolError
		if errors.As(perr, &pe) {
			pe.URL = final
		}
		res.Answer = excerpt(data)
		return res, perr
	}
	flerror, msg, garbled := parseUpdateAnswer(data)
	if garbled != nil {
		garbled.URL = final
		res.Answer = excerpt(data)
		return res, garbled
	}
	res.Answer = msg
	if flerror {
		return res, &UpdateError{URL: final, Method: method, Message: msg}
	}
	return res, nil
}

// rpcMember is one member of an XML-RPC struct, its value in any of the
// forms a service may use for a boolean or a string.
type rpcMember struct {
	Name  string `xml:"name"`
	Value struct {
		Text    string  `xml:",chardata"`
		Boolean *string `xml:"boolean"`
		String  *string `xml:"string"`
		Int     *string `xml:"int"`
		I4      *string `xml:"i4"`
	} `xml:"value"`
}

func (m rpcMember) text() string {
	v := m.Value
	for _, p := range []*string{v.Boolean, v.String, v.Int, v.I4} {
		if p != nil {
			return *p
		}
	}
	return v.Text
}

// parseUpdateAnswer reads the {flerror, message} struct of a weblogUpdates
// answer. flerror may be a boolean, an int or bare text ("1", "true"); a
// struct without flerror is garbage, since success cannot be told.
func parseUpdateAnswer(data []byte) (flerror bool, message string, perr *ProtocolError) {
	var r struct {
		Members []rpcMember `xml:"params>param>value>struct>member"`
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charset.NewReaderLabel
	if err := d.Decode(&r); err != nil {
		return false, "", garbage("weblogUpdates answer: %v", err)
	}
	found := false
	for _, m := range r.Members {
		switch strings.TrimSpace(m.Name) {
		case "flerror":
			switch strings.ToLower(strings.TrimSpace(m.text())) {
			case "1", "true":
				flerror, found = true, true
			case "0", "false":
				flerror, found = false, true
			default:
				return false, "", garbage("weblogUpdates flerror %q is not a boolean", m.text())
			}
		case "message":
			message = strings.TrimSpace(m.text())
		}
	}
	if !found {
		return false, "", garbage("weblogUpdates answer has no flerror member")
	}
	return flerror, message, nil
}
