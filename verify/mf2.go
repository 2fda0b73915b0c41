package verify

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
	"willnorris.com/go/microformats"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// mayHaveEntry reports whether doc can hold an h-entry (microformats2) or
// an hentry (microformats1, as WordPress themes write): only then is the
// page parsed into a tree for the microformats parser.
func mayHaveEntry(doc []byte) bool {
	return bytes.Contains(doc, []byte("h-entry")) || bytes.Contains(doc, []byte("hentry"))
}

// parseMF2 runs the microformats parser over doc. It never fails: the HTML
// parser reads any bytes the way a browser would.
func parseMF2(doc []byte, sourceURL *url.URL) *microformats.Data {
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil { // only a reader error, which bytes.Reader never returns
		return nil
	}
	return microformats.ParseNode(root, sourceURL)
}

// entry is an h-entry and the h-feed it sits in, if any (whose author is
// the entry's author when it names none).
type entry struct {
	mf   *microformats.Microformat
	feed *microformats.Microformat
}

// pickEntry returns the h-entry that says something about the target: the
// first, in document order, whose reply context (in-reply-to, like-of,
// repost-of, bookmark-of) names the target or whose content links to it;
// else the first h-entry of the page. ok is false when there is none.
func pickEntry(data *microformats.Data, base *url.URL, target, targetKey string) (e entry, ok bool) {
	var all []entry
	var visit func(m, feed *microformats.Microformat, depth int)
	visit = func(m, feed *microformats.Microformat, depth int) {
		if depth > 64 { // deeper nesting is no post anybody writes
			return
		}
		if slices.Contains(m.Type, "h-entry") {
			all = append(all, entry{m, feed})
		}
		if slices.Contains(m.Type, "h-feed") {
			feed = m
		}
		for _, c := range m.Children {
			visit(c, feed, depth+1)
		}
		// Entries in properties (comments, quoted posts), in a fixed order.
		keys := make([]string, 0, len(m.Properties))
		for k := range m.Properties {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range m.Properties[k] {
				if c, isMF := v.(*microformats.Microformat); isMF && c != m {
					visit(c, feed, depth+1)
				}
			}
		}
	}
	for _, m := range data.Items {
		visit(m, nil, 0)
	}
	if len(all) == 0 {
		return entry{}, false
	}
	for _, e := range all {
		if replyContext(e.mf, target) != "" {
			return e, true
		}
		if h, _ := contentOf(e.mf); h != "" && hasLink(h, base, targetKey) {
			return e, true
		}
	}
	return all[0], true
}

// The properties that make a post about another one, in the order post
// type discovery (indieweb.org/post-type-discovery) tries them.
var contextProps = []struct {
	prop string
	typ  mention.Type
}{
	{"in-reply-to", mention.Reply},
	{"repost-of", mention.Repost},
	{"like-of", mention.Like},
	{"bookmark-of", mention.Bookmark},
}

// replyContext returns the first reply-context property of m that names
// the target, or "".
func replyContext(m *microformats.Microformat, target string) string {
	for _, c := range contextProps {
		if names(m.Properties[c.prop], target) {
			return c.prop
		}
	}
	return ""
}

// names reports whether any value of a URL property is the target: a URL
// string, or an h-cite (or other embedded item) whose url is.
func names(values []any, target string) bool {
	for _, v := range values {
		switch v := v.(type) {
		case string:
			if linkurl.Same(v, target) {
				return true
			}
		case map[string]string: // a u-* property with alt text
			if linkurl.Same(v["value"], target) {
				return true
			}
		case *microformats.Microformat:
			if linkurl.Same(v.Value, target) {
				return true
			}
			for _, u := range v.Properties["url"] {
				if s, ok := u.(string); ok && linkurl.Same(s, target) {
					return true
				}
			}
		}
	}
	return false
}

// typeOf returns what the entry is to the target, by post type discovery
// restricted to properties that name the target: an RSVP is a reply to the
// target with a valid rsvp value.
func typeOf(m *microformats.Microformat, target string) (mention.Type, string) {
	prop := replyContext(m, target)
	if prop == "in-reply-to" {
		if r := rsvpOf(m); r != "" {
			return mention.RSVP, r
		}
	}
	for _, c := range contextProps {
		if c.prop == prop {
			return c.typ, ""
		}
	}
	return mention.Mentions, ""
}

// rsvpOf returns the entry's rsvp value when it is one of the four the
// RSVP spec defines (indieweb.org/rsvp), lower-cased; else "".
func rsvpOf(m *microformats.Microformat) string {
	r := strings.ToLower(strings.TrimSpace(firstString(m.Properties["rsvp"])))
	switch r {
	case "yes", "no", "maybe", "interested":
		return r
	}
	return ""
}

// firstString returns the first value of a property as text: a string, a
// u-* value with alt text, or an embedded item's value.
func firstString(values []any) string {
	for _, v := range values {
		switch v := v.(type) {
		case string:
			return v
		case map[string]string:
			return v["value"]
		case *microformats.Microformat:
			return v.Value
		}
	}
	return ""
}

// contentOf returns the entry's content: the HTML of an e-content (URLs
// already absolute: the parser expands them), or the text of a p-content.
func contentOf(m *microformats.Microformat) (htmlContent, text string) {
	for _, v := range m.Properties["content"] {
		switch v := v.(type) {
		case map[string]string:
			return v["html"], v["value"]
		case *microformats.Microformat:
			return v.HTML, v.Value
		case string:
			return "", v
		}
	}
	return "", ""
}

// authorOf returns the author an item names in its author property: an
// h-card (name, url, photo), or a string that is a URL or a name. ok is
// false when it names none.
func authorOf(m *microformats.Microformat, base *url.URL) (a mention.Author, ok bool) {
	for _, v := range m.Properties["author"] {
		switch v := v.(type) {
		case *microformats.Microformat:
			a = cardOf(v, base)
			if a.Name == "" && a.URL == "" {
				a.Name = clipRunes(collapse(v.Value), maxName)
			}
		case string:
			if u := absURL(nil, v); u != "" {
				a.URL = u
			} else {
				a.Name = clipRunes(collapse(v), maxName)
			}
		case map[string]string:
			a.Name = clipRunes(collapse(v["value"]), maxName)
		}
		if a != (mention.Author{}) {
			return a, true
		}
	}
	return a, false
}

// cardOf reads an h-card: its name, url and photo, URLs absolute http(s).
func cardOf(c *microformats.Microformat, base *url.URL) mention.Author {
	var a mention.Author
	a.Name = clipRunes(collapse(firstString(c.Properties["name"])), maxName)
	a.URL = absURL(base, firstString(c.Properties["url"]))
	a.Photo = absURL(base, firstString(c.Properties["photo"]))
	return a
}

// absURL returns a property's URL as an absolute http(s) URL, or "" when
// it is empty or not one (an empty href would otherwise be the page).
func absURL(base *url.URL, s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	_, abs := linkurl.Resolve(base, s)
	return abs
}

// pageCard returns the page's top-level h-card whose url is on the source's
// host: the simple form of the authorship spec's fallback
// (indieweb.org/authorship), for entries that name no author.
func pageCard(data *microformats.Data, base, source *url.URL) (mention.Author, bool) {
	if source == nil {
		return mention.Author{}, false
	}
	host := linkurl.Host(source)
	for _, m := range data.Items {
		if !slices.Contains(m.Type, "h-card") {
			continue
		}
		a := cardOf(m, base)
		if u := linkurl.Parse(a.URL); u != nil && linkurl.Host(u) == host {
			return a, true
		}
	}
	return mention.Author{}, false
}

// timeLayouts are the ISO 8601 forms microformats datetimes come in (after
// a space between date and time has become a "T"): with or without
// seconds, fractional seconds (which time.Parse accepts after the seconds
// of any layout), a "Z" or an offset with or without a colon, or no zone
// (read as UTC); or a date alone.
var timeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04Z07",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTime reads a microformats datetime; the zero time when it is none
// of the forms in timeLayouts.
func parseTime(s string) time.Time {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) > 10 && (s[10] == ' ' || s[10] == 'T') {
		s = s[:10] + "T" + strings.TrimLeft(s[11:], " ")
	}
	if i := strings.LastIndexByte(s, ' '); i > 10 { // "15:04 +01:00"
		s = s[:i] + s[i+1:]
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
