package linkback

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// Page is a fetched page: what a receiver verifies a mention against.
type Page struct {
	URL         *url.URL // where the answer came from, after any redirects followed
	Redirected  bool     // URL differs from the one asked for
	StatusCode  int
	ContentType string // media type, lower case, without parameters
	Body        []byte // at most the cap asked for
	Truncated   bool   // the body went on past the cap
	Location    string // the redirect target of a 3xx answer that was not followed

	header string // the Content-Type header as sent, charset included
}

// Text returns the body as UTF-8. A body that already is valid UTF-8 is
// returned as it is, whatever the header says (a WordPress switched to
// ISO-8859-1 still serves UTF-8 posts under an ISO-8859-1 header); any
// other is decoded from the charset the header, a byte order mark or a
// <meta charset> names, else windows-1252, as browsers do.
func (p *Page) Text() []byte {
	if utf8.Valid(p.Body) {
		return p.Body
	}
	enc, _, _ := charset.DetermineEncoding(p.Body, p.header)
	out, err := enc.NewDecoder().Bytes(p.Body)
	if err != nil || !utf8.Valid(out) {
		return []byte(strings.ToValidUTF8(string(p.Body), "\uFFFD"))
	}
	return out
}

// FetchOptions configures Fetch.
type FetchOptions struct {
	// MaxRedirects is how many redirects are followed: 0 means none, the 3xx
	// is the answer (Pingback and Trackback receivers, as WordPress does).
	MaxRedirects int
	// MaxBytes caps the body read; 0 means MaxPageBytes.
	MaxBytes int64
	// Accept is the Accept header; empty prefers HTML.
	Accept string
}

// Fetch GETs a page someone else named (a mention's source, a target of
// the live check) under every rule of the client: URL rules, the address
// guard on every hop, the timeout and a capped read. Any HTTP status is an
// answer, returned in the Page with a nil error; errors are the URL rules',
// ErrTooManyRedirects, *TimeoutError and the transport's (errors.Is
// ErrPrivateAddress for a refused address).
func (c *Client) Fetch(ctx context.Context, rawURL string, opts FetchOptions) (*Page, error) {
	u, err := parseRemoteURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = MaxPageBytes
	}
	if opts.Accept == "" {
		opts.Accept = "text/html, application/xhtml+xml;q=0.9, text/*;q=0.5, */*;q=0.1"
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", redactURL(u), err)
	}
	req.Header.Set("Accept", opts.Accept)
	if c.HTTP == nil {
		return nil, fmt.Errorf("fetch %s: linkback: Client without HTTP client; use NewClient", redactURL(u))
	}
	hc := *c.HTTP
	// The client's own rules check each hop; this only lowers the count.
	next, max := hc.CheckRedirect, opts.MaxRedirects
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) > max {
			if max <= 0 {
				return http.ErrUseLastResponse
			}
			return fmt.Errorf("stopped after %d redirects: %w", max, ErrTooManyRedirects)
		}
		if next != nil {
			return next(r, via)
		}
		return checkURLRules(r.URL)
	}
	resp, cancel, err := c.request(ctx, &hc, req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer cancel()
	defer closeBody(resp.Body)
	p := &Page{
		URL:        resp.Request.URL,
		StatusCode: resp.StatusCode,
	}
	p.Redirected = p.URL.String() != u.String()
	ct := resp.Header.Get("Content-Type")
	p.header = ct
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	p.ContentType = strings.ToLower(strings.TrimSpace(ct))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := resp.Location(); err == nil {
			p.Location = redactURL(loc)
		}
		return p, nil
	}
	p.Body, p.Truncated, err = readCapped(resp.Body, opts.MaxBytes)
	if err != nil {
		return nil, wrapTransportError(ctx, ctx, u, c.Timeout, fmt.Errorf("fetch: read %s: %w", redactURL(u), err))
	}
	return p, nil
}
