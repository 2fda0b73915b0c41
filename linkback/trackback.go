package linkback

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// TrackbackPing is what a Trackback tells the receiver about the source.
type TrackbackPing struct {
	URL      string // the source page (required)
	Title    string // its title
	Excerpt  string // plain text, about 250 characters
	BlogName string // the site's title
}

// TrackbackExcerptLen is the usual length, in characters, of a Trackback
// excerpt: receivers show about this much (Movable Type cut at 255).
const TrackbackExcerptLen = 250

// TrackbackExcerpt makes a Trackback excerpt of plain text: white space
// runs collapsed to one space, and when longer than max characters, cut
// after the last whole word that fits with an ellipsis. One word longer than
// max is cut inside the word.
func TrackbackExcerpt(text string, max int) string {
	text = strings.Join(strings.Fields(text), " ")
	if max <= 0 || utf8.RuneCountInString(text) <= max {
		return text
	}
	// Byte offset of the rune that would be the max-th, leaving room for "…".
	cut, n := 0, 0
	for i := range text {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	head := text[:cut]
	if sp := strings.LastIndexByte(head, ' '); sp > 0 && text[cut] != ' ' {
		head = head[:sp]
	}
	return strings.TrimRight(head, " ,;:.-") + "…"
}

// TrackbackError is a receiver's refusal: <error>1</error> with its
// <message> (Trackback 1.2, "Sending a TrackBack Ping").
type TrackbackError struct {
	URL     string
	Message string
}

func (e *TrackbackError) Error() string {
	if e.Message == "" {
		return e.URL + ": trackback refused"
	}
	return e.URL + ": trackback refused: " + e.Message
}

// Duplicate reports whether the receiver refused because it already has a
// ping from this source: the notification is done. WordPress answers "We
// already have a ping from that URL for this post." (wp-trackback.php).
func (e *TrackbackError) Duplicate() bool {
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "already have a ping") || strings.Contains(m, "duplicate")
}

// Trackback sends a Trackback ping: a form POST of url, title, excerpt and
// blog_name to endpoint (empty optional fields are left out).
//
// The answer <response><error>0</error></response> is success;
// <error>1</error> with a <message> is a *TrackbackError, also when it
// comes with a 4xx or 5xx status; any other non-2xx status is a *HTTPError;
// a 2xx answer that is not a Trackback response is a *ProtocolError. The
// Result comes back whenever the receiver answered.
func (c *Client) Trackback(ctx context.Context, endpoint string, p TrackbackPing) (*Result, error) {
	if strings.TrimSpace(p.URL) == "" {
		return nil, errors.New("trackback: the ping has no source URL")
	}
	form := url.Values{"url": {p.URL}}
	for k, v := range map[string]string{"title": p.Title, "excerpt": p.Excerpt, "blog_name": p.BlogName} {
		if v != "" {
			form.Set(k, v)
		}
	}
	ans, err := c.postForm(ctx, "trackback", endpoint, form)
	if err != nil {
		return nil, err
	}
	final := redactURL(ans.resp.Request.URL)
	res := &Result{Protocol: ProtoTrackback, Endpoint: endpoint, Status: ans.resp.StatusCode}
	code, msg, perr := parseTrackbackResponse(ans.body)
	switch {
	case ans.truncated:
		res.Answer = excerpt(ans.body)
		return res, fmt.Errorf("trackback answer of %s: %w (over %d KiB)", final, ErrTooLarge, maxFormAnswerBytes>>10)
	case perr == nil && code != 0:
		res.Answer = msg
		return res, &TrackbackError{URL: final, Message: msg}
	case !ans.ok():
		res.Answer = excerpt(ans.body)
		return res, ans.httpError()
	case perr != nil:
		res.Answer = excerpt(ans.body)
		perr.URL = final
		return res, perr
	}
	res.Answer = msg
	return res, nil
}

// parseTrackbackResponse reads <response><error>N</error><message>M</message>.
// The error code must be an integer; 0 is success, anything else failure.
func parseTrackbackResponse(body []byte) (code int, msg string, perr *ProtocolError) {
	var r struct {
		XMLName xml.Name `xml:"response"`
		Error   *string  `xml:"error"`
		Message string   `xml:"message"`
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charset.NewReaderLabel
	if err := d.Decode(&r); err != nil {
		return 0, "", garbage("not a trackback response: %v", err)
	}
	if r.Error == nil {
		return 0, "", garbage("trackback response without <error>")
	}
	code, err := strconv.Atoi(strings.TrimSpace(*r.Error))
	if err != nil {
		return 0, "", garbage("trackback <error> %q is not a number", *r.Error)
	}
	return code, strings.TrimSpace(r.Message), nil
}

// maxRDFBlocks bounds the work done on a hostile page full of RDF blocks.
const maxRDFBlocks = 100

var (
	rdfOpen  = []byte("<rdf:rdf")
	rdfClose = []byte("</rdf:rdf>")
)

// findTrackback returns the Trackback ping URL of the RDF block whose
// dc:identifier matches target, or "" if none does. The RDF usually sits
// inside an HTML comment (Trackback 1.2, "Autodiscovery"), so the raw bytes
// are searched, not the element tree; a page may hold one block per post
// (index pages), which is why the identifier must match.
func findTrackback(body []byte, target string) string {
	want := normalizeIdentifier(target)
	if want == "" {
		return ""
	}
	// ASCII-only lower-casing keeps every offset valid in body too, which
	// bytes.ToLower does not promise for invalid or non-ASCII UTF-8.
	lower := asciiLower(body)
	for n, i := 0, 0; n < maxRDFBlocks; n++ {
		start := bytes.Index(lower[i:], rdfOpen)
		if start < 0 {
			return ""
		}
		start += i
		end := bytes.Index(lower[start:], rdfClose)
		if end < 0 {
			return ""
		}
		end += start + len(rdfClose)
		i = end
		for _, d := range parseRDF(body[start:end]) {
			if d.ping != "" && normalizeIdentifier(d.identifier) == want {
				return d.ping
			}
		}
	}
	return ""
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

type rdfDescription struct {
	identifier, ping string
}

// parseRDF reads the rdf:Description elements of one RDF block. Names are
// matched by local part only: a page that binds the namespaces to other
// prefixes still works, and the block is parsed leniently because it was
// written inside HTML, not as a standalone XML document.
func parseRDF(block []byte) []rdfDescription {
	dec := xml.NewDecoder(bytes.NewReader(block))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var out []rdfDescription
	var cur *rdfDescription
	var inIdentifier bool
	for {
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF && cur != nil {
				out = append(out, *cur)
			}
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch strings.ToLower(t.Name.Local) {
			case "description":
				if cur != nil {
					out = append(out, *cur)
				}
				cur = &rdfDescription{}
				for _, a := range t.Attr {
					switch strings.ToLower(a.Name.Local) {
					case "identifier":
						cur.identifier = strings.TrimSpace(a.Value)
					case "ping":
						cur.ping = strings.TrimSpace(a.Value)
					}
				}
			case "identifier":
				inIdentifier = cur != nil
			case "ping":
				// Element form: <trackback:ping rdf:resource="..."/>.
				if cur != nil {
					for _, a := range t.Attr {
						if strings.EqualFold(a.Name.Local, "resource") {
							cur.ping = strings.TrimSpace(a.Value)
						}
					}
				}
			}
		case xml.CharData:
			if inIdentifier && cur != nil {
				cur.identifier += strings.TrimSpace(string(t))
			}
		case xml.EndElement:
			switch strings.ToLower(t.Name.Local) {
			case "identifier":
				inIdentifier = false
			case "description":
				if cur != nil {
					out = append(out, *cur)
					cur = nil
				}
			}
		}
	}
}

// normalizeIdentifier makes a permalink comparable: scheme dropped (an
// old blog's RDF often still says http:// after a move to https), host lower
// case, fragment dropped, trailing slash dropped, so "http://b.example/p/"
// matches "https://B.example/p#comments". Loosening the match is safe: it
// only picks which block of the page already fetched is meant.
func normalizeIdentifier(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	u.Scheme = ""
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}
