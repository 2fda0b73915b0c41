package linkback

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html/charset"
)

// The server side of XML-RPC: what a receiver reads from a caller and
// writes back. It lives beside the client side (Call, ParseMethodResponse)
// so that one file owns the protocol in both directions.

// MaxCallBytes is the largest XML-RPC request a server reads: a
// pingback.ping call is a few hundred bytes.
const MaxCallBytes = 64 << 10

// XML-RPC fault codes a server answers for broken calls ("Specification for
// Fault Code Interoperability", xmlrpc-epi), besides the Pingback codes.
const (
	FaultParse          = -32700 // not well-formed XML
	FaultEncoding       = -32701 // unsupported encoding
	FaultInvalid        = -32600 // well-formed, but not an XML-RPC call we take
	FaultMethodNotFound = -32601 // no such method
	FaultInvalidParams  = -32602 // wrong number or types of parameters
	FaultInternal       = -32603 // the server failed
)

// The Pingback 1.0 fault codes a receiver answers.
const (
	FaultSourceNotFound    = 16 // the source URI does not exist
	FaultNoLink            = 17 // the source does not link to the target
	FaultTargetNotFound    = 32 // the target URI does not exist
	FaultTargetNotUsable   = 33 // the target cannot be used as a target
	FaultAlreadyRegistered = 48 // the pingback has already been registered
	FaultAccessDenied      = 49 // access denied
	FaultUpstream          = 50 // the server could not reach an upstream server
)

// MethodCall is an XML-RPC call as a server reads it. Params holds each
// scalar parameter as text (a string, or the literal of an int, boolean or
// double); a caller that needs an array or struct parameter gets FaultInvalidParams.
type MethodCall struct {
	Method string
	Params []string
}

// ParseMethodCall reads an XML-RPC methodCall. Every refusal is a
// *FaultError with the code a server answers: FaultInvalid for a body over
// MaxCallBytes or one holding a DTD (<!DOCTYPE, <!ENTITY: entities are
// never declared, let alone expanded, so an "XML bomb" costs nothing),
// FaultParse for XML that is not well-formed, FaultEncoding for an unknown
// charset, FaultInvalidParams for a parameter that is not a scalar.
func ParseMethodCall(data []byte) (*MethodCall, error) {
	if len(data) > MaxCallBytes {
		return nil, &FaultError{Code: FaultInvalid, Message: fmt.Sprintf("request over %d KiB", MaxCallBytes>>10)}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	encodingErr := false
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		r, err := charset.NewReaderLabel(label, in)
		if err != nil {
			encodingErr = true
		}
		return r, err
	}
	p := callParser{d: d}
	call, err := p.parse()
	if err != nil {
		var fe *FaultError
		if errors.As(err, &fe) {
			return nil, fe
		}
		if encodingErr {
			return nil, &FaultError{Code: FaultEncoding, Message: "unsupported encoding: " + err.Error()}
		}
		return nil, &FaultError{Code: FaultParse, Message: "not well-formed XML: " + err.Error()}
	}
	return call, nil
}

// callParser reads a methodCall token by token, refusing any directive.
type callParser struct{ d *xml.Decoder }

// Token is d.Token that refuses DTDs: Go's decoder would not expand the
// entities, but a document that declares them is an attack, not a call.
func (p callParser) Token() (xml.Token, error) {
	tok, err := p.d.Token()
	if err != nil {
		return nil, err
	}
	if dir, ok := tok.(xml.Directive); ok {
		kind := strings.ToUpper(strings.TrimSpace(string(dir)))
		if i := strings.IndexAny(kind, " \t\r\n["); i > 0 {
			kind = kind[:i]
		}
		return nil, &FaultError{Code: FaultInvalid, Message: "DTDs and entity declarations are not allowed (<!" + kind + ">)"}
	}
	return tok, nil
}

// start returns the next start element (see nextStart).
func (p callParser) start() (xml.StartElement, error) { return nextStart(p) }

func invalid(format string, args ...any) *FaultError {
	return &FaultError{Code: FaultInvalid, Message: fmt.Sprintf(format, args...)}
}

func (p callParser) parse() (*MethodCall, error) {
	root, err := p.start()
	if err == io.EOF || err == errEndElement {
		return nil, invalid("no methodCall element")
	}
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "methodCall" {
		return nil, invalid("root element is <%s>, want <methodCall>", root.Name.Local)
	}
	call := &MethodCall{}
	sawName := false
	for {
		el, err := p.start()
		if err == errEndElement { // </methodCall>
			break
		}
		if err != nil {
			return nil, err
		}
		switch el.Name.Local {
		case "methodName":
			s, err := p.scalar("string")
			if err != nil {
				return nil, err
			}
			call.Method, sawName = strings.TrimSpace(s), true
		case "params":
			if call.Params, err = p.params(); err != nil {
				return nil, err
			}
		default:
			return nil, invalid("unexpected <%s> in methodCall", el.Name.Local)
		}
	}
	if err := p.rest(); err != nil {
		return nil, err
	}
	if !sawName || call.Method == "" {
		return nil, invalid("methodCall without methodName")
	}
	return call, nil
}

// params reads <param><value>…</value></param>… up to </params>.
func (p callParser) params() ([]string, error) {
	var out []string
	for {
		el, err := p.start()
		if err == errEndElement {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if el.Name.Local != "param" {
			return nil, invalid("<%s> inside <params>", el.Name.Local)
		}
		v, err := p.start()
		if err != nil || v.Name.Local != "value" {
			if err != nil && err != errEndElement {
				return nil, err
			}
			return nil, invalid("<param> without <value>")
		}
		s, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if _, err := p.start(); err != errEndElement { // </param>
			if err != nil {
				return nil, err
			}
			return nil, invalid("<param> holds more than one <value>")
		}
	}
}

// value reads a scalar <value> whose start tag was consumed, through its end
// tag. Bare text is a string (XML-RPC: "If no type is indicated, the type is
// string").
func (p callParser) value() (string, error) {
	var text strings.Builder
	typed, s := false, ""
	for {
		tok, err := p.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			if typed {
				return "", invalid("<value> holds two types")
			}
			typed = true
			switch t.Name.Local {
			case "string", "int", "i4", "i8", "boolean", "double", "dateTime.iso8601", "base64":
				if s, err = p.scalar(t.Name.Local); err != nil {
					return "", err
				}
				if t.Name.Local != "string" {
					s = strings.TrimSpace(s)
				}
			case "array", "struct":
				return "", &FaultError{Code: FaultInvalidParams, Message: "parameters must be scalars, not <" + t.Name.Local + ">"}
			default:
				return "", invalid("unknown value type <%s>", t.Name.Local)
			}
		case xml.EndElement:
			if !typed {
				return text.String(), nil
			}
			if strings.TrimSpace(text.String()) != "" {
				return "", invalid("text beside a typed value")
			}
			return s, nil
		}
	}
}

// scalar reads a call's scalar of kind through its end tag (scalarText).
func (p callParser) scalar(kind string) (string, error) {
	return scalarText(p, kind, func(format string, args ...any) error { return invalid(format, args...) })
}

// rest reads the document after </methodCall>: only white space, comments
// and processing instructions may follow.
func (p callParser) rest() error {
	for {
		tok, err := p.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return invalid("<%s> after </methodCall>", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return invalid("text after </methodCall>")
			}
		}
	}
}

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// EncodeResponse writes a methodResponse holding one string.
func EncodeResponse(s string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + "<methodResponse><params><param><value><string>")
	escapeString(&b, s)
	b.WriteString("</string></value></param></params></methodResponse>\n")
	return b.Bytes()
}

// EncodeStrings writes a methodResponse holding an array of strings (the
// answer of system.listMethods).
func EncodeStrings(ss []string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + "<methodResponse><params><param><value><array><data>")
	for _, s := range ss {
		b.WriteString("<value><string>")
		escapeString(&b, s)
		b.WriteString("</string></value>")
	}
	b.WriteString("</data></array></value></param></params></methodResponse>\n")
	return b.Bytes()
}

// EncodeFault writes a methodResponse holding a fault.
func EncodeFault(code int, msg string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + "<methodResponse><fault><value><struct>")
	fmt.Fprintf(&b, "<member><name>faultCode</name><value><int>%d</int></value></member>", code)
	b.WriteString("<member><name>faultString</name><value><string>")
	escapeString(&b, msg)
	b.WriteString("</string></value></member></struct></value></fault></methodResponse>\n")
	return b.Bytes()
}

// escapeString escapes s for XML character data; characters XML 1.0
// cannot carry come out as U+FFFD, as xml.EscapeText writes them.
func escapeString(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
