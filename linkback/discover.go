package linkback

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/idna"
)

// Protocol names, as used in Discover's protocols list and in Result.
const (
	ProtoPingback   = "pingback"
	ProtoWebmention = "webmention"
	ProtoTrackback  = "trackback"
)

// Endpoints is what one fetch of a target advertises.
type Endpoints struct {
	Target string // as linked on the source page
	Final  string // URL after redirects
	Status int    // HTTP status of the final answer
	// Absolute endpoint URLs, "" when not advertised (or not asked for).
	Pingback, Webmention, Trackback string
}

// Endpoint returns the endpoint advertised for protocol, "" if none.
func (e *Endpoints) Endpoint(protocol string) string {
	if e == nil {
		return ""
	}
	switch protocol {
	case ProtoPingback:
		return e.Pingback
	case ProtoWebmention:
		return e.Webmention
	case ProtoTrackback:
		return e.Trackback
	}
	return ""
}

// Choose returns the first protocol of the ordered list that the target
// advertises, and its endpoint. When it advertises none of them, the error is
// a *NoEndpointError (errors.Is ErrNoEndpoint): an outcome to record, not a
// failure to retry.
func (e *Endpoints) Choose(protocols []string) (protocol, endpoint string, err error) {
	for _, p := range protocols {
		if ep := e.Endpoint(p); ep != "" {
			return p, ep, nil
		}
	}
	target := ""
	if e != nil {
		target = e.Target
	}
	return "", "", &NoEndpointError{Target: target, Protocols: protocols}
}

// NoEndpointError is a target that advertises none of the protocols asked
// for. It matches ErrNoEndpoint with errors.Is.
type NoEndpointError struct {
	Target    string
	Protocols []string
}

func (e *NoEndpointError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", e.Target, ErrNoEndpoint, strings.Join(e.Protocols, ", "))
}

// Is makes errors.Is(err, ErrNoEndpoint) true.
func (e *NoEndpointError) Is(target error) bool { return target == ErrNoEndpoint }

// Discover fetches target once (GET, redirects bounded, only text/html and
// application/xhtml+xml bodies read) and finds the endpoints of every
// protocol listed ("pingback", "webmention", "trackback").
//
// Pingback: the X-Pingback header wins over <link rel="pingback">
// (Pingback 1.0, "Autodiscovery"). Webmention: Link headers, then the first
// <link> or <a> in document order, resolved against the final URL.
// Trackback: the RDF block whose dc:identifier is target. When pingback is
// the only protocol wanted, reading stops at </head> or <body> (or does not
// start when the header answered); otherwise at MaxPageBytes.
//
// Endpoints.Target is always target as given: the caller must name it, not
// the URL after redirects, in the notification. A non-2xx final status is an
// *HTTPError, returned with Endpoints holding Target, Final and Status.
// Transport errors are returned as they are (see Classify). A target that
// advertises nothing is not an error: see Endpoints.Choose.
func (c *Client) Discover(ctx context.Context, target string, protocols []string) (*Endpoints, error) {
	want := map[string]bool{}
	for _, p := range protocols {
		want[strings.ToLower(strings.TrimSpace(p))] = true
	}
	u, err := parseRemoteURL(target)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", redactURL(u), err)
	}
	req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9, */*;q=0.1")
	resp, cancel, err := c.request(ctx, nil, req)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	defer cancel()
	defer closeBody(resp.Body)

	final := resp.Request.URL
	ep := &Endpoints{Target: target, Final: final.String(), Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return ep, newHTTPError(resp, time.Now())
	}

	if want[ProtoPingback] {
		// Pingback 1.0: "the value of the header MUST be an absolute URI";
		// resolving anyway costs nothing and forgives relative ones.
		if v := strings.TrimSpace(resp.Header.Get("X-Pingback")); v != "" {
			ep.Pingback, _ = resolveHTTPURL(v, final)
		}
	}
	if want[ProtoWebmention] {
		ep.Webmention = findWebmentionHeader(resp.Header, final)
	}

	needPingback := want[ProtoPingback] && ep.Pingback == ""
	needBody := needPingback || (want[ProtoWebmention] && ep.Webmention == "") || want[ProtoTrackback]
	if !needBody {
		return ep, nil
	}
	body, ok, err := htmlBody(resp)
	if err != nil {
		return ep, wrapTransportError(ctx, ctx, final, c.Timeout, fmt.Errorf("discover: read %s: %w", redactURL(final), err))
	}
	if !ok {
		return ep, nil // an image, a PDF, a feed: not a page, nothing to find
	}
	onlyPingback := len(want) == 1 && want[ProtoPingback]
	if onlyPingback {
		z := html.NewTokenizer(io.LimitReader(body, MaxPageBytes))
		ep.Pingback, _ = findPingback(z, final, true)
		if err := z.Err(); ep.Pingback == "" && err != nil && err != io.EOF {
			// Cut off mid-head: we do not know, which is not "no endpoint".
			return ep, wrapTransportError(ctx, ctx, final, c.Timeout, fmt.Errorf("discover: read %s: %w", redactURL(final), err))
		}
		return ep, nil
	}
	page, _, err := readCapped(body, MaxPageBytes)
	if err != nil {
		return ep, wrapTransportError(ctx, ctx, final, c.Timeout, fmt.Errorf("discover: read %s: %w", redactURL(final), err))
	}
	if needPingback {
		ep.Pingback, _ = FindPingback(page, final)
	}
	if want[ProtoWebmention] && ep.Webmention == "" {
		ep.Webmention, _ = findWebmentionHTML(page, final)
	}
	if want[ProtoTrackback] {
		// A relative trackback:ping is taken against the page, as an href
		// is; one that is no http(s) URL is none.
		if ping := findTrackback(page, target); ping != "" {
			ep.Trackback, _ = resolveHTTPURL(ping, final)
		}
	}
	return ep, nil
}

// htmlBody returns the body to search when the answer is an HTML page. With
// no Content-Type at all the first bytes are sniffed, as a browser would.
func htmlBody(resp *http.Response) (io.Reader, bool, error) {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		head, _, err := readCapped(resp.Body, 512)
		if err != nil {
			return nil, false, err
		}
		ct = http.DetectContentType(head)
		if !isHTMLType(ct) {
			return nil, false, nil
		}
		return io.MultiReader(bytes.NewReader(head), resp.Body), true, nil
	}
	return resp.Body, isHTMLType(ct), nil
}

func isHTMLType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		// "text/html; charset" and other near misses: judge by the type alone.
		mt = strings.TrimSpace(strings.ToLower(strings.SplitN(ct, ";", 2)[0]))
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// FindPingback returns the pingback server named by the first
// <link rel="pingback" href="..."> of an HTML document, resolved against
// base (and against a <base href> that comes before it). It uses a real
// tokenizer: any attribute order, quotes and case; never inside a comment
// or a script; entities in the href decoded. Links whose href is not an
// http(s) URL are skipped.
func FindPingback(body []byte, base *url.URL) (string, bool) {
	return findPingback(html.NewTokenizer(bytes.NewReader(body)), base, false)
}

// findPingback walks z to the first pingback link. With headOnly it stops at
// </head> or <body>, where Pingback 1.0 says the element must be.
func findPingback(z *html.Tokenizer, base *url.URL, headOnly bool) (string, bool) {
	baseSeen := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return "", false
		case html.EndTagToken:
			if !headOnly {
				continue
			}
			if name, _ := z.TagName(); atom.Lookup(name) == atom.Head {
				return "", false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Body:
				if headOnly {
					return "", false
				}
			case atom.Base:
				// Only the first <base href> counts (HTML, "the base element").
				if href, ok := attr(z, hasAttr, "href"); ok && !baseSeen {
					baseSeen = true
					if bu, err := resolveRef(href, base); err == nil {
						base = bu
					}
				}
			case atom.Link:
				if !hasAttr {
					continue
				}
				rel, href, hrefSeen := linkAttrs(z)
				if !hrefSeen || !relHas(rel, ProtoPingback) {
					continue
				}
				if ep, ok := resolveHTTPURL(href, base); ok {
					return ep, true
				}
			}
		}
	}
}

// linkAttrs reads the first rel and href of the current tag.
func linkAttrs(z *html.Tokenizer) (rel, href string, hrefSeen bool) {
	relSeen := false
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) { // the tokenizer lower-cases names
		case "rel":
			if !relSeen {
				rel, relSeen = string(v), true
			}
		case "href":
			if !hrefSeen {
				href, hrefSeen = string(v), true
			}
		}
	}
	return rel, href, hrefSeen
}

// attr returns the first value of the named attribute of the current tag.
func attr(z *html.Tokenizer, hasAttr bool, name string) (string, bool) {
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		if string(k) == name {
			return string(v), true
		}
	}
	return "", false
}

// relHas reports whether the space-separated rel list holds tok, ignoring
// ASCII case.
func relHas(rel, tok string) bool {
	for _, r := range strings.Fields(rel) {
		if strings.EqualFold(r, tok) {
			return true
		}
	}
	return false
}

// resolveRef resolves an attribute value against base, trimming the HTML
// whitespace a URL attribute may carry.
func resolveRef(ref string, base *url.URL) (*url.URL, error) {
	u, err := url.Parse(strings.Trim(ref, " \t\n\f\r"))
	if err != nil {
		return nil, err
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return u, nil
}

// resolveHTTPURL resolves ref against base and keeps it only if it is an
// absolute http(s) URL with a valid host. The result is plain ASCII:
// international host names in their IDNA form, other bytes percent-encoded.
func resolveHTTPURL(ref string, base *url.URL) (string, bool) {
	u, err := resolveRef(ref, base)
	if err != nil {
		return "", false
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	host := u.Hostname()
	if !isASCII(host) {
		if host, err = idna.Lookup.ToASCII(host); err != nil {
			return "", false
		}
	}
	if !validHost(host) {
		return "", false
	}
	if port := u.Port(); port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	out := escapeNonASCII(u.String())
	if _, err := url.Parse(out); err != nil {
		return "", false
	}
	return out, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validHost accepts DNS names, IPv4 and IPv6 literals (without zones).
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}

// escapeNonASCII percent-encodes bytes outside printable ASCII, and the
// quotes and angle brackets no URL may hold, which url.URL.String leaves
// alone in a query (a Latin-1 page's href, say), so an endpoint is always a
// plain ASCII string safe to print anywhere.
func escapeNonASCII(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '`' {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.WriteString(s[:i])
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}
