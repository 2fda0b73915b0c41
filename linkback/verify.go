package linkback

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
)

// NotLiveError is a source page that does not answer 200 directly at its
// public URL: not deployed yet, or behind a redirect, which a receiver
// fetching it (WordPress does not follow redirects) would fail on. It
// matches ErrNotLive with errors.Is.
type NotLiveError struct {
	URL        string
	StatusCode int
	Location   string // redirect target, for 3xx
}

func (e *NotLiveError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.URL, ErrNotLive, e.reason())
}

func (e *NotLiveError) reason() string {
	s := fmt.Sprintf("%s answered HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Location != "" {
		s += " to " + e.Location
	}
	return s
}

// Is makes errors.Is(err, ErrNotLive) true.
func (e *NotLiveError) Is(target error) bool { return target == ErrNotLive }

// LiveCheck is what CheckLive found on the live source page.
type LiveCheck struct {
	// Missing are the targets with no <a href> on the page (within the
	// first MaxPageBytes).
	Missing []string
	// Late are targets found only past WordPressReadLimit: a WordPress
	// receiver, which reads 150 KB, will answer fault 17 (or 0) for them.
	Late []string
	// Truncated is set when the page was longer than MaxPageBytes.
	Truncated bool
}

// VerifyLive checks the live source page before notifying: GET pageURL must
// answer 200 without a redirect (else a *NotLiveError, errors.Is
// ErrNotLive), and the first MiB must hold an <a href> to each target.
// It returns the targets not found. Hrefs are resolved against the page URL
// and its <base href>; fragments are ignored on both sides.
func (c *Client) VerifyLive(ctx context.Context, pageURL string, targets []string) (missing []string, err error) {
	lc, err := c.CheckLive(ctx, pageURL, targets)
	if err != nil {
		return nil, err
	}
	return lc.Missing, nil
}

// CheckLive is VerifyLive with the details.
func (c *Client) CheckLive(ctx context.Context, pageURL string, targets []string) (*LiveCheck, error) {
	u, err := parseRemoteURL(pageURL)
	if err != nil {
		return nil, fmt.Errorf("verify live page: %w", err)
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("verify live page %s: %w", redactURL(u), err)
	}
	req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9")
	// Receivers fetch the source without following redirects, so we do not
	// either; a copy of the client keeps the caller's transport and guard.
	var hc http.Client
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, cancel, err := c.request(ctx, &hc, req)
	if err != nil {
		return nil, fmt.Errorf("verify live page: %w", err)
	}
	defer cancel()
	defer closeBody(resp.Body)
	if resp.StatusCode != http.StatusOK {
		he := newHTTPError(resp, time.Now())
		return nil, &NotLiveError{URL: he.URL, StatusCode: he.StatusCode, Location: he.Location}
	}
	page, truncated, err := readCapped(resp.Body, MaxPageBytes)
	if err != nil {
		return nil, wrapTransportError(ctx, ctx, u, c.Timeout, fmt.Errorf("verify live page: read %s: %w", redactURL(u), err))
	}
	lc := checkLinks(page, u, targets)
	lc.Truncated = truncated
	return lc, nil
}

// checkLinks finds which targets the page links to with <a href>, and which
// of those only past WordPressReadLimit.
func checkLinks(page []byte, base *url.URL, targets []string) *LiveCheck {
	wanted := map[string]int{} // normalised target -> first offset seen, -1 if not yet
	hosts := map[string]bool{} // their hosts, to skip most hrefs without parsing them
	for _, t := range targets {
		if k := linkKey(t, nil); k != "" {
			wanted[k] = -1
		}
		if u, err := url.Parse(t); err == nil {
			hosts[hostKey(u.Host)] = true
		}
	}
	z := html.NewTokenizer(bytes.NewReader(page))
	offset, baseSeen := 0, false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		start := offset
		offset += len(z.Raw())
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		switch atom.Lookup(name) {
		case atom.Base:
			if href, ok := attr(z, hasAttr, "href"); ok && !baseSeen {
				baseSeen = true
				base = linkurl.Base(base, href, true)
			}
		case atom.A:
			href, ok := attr(z, hasAttr, "href")
			if !ok || !hosts[hostKey(hrefHost(href, base))] {
				continue
			}
			k := linkKey(href, base)
			if first, ok := wanted[k]; ok && first < 0 {
				wanted[k] = start
			}
		}
	}
	lc := &LiveCheck{}
	for _, t := range targets {
		switch first := wanted[linkKey(t, nil)]; {
		case first < 0:
			lc.Missing = append(lc.Missing, t)
		case first >= WordPressReadLimit:
			lc.Late = append(lc.Late, t)
		}
	}
	return lc
}

// hrefHost is the lower-case host an href points to, found without parsing
// the whole URL: a cheap filter before linkKey. It may say "" for an href
// that would resolve (that href is then skipped, as a non-http link would be).
func hrefHost(href string, base *url.URL) string {
	h := strings.Trim(href, " \t\n\f\r")
	rest := ""
	switch {
	case hasPrefixFold(h, "https://"):
		rest = h[len("https://"):]
	case hasPrefixFold(h, "http://"):
		rest = h[len("http://"):]
	case strings.HasPrefix(h, "//"):
		rest = h[2:]
	default:
		if i := strings.IndexAny(h, ":/?#"); i >= 0 && h[i] == ':' {
			return "" // another scheme: mailto:, tel:, javascript:
		}
		if base == nil {
			return ""
		}
		return strings.ToLower(base.Host)
	}
	if i := strings.IndexAny(rest, "/?#\\"); i >= 0 {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}

// hostKey drops a default port from a lower-case host, so that the filter
// before linkKey lets through every spelling linkurl.Key takes as the same.
func hostKey(host string) string {
	host = strings.ToLower(host)
	if h, ok := strings.CutSuffix(host, ":443"); ok {
		return h
	}
	if h, ok := strings.CutSuffix(host, ":80"); ok {
		return h
	}
	return host
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// linkKey is the form two links are compared in: linkurl's Key of the
// resolved href, the comparison every part of hugo-pingback uses. "" for an
// href that is no http(s) link.
func linkKey(href string, base *url.URL) string {
	u, _ := linkurl.Resolve(base, href)
	if u == nil {
		return ""
	}
	return linkurl.Key(u)
}
