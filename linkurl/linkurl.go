// Package linkurl owns how hugo-pingback reads and compares link URLs: the
// one place that turns an href into an absolute URL and decides whether two
// URLs name the same page. Link extraction, Hugo's page links, the live
// check before sending and the receiver's verification of a source all use
// it, so a link that counts when sending is the link that counts when
// receiving.
//
// Package linkurl never fetches anything and holds no state.
package linkurl

import (
	"net/url"
	"strings"
)

// MaxLength is the longest URL hugo-pingback notifies, records or accepts,
// in bytes. Longer ones are no links anyone follows (servers refuse request
// lines over 8 KiB: Apache's LimitRequestLine is 8190), and a hostile page
// must not be able to block a whole run with one.
const MaxLength = 8192

// Trim strips what the URL standard strips from an href: leading and
// trailing ASCII whitespace and C0 controls, and tabs and newlines anywhere.
func Trim(href string) string {
	h := strings.TrimFunc(href, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(h, "\t\n\r") {
		h = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(h)
	}
	return h
}

// Resolve returns the absolute http(s) URL href names, read against base
// (nil: only absolute hrefs resolve), without its fragment, and its string
// form. It returns nil and "" for any other scheme (mailto:, javascript:),
// an href without a host, or one that does not parse.
func Resolve(base *url.URL, href string) (*url.URL, string) {
	h := Trim(href)
	ref, err := url.Parse(h)
	if err != nil {
		return nil, ""
	}
	u := ref
	if !ref.IsAbs() {
		if base == nil {
			return nil, ""
		}
		u = base.ResolveReference(ref)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.Opaque != "" {
		return nil, ""
	}
	if u == ref && plainAbsolute(h) {
		// What u.String() would build, without building it: the common case
		// on the hot path of link extraction.
		return u, h
	}
	u.Fragment, u.RawFragment = "", ""
	return u, u.String()
}

// Base returns the URL a page's relative hrefs resolve against: the page
// URL, or the page's first <base href> (baseHref, as written; haveBase
// false when the page has none) read against it. A <base href> that does
// not parse is ignored, as browsers ignore it. Base returns nil when the
// page URL is nil and there is no absolute <base href>: then only absolute
// hrefs resolve.
func Base(page *url.URL, baseHref string, haveBase bool) *url.URL {
	if !haveBase {
		return page
	}
	b, err := url.Parse(Trim(baseHref))
	switch {
	case err != nil:
		return page
	case page != nil:
		return page.ResolveReference(b)
	case b.IsAbs():
		return b
	}
	return nil
}

// plainAbsolute reports whether h is a lower-case http(s) URL without a
// fragment whose bytes url.URL.String reproduces unchanged.
func plainAbsolute(h string) bool {
	if !strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "http://") {
		return false
	}
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c <= ' ' || c >= 0x7f:
			return false
		case c == '#' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
			c == '{' || c == '|' || c == '}' || c == '%':
			return false
		}
	}
	return true
}

// Parse reads an absolute http(s) URL as a page address: whitespace
// trimmed as in an href, fragment dropped. It returns nil for anything else.
func Parse(raw string) *url.URL {
	u, _ := Resolve(nil, raw)
	return u
}

// Key returns the form in which two URLs are compared: scheme and host in
// lower case, the scheme's default port dropped, an empty path as "/", a
// trailing "index.html" and a trailing slash dropped, the query kept as
// written, no fragment. Two URLs with the same Key name the same page:
// https://Blog.example.net:443/post/ and https://blog.example.net/post are
// one page; http and https are not.
func Key(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if p := u.Port(); p != "" && (scheme == "http" && p == "80" || scheme == "https" && p == "443") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	path := u.EscapedPath()
	if strings.HasSuffix(path, "/index.html") { // not /blog/myindex.html
		path = strings.TrimSuffix(path, "index.html")
	}
	path = strings.TrimSuffix(path, "/")
	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(host) + len(path) + 2 + len(u.RawQuery))
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	b.WriteString(path)
	b.WriteByte('/')
	if u.ForceQuery || u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	return b.String()
}

// KeyOf is Key of an absolute http(s) URL given as a string; "" when raw is
// not one.
func KeyOf(raw string) string {
	u := Parse(raw)
	if u == nil {
		return ""
	}
	return Key(u)
}

// Same reports whether a and b are absolute http(s) URLs naming the same
// page (see Key).
func Same(a, b string) bool {
	ka := KeyOf(a)
	return ka != "" && ka == KeyOf(b)
}

// Host returns the lower-case host name of u, without port and without a
// trailing dot: the name rate limits, allow and deny lists and self-ping
// checks compare.
func Host(u *url.URL) string {
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}
