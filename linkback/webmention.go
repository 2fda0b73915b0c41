package linkback

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxFormAnswerBytes caps what is read of the answer to a form POST
// (Webmention, Trackback, WebSub): receivers say a few words, not pages.
const maxFormAnswerBytes = 64 << 10

// maxAnswerExcerpt is how much of an answer body a Result keeps.
const maxAnswerExcerpt = 300

// Webmention sends a Webmention: a form POST of source and target to
// endpoint, whose own query string is kept as discovered (webmention.rocks
// test 21). target must be the URL as linked on the source page.
//
// Any 2xx is success (W3C Webmention 3.1.3): 202 means queued, 201 carries
// a status URL in Location, which goes to Result.Location (resolved against
// the endpoint). Any other status
// is a *HTTPError (see Classify: 4xx permanent, 429 and 5xx later), returned
// with the Result so the answer can be recorded. A redirect of the POST to a
// GET is not followed: its 200 would be a page, not an acceptance.
func (c *Client) Webmention(ctx context.Context, endpoint, source, target string) (*Result, error) {
	form := url.Values{"source": {source}, "target": {target}}
	ans, err := c.postForm(ctx, "webmention", endpoint, form)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Protocol: ProtoWebmention,
		Endpoint: endpoint,
		Status:   ans.resp.StatusCode,
		Answer:   excerpt(ans.body),
	}
	if !ans.ok() {
		// A 3xx's Location is in the *HTTPError; Result.Location is a
		// status URL only.
		return res, ans.httpError()
	}
	if loc, err := ans.resp.Location(); err == nil {
		res.Location = loc.String()
	}
	return res, nil
}

// ResendsUpdates reports whether notifications of protocol are sent again
// when the source page changes or is deleted. Only Webmention has update and
// delete semantics (W3C Webmention 3.1.4 and 3.2.3: the receiver refetches
// the source); a second pingback or trackback is a duplicate, so they are
// never re-sent.
func ResendsUpdates(protocol string) bool { return protocol == ProtoWebmention }

// formAnswer is a receiver's answer to postForm, body already read.
type formAnswer struct {
	resp      *http.Response // body closed
	body      []byte
	truncated bool
}

func (a *formAnswer) ok() bool { return a.resp.StatusCode >= 200 && a.resp.StatusCode <= 299 }

func (a *formAnswer) httpError() *HTTPError { return newHTTPError(a.resp, time.Now()) }

// postForm POSTs form to endpoint as application/x-www-form-urlencoded
// and reads at most maxFormAnswerBytes of the answer. Errors are the URL
// rules' and the transport's; any HTTP status is an answer.
func (c *Client) postForm(ctx context.Context, what, endpoint string, form url.Values) (*formAnswer, error) {
	u, err := parseRemoteURL(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%s to %s: %w", what, redactURL(u), err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, cancel, err := c.request(ctx, c.postClient(), req)
	if err != nil {
		return nil, fmt.Errorf("%s to %s: %w", what, redactURL(u), err)
	}
	defer cancel()
	defer closeBody(resp.Body)
	body, truncated, err := readCapped(resp.Body, maxFormAnswerBytes)
	if err != nil {
		err = wrapTransportError(ctx, ctx, resp.Request.URL, c.Timeout, err)
		return nil, fmt.Errorf("%s to %s: read answer: %w", what, redactURL(u), err)
	}
	return &formAnswer{resp: resp, body: body, truncated: truncated}, nil
}

// postClient is c.HTTP, except that a redirect which would turn the POST
// into a GET (301, 302, 303) is not followed: the 3xx itself is the answer.
// 307 and 308 keep the method and body, and are followed under the
// client's own redirect rules.
func (c *Client) postClient() *http.Client {
	if c.HTTP == nil {
		return nil
	}
	hc := *c.HTTP
	next := c.HTTP.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.Method != http.MethodPost {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return ErrTooManyRedirects
		}
		return nil
	}
	return &hc
}

// excerpt returns the start of an answer body as one line of valid UTF-8,
// for Result.Answer.
func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > maxAnswerExcerpt {
		cut := maxAnswerExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// findWebmentionHeader returns the first Link header target whose rel list
// holds the token "webmention", resolved against base (the final URL after
// redirects, as the Webmention spec 3.1.2 requires), or "" if there is none.
func findWebmentionHeader(h http.Header, base *url.URL) string {
	// http.Header canonicalises names, so "LinK:" is found as "Link"
	// (webmention.rocks test 7).
	for _, lv := range ParseLinkHeader(h.Values("Link")) {
		if !lv.HasRel("webmention") {
			continue
		}
		if ep, ok := resolveEndpoint(lv.URL, base); ok {
			return ep
		}
	}
	return ""
}

// findWebmentionHTML returns the href of the first <link> or <a> element, in
// document order, whose rel token list holds "webmention" and which has an
// href attribute, resolved against base. The tokenizer, not a regexp, finds
// elements, so text inside comments or escaped markup is never taken for one
// (webmention.rocks tests 13 and 14). A <base href> is not applied: the
// Webmention spec (3.1.2) resolves a relative endpoint against the target URL.
func findWebmentionHTML(body []byte, base *url.URL) (string, bool) {
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", false
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr {
				continue
			}
			if a := atom.Lookup(name); a != atom.Link && a != atom.A {
				continue
			}
			var rel, href string
			var relSeen, hrefSeen bool
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
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
			// webmention.rocks test 20: an element with the rel but no
			// href is skipped, not taken as the page itself.
			if !hrefSeen || !hasRelToken(rel, "webmention") {
				continue
			}
			if ep, ok := resolveEndpoint(href, base); ok {
				return ep, true
			}
		}
	}
}

// hasRelToken reports whether the space-separated rel list holds tok;
// HTML rel keywords are ASCII case-insensitive.
func hasRelToken(rel, tok string) bool {
	for _, r := range strings.FieldsFunc(rel, isHTMLSpace) {
		if strings.EqualFold(r, tok) {
			return true
		}
	}
	return false
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

// resolveEndpoint resolves ref against base and keeps it only if it is an
// http(s) URL with a host: anything else could never be posted to, and the
// next candidate may be usable. webmention.rocks test 15: an empty
// reference is the page itself; test 21: the query string is kept.
func resolveEndpoint(ref string, base *url.URL) (string, bool) {
	ref = strings.TrimFunc(ref, isHTMLSpace)
	u, err := url.Parse(ref)
	if err != nil {
		return "", false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || u.Host == "" {
		return "", false
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), true
}
