package verify

import (
	"bytes"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// policy is what a source's content may keep, for display on the target's
// site: text structure, links and images; never script, style, event
// handlers, frames, forms, embedded objects, classes or ids (which could
// restyle or clobber the page showing them). URLs must parse and be
// absolute http(s): javascript:, data: and relative URLs go (the
// microformats parser has made the source's own relative URLs absolute).
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("http", "https")
	p.AllowElements("p", "br", "hr", "div", "span", "wbr", "h1", "h2", "h3", "h4", "h5", "h6",
		"pre", "code", "kbd", "samp", "var", "em", "strong", "b", "i", "u", "s", "small", "sub", "sup",
		"mark", "cite", "dfn", "figure", "figcaption", "ul", "ol", "li", "dl", "dt", "dd",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "blockquote", "q", "time", "abbr",
		"del", "ins")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowAttrs("src").OnElements("img")
	// Free text: bluemonday escapes every attribute value it writes.
	p.AllowAttrs("alt", "title").OnElements("img")
	p.AllowAttrs("title").OnElements("abbr")
	p.AllowAttrs("width", "height").Matching(bluemonday.NumberOrPercent).OnElements("img")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("time", "del", "ins")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	return p
})

// sanitize returns content HTML safe to show on another site: cleaned by
// the policy, every link marked rel="nofollow ugc" (a link in a mention is
// user-generated content, and no vote of the target's site), at most
// maxHTML bytes (cut at a token boundary), and every element it opens
// closed, so it cannot swallow the page it is shown in.
func sanitize(content string) string {
	// Bytes that are not UTF-8 would pass through the sanitiser untouched.
	clean := policy().Sanitize(strings.ToValidUTF8(content, "\uFFFD"))
	if clean == "" {
		return ""
	}
	var out bytes.Buffer
	out.Grow(min(len(clean)+len(clean)/8, maxHTML))
	var open []atom.Atom // elements still open
	closing := 0         // bytes their end tags take
	z := html.NewTokenizer(strings.NewReader(clean))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Raw()
		var a atom.Atom
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken || tt == html.EndTagToken {
			name, hasAttr := z.TagName()
			a = atom.Lookup(name)
			if a == atom.A && tt != html.EndTagToken {
				tok = []byte(`<a rel="nofollow ugc">`)
				if href, ok := attr(z, hasAttr, "href"); ok {
					tok = []byte(`<a href="` + html.EscapeString(href) + `" rel="nofollow ugc">`)
				}
				tt = html.StartTagToken // <a/> opens an <a> in HTML
			}
		}
		room := maxHTML - out.Len() - closing
		if tt == html.TextToken && len(tok) > room {
			out.WriteString(cutEscaped(string(z.Text()), room))
			break
		}
		if tt == html.StartTagToken && !void(a) {
			room -= len(a.String()) + 3 // its own end tag must fit too
		}
		if len(tok) > room {
			break
		}
		out.Write(tok)
		switch {
		case tt == html.StartTagToken && !void(a) && a != 0:
			open = append(open, a)
			closing += len(a.String()) + 3
		case tt == html.EndTagToken:
			if i := lastIndex(open, a); i >= 0 {
				for _, o := range open[i:] {
					closing -= len(o.String()) + 3
				}
				open = open[:i]
			}
		}
	}
	for i := len(open) - 1; i >= 0; i-- {
		out.WriteString("</" + open[i].String() + ">")
	}
	return out.String()
}

// cutEscaped returns the longest start of text that fits in room bytes
// once escaped, cut on a word boundary when one is near, with an ellipsis.
func cutEscaped(text string, room int) string {
	for n := room; n > 0; n = n * 3 / 4 {
		s := html.EscapeString(clipBytes(text, n))
		if len(s) <= room {
			return s
		}
	}
	return ""
}

func lastIndex(open []atom.Atom, a atom.Atom) int {
	for i := len(open) - 1; i >= 0; i-- {
		if open[i] == a {
			return i
		}
	}
	return -1
}

// void reports whether an element the policy allows has no end tag.
func void(a atom.Atom) bool {
	return a == atom.Br || a == atom.Hr || a == atom.Img || a == atom.Wbr
}

// textOf returns the readable text of an HTML fragment, cut to maxText
// bytes.
func textOf(fragment string) string {
	return clipBytes(string(scan([]byte(fragment), false).text), maxText)
}
