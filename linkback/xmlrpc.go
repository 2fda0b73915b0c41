package linkback

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// FaultError is an XML-RPC <fault> answer.
type FaultError struct {
	Code    int
	Message string
}

func (e *FaultError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("fault %d", e.Code)
	}
	return fmt.Sprintf("fault %d: %s", e.Code, e.Message)
}

// Call makes an XML-RPC call whose parameters are all strings and returns the
// answer as a string. A <fault> answer is a *FaultError, an answer that is
// not XML-RPC a *ProtocolError, an answer over 64 KiB ErrTooLarge, a
// non-2xx status that carries no fault an *HTTPError.
//
// The answer's Content-Type is not checked: WordPress and others send
// text/xml, application/xml or text/html for the same document.
func (c *Client) Call(ctx context.Context, endpoint, method string, params ...string) (string, error) {
	answer, _, err := c.call(ctx, endpoint, method, params)
	return answer, err
}

// call is Call that also returns the HTTP status, 0 when there was no answer.
func (c *Client) call(ctx context.Context, endpoint, method string, params []string) (string, int, error) {
	u, err := parseRemoteURL(endpoint)
	if err != nil {
		return "", 0, err
	}
	body := encodeMethodCall(method, params)
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return "", 0, fmt.Errorf("call %s at %s: %w", method, redactURL(u), err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("Accept", "text/xml, application/xml;q=0.9, */*;q=0.1")
	// postClient (webmention.go) answers a 301/302/303 with the 3xx itself
	// instead of turning the call into a GET of the new address.
	resp, cancel, err := c.request(ctx, c.postClient(), req)
	if err != nil {
		return "", 0, err
	}
	defer cancel()
	defer closeBody(resp.Body)
	final := redactURL(resp.Request.URL)

	// 429 and 503 are rate limits whatever the body says: keep Retry-After.
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		return "", resp.StatusCode, newHTTPError(resp, time.Now())
	}
	data, truncated, err := readCapped(resp.Body, MaxRPCBytes)
	if err != nil {
		return "", resp.StatusCode, wrapTransportError(ctx, ctx, resp.Request.URL, c.Timeout, fmt.Errorf("read answer of %s: %w", final, err))
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if truncated {
		if !ok { // a big error page says no more than its status
			return "", resp.StatusCode, newHTTPError(resp, time.Now())
		}
		return "", resp.StatusCode, fmt.Errorf("%s: %w (over %d KiB)", final, ErrTooLarge, MaxRPCBytes>>10)
	}
	answer, err := ParseMethodResponse(data)
	var fe *FaultError
	if errors.As(err, &fe) {
		// A fault explains more than the status that came with it (some
		// servers answer faults with 500).
		return "", resp.StatusCode, fmt.Errorf("%s at %s: %w", method, final, fe)
	}
	if !ok {
		return "", resp.StatusCode, newHTTPError(resp, time.Now())
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		pe.URL = final
	}
	return answer, resp.StatusCode, err
}

// encodeMethodCall writes an XML-RPC methodCall with string parameters.
func encodeMethodCall(method string, params []string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<methodCall><methodName>")
	xml.EscapeText(&b, []byte(method))
	b.WriteString("</methodName><params>")
	for _, p := range params {
		b.WriteString("<param><value><string>")
		xml.EscapeText(&b, []byte(p))
		b.WriteString("</string></value></param>")
	}
	b.WriteString("</params></methodCall>\n")
	return b.Bytes()
}

// maxValueDepth bounds nesting of arrays and structs in an answer.
const maxValueDepth = 16

// ParseMethodResponse reads an XML-RPC methodResponse. A one-parameter answer
// gives its value as text (string, untyped value, int, i4, boolean as "1"/"0",
// double; an array or struct as a compact rendering); a <fault> gives a
// *FaultError (faultCode int or i4); anything else a *ProtocolError without
// URL. Documents in encodings other than UTF-8 are decoded by their
// declaration.
func ParseMethodResponse(data []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charset.NewReaderLabel
	root, err := nextStart(d)
	if err == io.EOF {
		return "", garbage("no XML element in the answer")
	}
	if err != nil {
		return "", garbage("not XML: %v", err)
	}
	if root.Name.Local != "methodResponse" {
		return "", garbage("root element is <%s>, want <methodResponse>", root.Name.Local)
	}
	el, err := nextStart(d)
	if err == errEndElement {
		return "", garbage("empty methodResponse")
	}
	if err != nil {
		return "", garbage("unterminated methodResponse: %v", err)
	}
	switch el.Name.Local {
	case "params":
		param, err := nextStart(d)
		if err != nil || param.Name.Local != "param" {
			return "", garbage("methodResponse has no <param>")
		}
		v, err := expectValue(d)
		if err != nil {
			return "", err
		}
		if err := finish(d); err != nil {
			return "", err
		}
		return v.text(), nil
	case "fault":
		v, err := expectValue(d)
		if err != nil {
			return "", err
		}
		if err := finish(d); err != nil {
			return "", err
		}
		return "", faultFrom(v)
	default:
		return "", garbage("unexpected <%s> in methodResponse", el.Name.Local)
	}
}

func garbage(format string, args ...any) *ProtocolError {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

func faultFrom(v xmlValue) error {
	if v.kind != "struct" {
		return garbage("fault is a %s, want a struct", v.kind)
	}
	code, ok := v.members["faultCode"]
	if !ok {
		return garbage("fault without faultCode")
	}
	// The spec says int; a few old PHP servers send the number as a string,
	// which still says more than calling the answer garbage.
	n, err := strconv.Atoi(strings.TrimSpace(code.s))
	if err != nil || (code.kind != "int" && code.kind != "i4" && code.kind != "i8" && code.kind != "string") {
		return garbage("faultCode %q is not an int", code.s)
	}
	msg := v.members["faultString"]
	return &FaultError{Code: n, Message: strings.TrimSpace(msg.text())}
}

// xmlValue is a decoded <value>.
type xmlValue struct {
	kind    string // "string", "int", "i4", "boolean", "double", "array", "struct", ...
	s       string
	items   []xmlValue
	members map[string]xmlValue
	order   []string
}

// text renders a value as the string answer of Call.
func (v xmlValue) text() string {
	switch v.kind {
	case "array":
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			parts[i] = it.text()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case "struct":
		parts := make([]string, len(v.order))
		for i, k := range v.order {
			parts[i] = k + ": " + v.members[k].text()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case "string", "":
		return v.s
	default:
		return strings.TrimSpace(v.s)
	}
}

// errEndElement is nextStart meeting an end tag before any start tag.
var errEndElement = errors.New("end of element")

// tokenReader is an *xml.Decoder, or the server's reader of calls, which
// refuses DTDs on top of it.
type tokenReader interface {
	Token() (xml.Token, error)
}

// nextStart returns the next start element, skipping text, comments and
// processing instructions. An end tag first gives errEndElement.
func nextStart(d tokenReader) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errEndElement
		}
	}
}

// finish reads the rest of the document, which must be well-formed: a cut
// answer is garbage, not a success.
func finish(d *xml.Decoder) error {
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return garbage("%v", err)
		}
	}
}

// expectValue reads up to and including the next <value> element.
func expectValue(d *xml.Decoder) (xmlValue, error) {
	el, err := nextStart(d)
	if err != nil {
		return xmlValue{}, garbage("no <value>: %v", err)
	}
	if el.Name.Local != "value" {
		return xmlValue{}, garbage("<%s> where <value> was expected", el.Name.Local)
	}
	return readValue(d, 0)
}

// readValue reads the content of a <value> whose start tag was consumed,
// through its end tag. A <value> with bare text is a string (XML-RPC spec:
// "If no type is indicated, the type is string").
func readValue(d *xml.Decoder, depth int) (xmlValue, error) {
	if depth > maxValueDepth {
		return xmlValue{}, garbage("values nested deeper than %d", maxValueDepth)
	}
	var text strings.Builder
	var v xmlValue
	typed := false
	for {
		tok, err := d.Token()
		if err != nil {
			return xmlValue{}, garbage("unterminated <value>: %v", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			if typed {
				return xmlValue{}, garbage("<value> holds two types")
			}
			typed = true
			v, err = readTyped(d, t.Name.Local, depth)
			if err != nil {
				return xmlValue{}, err
			}
		case xml.EndElement:
			if !typed {
				return xmlValue{kind: "string", s: text.String()}, nil
			}
			if strings.TrimSpace(text.String()) != "" {
				return xmlValue{}, garbage("text beside a typed value")
			}
			return v, nil
		}
	}
}

// readTyped reads the element named kind inside a <value>, through its end tag.
func readTyped(d *xml.Decoder, kind string, depth int) (xmlValue, error) {
	switch kind {
	case "array":
		return readArray(d, depth)
	case "struct":
		return readStruct(d, depth)
	case "string", "int", "i4", "i8", "boolean", "double", "dateTime.iso8601", "base64", "nil":
		s, err := readText(d, kind)
		if err != nil {
			return xmlValue{}, err
		}
		return xmlValue{kind: kind, s: s}, nil
	default:
		return xmlValue{}, garbage("unknown value type <%s>", kind)
	}
}

// readText reads an answer's scalar of kind through its end tag (see
// scalarText); a document that ends inside it is garbage.
func readText(d *xml.Decoder, kind string) (string, error) {
	s, err := scalarText(d, kind, func(format string, args ...any) error { return garbage(format, args...) })
	var pe *ProtocolError
	if err != nil && !errors.As(err, &pe) {
		return "", garbage("unterminated scalar: %v", err)
	}
	return s, err
}

// scalarText reads the character data of a scalar element of kind through
// its end tag, as written, and checks that an int or a boolean is one: the
// one reading of XML-RPC scalars, for answers and for calls. bad words a
// malformed scalar in the caller's terms (a garbled answer, an invalid
// call); the decoder's own errors come back as they are.
func scalarText(d tokenReader, kind string, bad func(format string, args ...any) error) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			return "", bad("element <%s> inside a scalar", t.Name.Local)
		case xml.EndElement:
			s := b.String()
			switch v := strings.TrimSpace(s); kind {
			case "int", "i4", "i8":
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return "", bad("<%s> %q is not an integer", kind, s)
				}
			case "boolean":
				if v != "0" && v != "1" {
					return "", bad("<boolean> %q is not 0 or 1", s)
				}
			}
			return s, nil
		}
	}
}

func readArray(d *xml.Decoder, depth int) (xmlValue, error) {
	v := xmlValue{kind: "array"}
	el, err := nextStart(d)
	if err != nil || el.Name.Local != "data" {
		return xmlValue{}, garbage("<array> without <data>")
	}
	for {
		el, err := nextStart(d)
		if err == errEndElement {
			// </data> ends the items; then </array> must follow.
			if err := skipEnd(d); err != nil {
				return xmlValue{}, err
			}
			return v, nil
		}
		if err != nil {
			return xmlValue{}, garbage("unterminated <array>: %v", err)
		}
		if el.Name.Local != "value" {
			return xmlValue{}, garbage("<%s> inside <data>", el.Name.Local)
		}
		item, err := readValue(d, depth+1)
		if err != nil {
			return xmlValue{}, err
		}
		v.items = append(v.items, item)
	}
}

func readStruct(d *xml.Decoder, depth int) (xmlValue, error) {
	v := xmlValue{kind: "struct", members: map[string]xmlValue{}}
	for {
		el, err := nextStart(d)
		if err == errEndElement { // </struct>
			return v, nil
		}
		if err != nil {
			return xmlValue{}, garbage("unterminated <struct>: %v", err)
		}
		if el.Name.Local != "member" {
			return xmlValue{}, garbage("<%s> inside <struct>", el.Name.Local)
		}
		name, err := nextStart(d)
		if err != nil || name.Name.Local != "name" {
			return xmlValue{}, garbage("<member> without <name>")
		}
		key, err := readText(d, "string")
		if err != nil {
			return xmlValue{}, err
		}
		key = strings.TrimSpace(key)
		mv, err := expectValue(d)
		if err != nil {
			return xmlValue{}, err
		}
		if err := skipEnd(d); err != nil { // </member>
			return xmlValue{}, err
		}
		if _, dup := v.members[key]; !dup {
			v.order = append(v.order, key)
		}
		v.members[key] = mv
	}
}

// skipEnd consumes tokens up to the next end element, which must come before
// any start element.
func skipEnd(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				return garbage("document ends early")
			}
			return garbage("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return garbage("unexpected <%s>", t.Name.Local)
		case xml.EndElement:
			return nil
		}
	}
}
