package linkback

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

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
// (webmention.rocks tests 13 and 14).
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

// resolveEndpoint resolves ref against base. webmention.rocks test 15: an
// empty reference is the page itself; test 21: the query string is kept.
func resolveEndpoint(ref string, base *url.URL) (string, bool) {
	ref = strings.TrimFunc(ref, isHTMLSpace)
	u, err := url.Parse(ref)
	if err != nil {
		return "", false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), true
}
