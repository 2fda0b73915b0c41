package renderer

import (
	"bytes"
	"html"
	"regexp"
	"slices"
	"strings"

	xhtml "golang.org/x/net/html"
)

// specTag is the Pingback 1.0 spec's discovery regex, anchored to one tag:
// a pingback tag it does not match is rewritten, since WordPress and
// regex-based clients would miss it.
var specTag = regexp.MustCompile(`^<link rel="pingback" href="([^"]+)" ?/?>$`)

// Tags are the link tags Inject advertises on a page.
type Tags struct {
	// Pingback is the absolute URL of the Pingback endpoint; empty means none.
	// WordPress reads the href without decoding entities, so an endpoint
	// holding '&' (written "&amp;") reaches WordPress mangled: prefer one
	// without.
	Pingback string
	// Webmention is the absolute URL of the Webmention endpoint; empty means none.
	Webmention string
}

// InjectResult says what Inject did to one page.
type InjectResult struct {
	// Changed is true when the returned bytes differ from the input.
	Changed bool
	// Inserted lists the kinds of tag inserted: "pingback", "webmention".
	Inserted []string
	// Replaced lists the old hrefs of existing tags that pointed elsewhere
	// and now name the wanted endpoint.
	Replaced []string
	// ReplacedRel names, for each entry of Replaced, the kind of tag it was
	// ("pingback" or "webmention"), so a report can say what it became.
	ReplacedRel []string
	// Rewritten counts existing pingback tags that already named the wanted
	// endpoint but in a form WordPress cannot read (href before rel, no
	// quotes), rewritten in the canonical form.
	Rewritten int
	// Removed counts duplicate tags of a kind that were removed.
	Removed int
	// NotHTML is true when the input is not an HTML page; it is returned unchanged.
	NotHTML bool
}

// The rel values Inject manages, as reported in InjectResult.Inserted.
const (
	RelPingback   = "pingback"
	RelWebmention = "webmention"
)

// PingbackTag returns the exact pingback tag Inject writes for endpoint:
// rel before href and double quotes, because WordPress finds the tag only in
// that form. xhtml selects the " />" ending.
func PingbackTag(endpoint string, xhtml bool) string {
	return linkTag(RelPingback, endpoint, xhtml)
}

// WebmentionTag returns the exact webmention tag Inject writes for endpoint.
func WebmentionTag(endpoint string, xhtml bool) string {
	return linkTag(RelWebmention, endpoint, xhtml)
}

func linkTag(kind, endpoint string, xhtml bool) string {
	end := ">"
	if xhtml {
		end = " />"
	}
	return `<link rel="` + kind + `" href="` + escapeHref(endpoint) + `"` + end
}

// escapeHref escapes what cannot stand in a double-quoted attribute value.
// Only & and " are touched, so a URL without them is written byte for byte
// (WordPress reads the href raw and never decodes entities).
func escapeHref(s string) string {
	if !strings.ContainsAny(s, `&"`) {
		return s
	}
	return strings.NewReplacer("&", "&amp;", `"`, "&quot;").Replace(s)
}

// Inject returns src with tags advertised in its head, and what it did,
// by splicing bytes at offsets found with the x/net/html tokenizer (never
// parsing and re-rendering): every byte it does not insert, replace or
// remove is kept, and when nothing changes src itself is returned.
//
// It is idempotent: on its own output it changes nothing. A tag of a kind
// that already names the wanted URL is left alone (a pingback tag only in
// the form WordPress can read: rel before href, double quotes, the URL
// itself); one that names another URL has its href value replaced; further
// tags of that kind are removed, so a page never carries more than one per
// kind. The tag kept is the first one in the head; one further down (in the
// body) is removed and a tag inserted in the head instead. A tag with both
// rels is replaced by the two canonical tags. Kinds whose URL is empty are
// not touched.
//
// Where new tags go, and why: right after the opening <head ...> tag, or
// right after the head's <meta charset> (or its http-equiv=content-type
// twin) when it has one.
//
//   - Early is what deployed readers need. WordPress takes the first
//     `rel="pingback"` in the whole body (a plain strpos, comments included);
//     the spec's regex also takes the first match; careful clients stop
//     reading at </head> or after a size cap. A tag at the top of the head is
//     found by all of them, even on pages whose heads carry hundreds of KB of
//     inline CSS or JSON-LD, and comes before any commented-out decoy later
//     in the head. Before </head> would be behind all of that.
//   - The charset declaration keeps its byte offset. Browsers only honour a
//     <meta charset> within the first 1024 bytes; inserting in front of it
//     could push it past that limit on a page with a long prologue.
//     Inserting after it never moves it. (A <meta charset> that ends past
//     those 1024 bytes is ignored by browsers anyway, so then the tags go
//     right after <head>.)
//   - With no <head> tag (Hugo's minifier can drop it) the tags go after the
//     <meta charset> of the implied head, else after the <html ...> tag, else
//     after the doctype. In each case they precede every non-head element,
//     so the HTML parser puts them in the implied head, and the spec's regex
//     sees them.
//
// What counts as a page: a file whose first markup (after a BOM,
// whitespace, comments and an <?xml?> declaration) is a doctype, an <html>
// tag or a <head> tag. Anything else (a fragment, plain text, binary data,
// an empty file) is reported NotHTML and returned unchanged.
//
// XHTML: the tags end in " />" when the page is XHTML (an <?xml?>
// declaration, or an xmlns attribute on <html>), or when the first void tag
// of the head (meta, link or base) is written self-closing, so the tags
// match the page's own style. Both forms match the spec's regex.
//
// Only the head is tokenized; the rest of the page is searched with a byte
// scan for a <link> that could be a pingback or webmention tag, and
// tokenized only if one might be there.
func Inject(src []byte, tags Tags) ([]byte, InjectResult) {
	var res InjectResult
	if tags.Pingback == "" && tags.Webmention == "" {
		return src, res
	}
	bom := 0
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		bom = 3
	}
	sc := scanPage(src, bom)
	if !sc.page {
		res.NotHTML = true
		return src, res
	}

	var edits []edit
	var inserts []string
	want := []struct{ kind, url string }{{RelPingback, tags.Pingback}, {RelWebmention, tags.Webmention}}

	// A tag with both rel tokens cannot be kept for one kind and changed for
	// the other: it is replaced by the canonical tags of the kinds wanted.
	for _, l := range sc.links {
		if !(l.pingback && l.webmention) {
			continue
		}
		touched := false
		for _, w := range want {
			if w.url != "" {
				touched = true
				if l.href != w.url {
					res.replaced(w.kind, l.href)
				}
			}
		}
		if touched {
			edits = append(edits, edit{l.start, l.end, ""})
		}
	}

	for _, w := range want {
		if w.url == "" {
			continue
		}
		// The tag kept must be in the head: readers that stop at </head>
		// or <body> (as the spec allows) would miss one further down.
		var mine, later []link
		for _, l := range sc.links {
			if !l.is(w.kind) || l.pingback && l.webmention {
				continue
			}
			if l.inHead {
				mine = append(mine, l)
			} else {
				later = append(later, l)
			}
		}
		for _, dup := range later {
			edits = append(edits, edit{dup.start, dup.end, ""})
			res.Removed++
		}
		if len(mine) == 0 {
			inserts = append(inserts, linkTag(w.kind, w.url, sc.xhtml))
			res.Inserted = append(res.Inserted, w.kind)
			if len(later) > 0 && later[0].href != w.url {
				res.replaced(w.kind, later[0].href)
			}
			continue
		}
		for _, dup := range mine[1:] {
			edits = append(edits, edit{dup.start, dup.end, ""})
			res.Removed++
		}
		keep := mine[0]
		raw := src[keep.start:keep.end]
		readable := w.kind != RelPingback || specTag.Match(raw)
		if w.kind == RelPingback && keep.href == w.url && readable {
			// WordPress reads the href raw: it must be the URL itself.
			readable = string(specTag.FindSubmatch(raw)[1]) == escapeHref(w.url)
		}
		switch {
		case keep.href == w.url && keep.hasHref && readable:
			// Already right.
		case keep.href == w.url && keep.hasHref:
			edits = append(edits, edit{keep.start, keep.end, linkTag(w.kind, w.url, sc.xhtml)})
			res.Rewritten++
		case readable && keep.hrefQuoted:
			res.replaced(w.kind, keep.href)
			edits = append(edits, edit{keep.start + keep.hrefStart, keep.start + keep.hrefEnd, escapeHref(w.url)})
		default:
			res.replaced(w.kind, keep.href)
			edits = append(edits, edit{keep.start, keep.end, linkTag(w.kind, w.url, sc.xhtml)})
		}
	}
	if len(inserts) > 0 {
		edits = append(edits, edit{sc.insertAt, sc.insertAt, strings.Join(inserts, "")})
	}
	if len(edits) == 0 {
		return src, res
	}
	res.Changed = true
	return applyEdits(src, edits), res
}

func (r *InjectResult) replaced(kind, old string) {
	r.Replaced = append(r.Replaced, old)
	r.ReplacedRel = append(r.ReplacedRel, kind)
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

func applyEdits(src []byte, edits []edit) []byte {
	// An insertion sorts before a removal that starts at the same offset.
	slices.SortStableFunc(edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.end - b.end
	})
	n := len(src)
	for _, e := range edits {
		n += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, e := range edits {
		out = append(out, src[pos:e.start]...)
		out = append(out, e.text...)
		pos = e.end
	}
	return append(out, src[pos:]...)
}

// link is a <link> start tag whose rel holds pingback or webmention.
type link struct {
	start, end           int    // the tag's bytes in src
	pingback, webmention bool   // rel tokens present
	href                 string // decoded value of the first href attribute
	hasHref              bool
	hrefQuoted           bool // href value is quoted: its bytes can be replaced alone
	hrefStart, hrefEnd   int  // the raw value's bytes, relative to start
	inHead               bool // found before the head region ended
}

func (l link) is(kind string) bool {
	if kind == RelPingback {
		return l.pingback
	}
	return l.webmention
}

// scan is what Inject learns about a page.
type scan struct {
	page     bool // an HTML page, not a fragment or binary
	xhtml    bool // write " />"
	insertAt int  // where new tags go
	links    []link
}

// charsetLimit is how far into a page browsers look for the encoding
// declaration (the HTML spec's prescan reads 1024 bytes). A <meta charset>
// ending later is already ignored, so moving it costs nothing and the tags
// go right after <head> instead.
const charsetLimit = 1024

// headTags may appear in a head; any other element ends it.
var headTags = map[string]bool{
	"meta": true, "link": true, "title": true, "style": true, "script": true,
	"base": true, "noscript": true, "template": true,
}

// scanPage tokenizes the head of src (from offset bom) and, only when the
// rest of the document might hold a pingback or webmention <link>, the rest.
func scanPage(src []byte, bom int) scan {
	var sc scan
	z := xhtml.NewTokenizer(bytes.NewReader(src[bom:]))
	off := bom
	insertAt := -1      // after <head>, else after <html>, else after the doctype
	charsetEnd := -1    // after the first <meta charset> of the head
	styleKnown := false // the page's own void-tag style is decided
	inRaw := false      // the previous token opened a raw text element
	headEnd := -1
	seenStart := false // html, head or doctype seen
	seenHTML, seenHead := false, false

	for headEnd < 0 {
		tt := z.Next()
		raw := z.Raw()
		start := off
		off += len(raw)
		wasRaw := inRaw
		inRaw = false
		switch tt {
		case xhtml.ErrorToken:
			headEnd = off
		case xhtml.CommentToken:
			if !seenStart && bytes.HasPrefix(raw, []byte("<?xml")) {
				sc.xhtml, styleKnown = true, true
			}
		case xhtml.DoctypeToken:
			if !bytes.HasSuffix(raw, []byte(">")) {
				// Cut short by the end of the file: nothing can follow it.
				return sc
			}
			if !seenStart {
				seenStart = true
				insertAt = off
			}
		case xhtml.TextToken:
			if wasRaw || isSpace(raw) {
				continue
			}
			if !seenStart {
				return sc // text before any markup: not a page
			}
			headEnd = start
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "head", "html", "body":
				headEnd = start
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch {
			case tag == "html" && !seenHTML && !seenHead:
				seenStart, seenHTML = true, true
				insertAt = off
				if hasAttr(raw, "xmlns") {
					sc.xhtml, styleKnown = true, true
				}
			case tag == "head" && !seenHead:
				seenStart, seenHead = true, true
				insertAt = off
			case tag == "html" || tag == "head":
				// A second <html> or <head> adds nothing.
			case !seenStart:
				return sc // a fragment, not a page
			case tag == "link":
				if l, ok := parseLink(raw, start); ok {
					l.inHead = true
					sc.links = append(sc.links, l)
				}
			case tag == "meta" && charsetEnd < 0 && isCharsetMeta(raw):
				charsetEnd = off
			case !headTags[tag]:
				headEnd = start
			}
			if !styleKnown && (tag == "meta" || tag == "link" || tag == "base") {
				styleKnown = true
				sc.xhtml = tt == xhtml.SelfClosingTagToken
			}
			if headEnd < 0 && tt == xhtml.StartTagToken && isRawTag(tag) {
				inRaw = true
			}
		}
	}
	if !seenStart {
		return sc
	}
	sc.page = true
	sc.insertAt = insertAt
	if charsetEnd >= 0 && charsetEnd <= charsetLimit {
		sc.insertAt = charsetEnd
	}
	if sc.insertAt < 0 {
		sc.insertAt = bom
	}
	// The rest of the document is tokenized only when a byte scan says a
	// matching <link> might be there: on ordinary pages this is the cost of
	// an IndexByte pass, not of a tokenizer.
	if headEnd < len(src) && mayHaveLink(src[headEnd:]) {
		for {
			tt := z.Next()
			if tt == xhtml.ErrorToken {
				break
			}
			raw := z.Raw()
			start := off
			off += len(raw)
			if tt == xhtml.StartTagToken || tt == xhtml.SelfClosingTagToken {
				if name, _ := z.TagName(); string(name) == "link" {
					if l, ok := parseLink(raw, start); ok {
						sc.links = append(sc.links, l)
					}
				}
			}
		}
	}
	return sc
}

func isRawTag(tag string) bool {
	switch tag {
	case "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp":
		return true
	}
	return false
}

func isSpace(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '\f':
		default:
			return false
		}
	}
	return true
}

// mayHaveLink reports whether b might hold a <link> start tag whose rel
// names pingback or webmention. False positives only cost a full tokenize.
func mayHaveLink(b []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return false
		}
		p := i + j
		i = p + 1
		if len(b)-p < 6 || !bytes.EqualFold(b[p+1:p+5], []byte("link")) {
			continue
		}
		switch b[p+5] {
		case ' ', '\t', '\n', '\r', '\f', '/', '>':
		default:
			continue
		}
		// Read this one tag (a '>' can hide in a quoted value). Whether it
		// is really a tag in context (not in a comment or a script) is for
		// the full tokenize to decide.
		if _, end := scanTag(b[p:]); end > 0 {
			if _, ok := parseLink(b[p:p+end], 0); ok {
				return true
			}
		}
	}
}

// attr is one attribute of a raw tag, with its value's byte span.
type attr struct {
	key              string // lower-cased
	valStart, valEnd int    // raw value, relative to the tag
	quoted           bool
}

// tagAttrs splits a raw start tag into attributes exactly as the x/net/html
// tokenizer does (same states, first of duplicate keys wins), but keeps the
// byte offsets the tokenizer does not export.
func tagAttrs(raw []byte) []attr {
	attrs, _ := scanTag(raw)
	return attrs
}

// scanTag reads the start tag at the beginning of b (b[0] == '<') and
// returns its attributes and its length, or -1 when b ends first.
func scanTag(raw []byte) ([]attr, int) {
	n := len(raw)
	i := 1 // past '<'
	for i < n {
		c := raw[i]
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '/' || c == '>' {
			break
		}
		i++
	}
	var attrs []attr
	seen := map[string]bool{}
	skipSpace := func() {
		for i < n {
			switch raw[i] {
			case ' ', '\n', '\r', '\t', '\f':
				i++
			default:
				return
			}
		}
	}
	skipSpace()
	for i < n {
		if raw[i] == '>' {
			break
		}
		// Attribute key.
		ks := i
		for i < n {
			c := raw[i]
			if c == '=' && i == ks {
				i++
				continue
			}
			if c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '/' || c == '>' {
				break
			}
			i++
		}
		ke := i
		// Attribute value (a lone '/' is consumed here, as an empty key's).
		vs, ve, quoted := i, i, false
		func() {
			skipSpace()
			if i >= n {
				return
			}
			c := raw[i]
			i++
			if c == '/' {
				return
			}
			if c != '=' {
				i--
				return
			}
			skipSpace()
			if i >= n {
				return
			}
			q := raw[i]
			i++
			switch q {
			case '>':
				i--
			case '\'', '"':
				vs = i
				for i < n && raw[i] != q {
					i++
				}
				ve = i
				quoted = true
				if i < n {
					i++
				}
			default:
				vs = i - 1
				for i < n {
					c := raw[i]
					if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '>' {
						break
					}
					i++
				}
				ve = i
			}
		}()
		if ke > ks {
			key := asciiLower(raw[ks:ke])
			if !seen[key] {
				seen[key] = true
				attrs = append(attrs, attr{key: key, valStart: vs, valEnd: ve, quoted: quoted})
			}
		}
		skipSpace()
	}
	if i >= n {
		return attrs, -1
	}
	return attrs, i + 1
}

// asciiLower lowers ASCII letters only, and turns NUL into U+FFFD, as the
// tokenizer does with attribute names.
func asciiLower(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c == 0:
			out = append(out, "\ufffd"...)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// parseLink reads a raw <link> tag found at offset start; ok is false when
// its rel names neither pingback nor webmention.
func parseLink(raw []byte, start int) (link, bool) {
	l := link{start: start, end: start + len(raw)}
	var rel string
	hasRel := false
	for _, a := range tagAttrs(raw) {
		switch a.key {
		case "rel":
			rel, hasRel = attrValue(raw[a.valStart:a.valEnd]), true
		case "href":
			l.href, l.hasHref = attrValue(raw[a.valStart:a.valEnd]), true
			l.hrefQuoted = a.quoted
			l.hrefStart, l.hrefEnd = a.valStart, a.valEnd
		}
	}
	if !hasRel || !relHas(rel) {
		return l, false
	}
	// The values that decide are decoded by the tokenizer itself, so that
	// Inject agrees with every tokenizer-based reader on entity edge cases.
	rel, l.href = "", ""
	z := xhtml.NewTokenizer(bytes.NewReader(raw))
	z.Next()
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "rel":
			rel = string(v)
		case "href":
			l.href = string(v)
		}
	}
	for _, tok := range strings.FieldsFunc(rel, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
	}) {
		switch strings.ToLower(tok) {
		case RelPingback:
			l.pingback = true
		case RelWebmention:
			l.webmention = true
		}
	}
	return l, l.pingback || l.webmention
}

// relHas reports whether a rel value might name pingback or webmention.
func relHas(rel string) bool {
	r := strings.ToLower(rel)
	return strings.Contains(r, RelPingback) || strings.Contains(r, RelWebmention)
}

// attrValue decodes an attribute value as the tokenizer does.
func attrValue(b []byte) string {
	s := string(b)
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	s = strings.ReplaceAll(s, "\x00", "\ufffd")
	if strings.ContainsRune(s, '&') {
		s = html.UnescapeString(s)
	}
	return s
}

// hasAttr reports whether the raw tag carries attribute key (lower case).
func hasAttr(raw []byte, key string) bool {
	for _, a := range tagAttrs(raw) {
		if a.key == key {
			return true
		}
	}
	return false
}

// isCharsetMeta reports whether a raw <meta> tag declares the encoding.
func isCharsetMeta(raw []byte) bool {
	for _, a := range tagAttrs(raw) {
		switch a.key {
		case "charset":
			return true
		case "http-equiv":
			if strings.EqualFold(strings.TrimSpace(attrValue(raw[a.valStart:a.valEnd])), "content-type") {
				return true
			}
		}
	}
	return false
}
