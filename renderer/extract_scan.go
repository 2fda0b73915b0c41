package renderer

import (
	"bytes"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The streaming scan. One pass of the tokenizer keeps a light stack of open
// elements (tag atoms plus a few flags, with HTML's implied end tags for p,
// li, dd/dt, table cells and rows, so minified pages without </p> or </li>
// keep a correct stack) and records, for each <a href>, the set of
// candidate regions it lies in. The region is chosen at the end, which
// comes early when the rest of the page cannot change it (decided). Tag names and
// attributes are read from z.Raw(): the tokenizer's TagName and TagAttr
// copy their result on every call, which would cost more than the whole
// extraction; the tokenizer's own TagAttr is used only for the rare href
// that holds an entity or a carriage return, so values decode exactly as
// the tokenizer decodes them.

// Candidate regions, one bit each, in order of preference.
const (
	regHEntryContent uint8 = 1 << iota // first .e-content inside an .h-entry
	regEContent                        // first .e-content
	regArticle                         // first <article>
	regMain                            // first <main> or [role=main]
	regBody                            // everything outside chrome
	regSelector                        // Options.Content matches
	numRegions       = 6
)

var regionNames = map[uint8]string{
	regHEntryContent: "h-entry e-content",
	regEContent:      "e-content",
	regArticle:       "article",
	regMain:          "main",
	regBody:          "body",
	regSelector:      "selector",
}

func regionIndex(bit uint8) int {
	for i := 0; i < numRegions; i++ {
		if bit == 1<<i {
			return i
		}
	}
	return 0
}

// Flags of an open element.
const (
	fChrome   uint8 = 1 << iota // nav, header, footer, aside, their landmark roles, a comment thread
	fHEntry                     // class h-entry
	fArticle                    // <article>
	fTemplate                   // <template>: its content is inert
	fForeign                    // <svg> or <math>
)

// openElem is one element on the stack. It holds no pointers, so pushing
// and popping cost no GC write barriers.
type openElem struct {
	a     atom.Atom
	name  uint32 // FNV-1a of the tag name when a == 0 (custom elements)
	link  int32  // 1 + index in recs of the link this <a> records, or 0
	flags uint8
	opens uint8 // region bits this element opened
	props uint8 // tagProps(a)
}

// linkRec is one <a href> seen in a candidate region, before resolution.
type linkRec struct {
	href      string
	rel       string
	skipClass string
	text      string
	offset    int
	mask      uint8
}

type scanner struct {
	opts     *Options
	fragment bool // Links: every link counts, no chrome exclusion
	noLinks  bool // selector path: the scan only reads kind, title and base

	stack    []openElem
	open     uint8  // regions open now
	done     uint8  // regions opened and closed
	m        uint8  // cached mask()
	want     uint8  // regions whose excerpt text is not full yet
	chromeAt [2]int // chrome depth where the article and main regions opened
	// Open elements of each sort.
	chrome, paras, foreign, hentry, article, template int

	topHEntries, topArticles int       // entries outside other entries and chrome, for Kind
	alias                    bool      // a meta refresh to a URL was seen
	title, base              string    // the first <title> text and <base href>
	haveTitle, haveBase      bool      //
	raw                      atom.Atom // the raw-text element whose text comes next

	// Early exit: src is the page (nil in Links), off the offset of the
	// next token, settled set when a candidate region has just closed.
	src     []byte
	off     int
	settled bool

	recs     []linkRec
	aOffsets []int              // selector path: offsets of every <a href>, in order
	aIndex   map[*html.Node]int // selector path: tree <a href> elements, numbered
	cur      int                // index in recs of the <a> collecting text, or -1
	ltext    collapsedText
	text     [numRegions]collapsedText
	textMax  int // characters of region text to collect: textCap for excerpts, TextLen for Text
	nameBuf  [16]byte
}

func (s *scanner) reset(opts *Options, fragment, noLinks bool) {
	s.opts, s.fragment, s.noLinks = opts, fragment, noLinks
	s.stack = s.stack[:0]
	s.src, s.off, s.settled = nil, 0, false
	s.open, s.done = 0, 0
	s.chrome, s.paras, s.foreign, s.hentry, s.article, s.template = 0, 0, 0, 0, 0, 0
	s.topHEntries, s.topArticles = 0, 0
	s.alias, s.title, s.haveTitle, s.base, s.haveBase, s.raw = false, "", false, "", false, 0
	clear(s.recs)
	s.recs = s.recs[:0]
	s.aOffsets, s.aIndex = s.aOffsets[:0], nil
	s.cur = -1
	s.ltext.reset()
	for i := range s.text {
		s.text[i].reset()
	}
	s.want = 1<<numRegions - 1
	s.textMax = textCap
	s.calcMask()
}

func (s *scanner) kind() Kind {
	switch {
	case s.alias:
		return KindAlias
	case s.topHEntries > 1, s.topHEntries == 0 && s.topArticles > 1:
		return KindList
	}
	return KindSingle
}

// region picks the first candidate of the chain that the page has.
func (s *scanner) region() uint8 {
	seen := s.open | s.done
	for _, r := range []uint8{regHEntryContent, regEContent, regArticle, regMain} {
		if seen&r != 0 {
			return r
		}
	}
	return regBody
}

// mask is the set of candidate regions the current position lies in.
// Regions that can no longer be chosen (a more preferred candidate has
// been seen) are left out, so their links and text are never recorded.
func (s *scanner) mask() uint8 { return s.m }

// calcMask recomputes the cached mask; push and popTo call it whenever an
// element that changes it opens or closes.
func (s *scanner) calcMask() {
	s.m = s.computeMask()
}

func (s *scanner) computeMask() uint8 {
	if s.template > 0 || s.noLinks {
		return 0
	}
	if s.fragment {
		return regBody
	}
	// Chrome (nav, header, footer, aside, their landmark roles, comment
	// threads) is left out of every region but an e-content, which the
	// author marked as content.
	m := s.open & (regHEntryContent | regEContent)
	if s.open&regArticle != 0 && s.chrome == s.chromeAt[0] {
		m |= regArticle
	}
	if s.open&regMain != 0 && s.chrome == s.chromeAt[1] {
		m |= regMain
	}
	if s.chrome == 0 {
		m |= regBody
	}
	if seen := (s.open | s.done) & (regHEntryContent | regEContent | regArticle | regMain); seen != 0 {
		m &= (seen&-seen)<<1 - 1 // the most preferred seen candidate and better ones
	}
	return m
}

func (s *scanner) run(z *html.Tokenizer) {
	for {
		tt := z.Next()
		s.off += len(z.Raw())
		switch tt {
		case html.ErrorToken:
			s.endLink()
			return
		case html.TextToken:
			if s.raw != 0 {
				if s.raw == atom.Title && !s.haveTitle {
					var t collapsedText
					t.add(z.Text(), 1<<20)
					s.title, s.haveTitle = validText(t.b), true
				}
				s.raw = 0
				continue
			}
			if s.cur >= 0 || s.wantText() {
				s.addText(z.Text())
			}
		case html.StartTagToken:
			s.raw = 0
			s.start(z, false)
		case html.SelfClosingTagToken:
			s.raw = 0
			s.start(z, true)
		case html.EndTagToken:
			s.raw = 0
			s.end(z.Raw())
			if s.settled {
				s.settled = false
				if s.decided() {
					s.endLink()
					return
				}
			}
		default: // comments and doctypes are not content
			s.raw = 0
		}
	}
}

// fullScan turns the early exit off (benchmarks use it to show its effect).
var fullScan = false

// decided reports whether the rest of the page can no longer change the
// result, so tokenizing can stop: the preferred candidate region seen so far
// has closed, and the unread bytes hold nothing that could bring a better
// candidate ("e-content"), change the kind ("h-entry", "<article"), or
// supply a missing <base>, <title> or meta refresh. The checks are plain
// byte searches, so a word inside a comment or a script only makes the scan
// go on; the result is always that of a full scan.
func (s *scanner) decided() bool {
	if s.src == nil || s.noLinks || fullScan || s.off > len(s.src) {
		return false
	}
	seen := (s.open | s.done) & (regHEntryContent | regEContent | regArticle | regMain)
	best := seen & -seen
	if best == 0 || s.open&best != 0 {
		return false
	}
	rest := s.src[s.off:]
	if best != regHEntryContent && bytes.Contains(rest, []byte("e-content")) {
		return false
	}
	if bytes.Contains(rest, []byte("h-entry")) {
		return false
	}
	if s.hentry > 0 && (bytes.Contains(rest, []byte("-reply-to")) || bytes.Contains(rest, []byte("-of"))) {
		return false // a reply context may follow in the same h-entry
	}
	// A later <article> beats <main>, and makes a page without h-entry a list.
	article := best == regMain || s.topHEntries == 0
	return !restHasTag(rest, article, !s.haveBase, !s.haveTitle, !s.alias)
}

// restHasTag reports whether rest holds a start tag that could matter:
// <article>, <base>, <title>, or a <meta> mentioning refresh (names compared
// ASCII case-insensitively).
func restHasTag(rest []byte, article, base, title, meta bool) bool {
	for i := 0; ; {
		j := bytes.IndexByte(rest[i:], '<')
		if j < 0 {
			return false
		}
		i += j + 1
		n := rest[i:]
		switch {
		case article && tagIs(n, "article"), base && tagIs(n, "base"), title && tagIs(n, "title"):
			return true
		case meta && tagIs(n, "meta"):
			end := bytes.IndexByte(n, '>')
			if end < 0 {
				end = len(n)
			}
			if bytes.Contains(bytes.ToLower(n[:end]), []byte("refresh")) {
				return true
			}
		}
	}
}

// refreshRedirects reports whether a meta refresh's content names a URL
// ("0; url=https://...", "0;https://..."), as Hugo's alias pages do, rather
// than only reloading the page after a delay ("300").
func refreshRedirects(content []byte) bool {
	c := bytes.TrimLeft(content, " \t\n\r\f")
	c = bytes.TrimLeft(c, "0123456789.")
	c = bytes.TrimLeft(c, " \t\n\r\f")
	if len(c) == 0 || c[0] != ';' && c[0] != ',' {
		return false
	}
	return len(bytes.TrimSpace(c[1:])) > 0
}

// tagIs reports whether b starts with the tag name name, case-insensitively.
func tagIs(b []byte, name string) bool {
	if len(b) < len(name) || !attrKeyIs(b[:len(name)], name) {
		return false
	}
	return len(b) == len(name) || wsByte(b[len(name)]) || b[len(name)] == '>' || b[len(name)] == '/'
}

// wantText reports whether some region the position lies in still needs
// excerpt text.
func (s *scanner) wantText() bool {
	return s.m&s.want != 0
}

func (s *scanner) addText(p []byte) {
	if s.cur >= 0 {
		if !s.ltext.full {
			s.ltext.add(p, 300)
		}
	}
	m := s.m & s.want
	for i := 0; m != 0; i, m = i+1, m>>1 {
		if m&1 != 0 {
			s.text[i].add(p, s.textMax)
			if s.text[i].full {
				s.want &^= 1 << i
			}
		}
	}
}

// sep marks a word boundary in every text being collected.
func (s *scanner) sep() {
	if s.cur >= 0 {
		s.ltext.sep()
	}
	m := s.m & s.want
	for i := 0; m != 0; i, m = i+1, m>>1 {
		if m&1 != 0 {
			s.text[i].sep()
		}
	}
}

// tagName returns the lower-cased name of the tag in raw (which starts
// with "<" or "</") and its atom, and the offset where attributes begin.
func (s *scanner) tagName(raw []byte, i int) (atom.Atom, []byte, int) {
	j := i
	for j < len(raw) && !nameEnd[raw[j]] {
		j++
	}
	name := raw[i:j]
	if a := atom.Lookup(name); a != 0 {
		return a, name, j
	}
	lower := true
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			lower = false
			break
		}
	}
	if lower {
		return 0, name, j
	}
	if len(name) > len(s.nameBuf) {
		name = bytes.ToLower(name)
		return atom.Lookup(name), name, j
	}
	b := s.nameBuf[:len(name)]
	for k, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[k] = c
	}
	return atom.Lookup(b), b, j
}

// endName returns the name of an end tag, not lower-cased.
func endName(raw []byte) []byte {
	j := 2
	for j < len(raw) && !nameEnd[raw[j]] {
		j++
	}
	return raw[2:j]
}

// nameEnd holds the bytes that end a tag name (golang.org/x/net/html readTagName).
var nameEnd = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, '\f': true, '/': true, '>': true}

// rawAttrs walks the attributes of a raw start tag the way the tokenizer
// does (golang.org/x/net/html readTag), without copying.
type rawAttrs struct {
	b []byte
	i int
}

func wsByte(c byte) bool { return wsTab[c] }

// Byte classes for the attribute scan (golang.org/x/net/html readTag).
var (
	wsTab     = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, '\f': true}
	keyEndTab = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, '\f': true, '/': true, '=': true, '>': true}
	unqEndTab = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, '\f': true, '>': true}
)

// next returns the next attribute; key is not lower-cased and val is raw
// (entities not decoded).
func (it *rawAttrs) next() (key, val []byte, ok bool) {
	b, i := it.b, it.i
	for {
		for i < len(b) && wsTab[b[i]] {
			i++
		}
		if i >= len(b) || b[i] == '>' {
			it.i = i
			return nil, nil, false
		}
		ks := i
		if b[i] == '=' { // an "=" that starts a name belongs to it
			i++
		}
		for i < len(b) && !keyEndTab[b[i]] {
			i++
		}
		key, val = b[ks:i], nil
		for i < len(b) && wsTab[b[i]] {
			i++
		}
		if i < len(b) {
			switch b[i] {
			case '/':
				i++
			case '=':
				i++
				for i < len(b) && wsTab[b[i]] {
					i++
				}
				if i < len(b) {
					switch q := b[i]; q {
					case '>':
					case '"', '\'':
						i++
						vs := i
						if n := bytes.IndexByte(b[vs:], q); n >= 0 {
							i = vs + n
						} else {
							i = len(b)
						}
						val = b[vs:i]
						if i < len(b) {
							i++
						}
					default:
						vs := i
						for i < len(b) && !unqEndTab[b[i]] {
							i++
						}
						val = b[vs:i]
					}
				}
			}
		}
		if len(key) > 0 {
			it.i = i
			return key, val, true
		}
	}
}

// attrKeyIs reports whether an attribute key equals the lower-case name s, ASCII
// case-insensitively.
func attrKeyIs(key []byte, s string) bool {
	if len(key) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := key[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// replyContext reports whether a link's classes make it the reply context
// of its h-entry (what the post replies to, likes, reposts or bookmarks):
// such a link belongs with the e-content even when it lies outside it.
func replyContext(class []byte) bool {
	if !bytes.Contains(class, []byte("u-")) {
		return false
	}
	for f := range bytes.FieldsFuncSeq(class, func(r rune) bool { return r < 0x80 && wsByte(byte(r)) }) {
		switch string(f) {
		case "u-in-reply-to", "u-like-of", "u-repost-of", "u-bookmark-of":
			return true
		}
	}
	return false
}

// Classes that matter to the region chain.
const (
	clsHEntry   = 1 << iota // h-entry
	clsEContent             // e-content
	clsComments             // comments: a displayed comment thread
)

// regionClasses reports which of the classes that matter a class list
// holds, in one pass (Tailwind pages carry long class lists everywhere).
// Classes match by whole token: h-full is not h-entry.
func regionClasses(list []byte) (c int) {
	if len(list) < len("h-entry") {
		return 0
	}
	for i := 0; i < len(list); {
		for i < len(list) && wsByte(list[i]) {
			i++
		}
		j := i
		for j < len(list) && !wsByte(list[j]) {
			j++
		}
		switch tok := list[i:j]; len(tok) {
		case len("h-entry"):
			if string(tok) == "h-entry" {
				c |= clsHEntry
			}
		case len("e-content"):
			if string(tok) == "e-content" {
				c |= clsEContent
			}
		case len("comments"):
			if string(tok) == "comments" {
				c |= clsComments
			}
		}
		i = j
	}
	return c
}

// classHas reports whether the whitespace-separated list holds tok.
func classHas(list []byte, tok string) bool {
	for {
		i := bytes.Index(list, []byte(tok))
		if i < 0 {
			return false
		}
		end := i + len(tok)
		if (i == 0 || wsByte(list[i-1])) && (end == len(list) || wsByte(list[end])) {
			return true
		}
		list = list[i+1:]
	}
}

func tokensHasFold(list []byte, tok string) bool {
	for f := range bytes.FieldsFuncSeq(list, func(r rune) bool { return r < 0x80 && wsByte(byte(r)) }) {
		if attrKeyIs(f, tok) {
			return true
		}
	}
	return false
}

func (s *scanner) start(z *html.Tokenizer, selfClosing bool) {
	raw := z.Raw()
	a, name, ai := s.tagName(raw, 1)
	if a == atom.Html || a == atom.Head {
		// Not tracked: minified pages omit their end tags. <body> is pushed
		// (it may be an h-entry) but its end tag is ignored: content after
		// </body> is still body content to a browser.
		return
	}
	props := tagProps(a)
	if props&tagInline == 0 {
		s.sep()
	}
	if props&tagClosesP != 0 && s.paras > 0 {
		s.closeOpen(atom.P, atom.P)
	}
	if props&tagImplies != 0 {
		s.implyEnd(a)
	}
	if props&tagRaw != 0 {
		// The tokenizer returns their content as one raw text token (even
		// after a self-closing <script/>); with scripting on, as in
		// browsers, <noscript> content is not markup.
		s.raw = a
		return
	}
	// The HTML parser ignores "/>" on HTML elements; it closes only void
	// elements and foreign (SVG, MathML) ones.
	closed := props&tagVoid != 0 || selfClosing && (s.foreign > 0 || a == atom.Svg || a == atom.Math)
	e := openElem{a: a, props: props}
	if a == 0 {
		e.name = nameHash(name)
	}
	if s.template > 0 {
		// Template content is inert: only nesting is tracked.
		if !closed {
			if a == atom.Template {
				e.flags |= fTemplate
				s.template++
			}
			s.stack = append(s.stack, e) // the mask is 0 inside a template already
		}
		return
	}

	// Parse attributes only where one can matter: void elements cannot open
	// a region, most tags have no attributes.
	parse := true
	switch {
	case a == atom.Meta:
		parse = bytes.Contains(raw, []byte("quiv")) || bytes.Contains(raw, []byte("QUIV"))
	case a == atom.Base:
		parse = !s.haveBase
	case closed && a != atom.A, ai >= len(raw)-1:
		parse = false
	case s.fragment && a != atom.A:
		parse = false // Links has no regions: only hrefs matter
	}
	var role, class, href, rel, id, content []byte
	var hrefSeen, relSeen, classSeen, roleSeen, idSeen, contentSeen, equivRefresh bool
	it := rawAttrs{b: raw, i: ai}
	for parse {
		k, v, ok := it.next()
		if !ok {
			break
		}
		// Dispatch on the key's length first: most keys are none of these.
		switch len(k) {
		case 2:
			if !idSeen && attrKeyIs(k, "id") {
				id, idSeen = v, true
			}
		case 3:
			if !relSeen && attrKeyIs(k, "rel") {
				rel, relSeen = v, true
			}
		case 4:
			switch {
			case !hrefSeen && attrKeyIs(k, "href"):
				href, hrefSeen = v, true
			case !roleSeen && attrKeyIs(k, "role"):
				role, roleSeen = v, true
			}
		case 5:
			if !classSeen && attrKeyIs(k, "class") {
				class, classSeen = v, true
			}
		case 7:
			if a == atom.Meta && !contentSeen && attrKeyIs(k, "content") {
				content, contentSeen = v, true
			}
		case 10:
			if a == atom.Meta && attrKeyIs(k, "http-equiv") {
				equivRefresh = attrKeyIs(bytes.TrimSpace(v), "refresh")
			}
		}
	}
	switch a {
	case atom.Meta:
		if equivRefresh && refreshRedirects(content) {
			s.alias = true
		}
		return
	case atom.Base:
		if hrefSeen && !s.haveBase {
			s.base, s.haveBase = s.attrValue(z, "href", href), true
		}
		return
	}

	if !closed {
		s.regionFlags(&e, class, classSeen, role, roleSeen, id, idSeen)
		s.push(e)
	}
	if a != atom.A {
		return
	}
	// A link lies in the regions open around it, its own included.
	s.endLink()
	if !hrefSeen {
		return
	}
	if s.noLinks {
		s.aOffsets = append(s.aOffsets, s.off-len(raw))
		return
	}
	m := s.mask()
	if classSeen && s.hentry > 0 && s.topHEntries == 1 && !s.fragment && replyContext(class) {
		m |= regHEntryContent
	}
	if m == 0 {
		return
	}
	r := linkRec{mask: m, offset: s.off - len(raw)}
	if relSeen {
		r.rel = string(rel)
	}
	if classSeen {
		for _, c := range s.opts.SkipClasses {
			if classHas(class, c) {
				r.skipClass = c
				break
			}
		}
	}
	// Last: the tokenizer's TagAttr decodes values in place.
	r.href = s.attrValue(z, "href", href)
	s.recs = append(s.recs, r)
	s.cur = len(s.recs) - 1
	s.ltext.reset()
	if !closed {
		s.stack[len(s.stack)-1].link = int32(s.cur + 1)
	} else {
		s.endLink()
	}
}

// regionFlags sets what an element opening now means for the regions: which
// candidate regions it opens, and whether it is chrome, an h-entry, an
// article, a template or foreign content.
func (s *scanner) regionFlags(e *openElem, class []byte, classSeen bool, role []byte, roleSeen bool, id []byte, idSeen bool) {
	a := e.a
	if a == atom.Svg || a == atom.Math {
		e.flags |= fForeign
	}
	var cls int
	if classSeen {
		cls = regionClasses(class)
	}
	if cls&clsComments != 0 || idSeen && string(id) == "comments" {
		e.flags |= fChrome
	}
	avail := ^(s.open | s.done)
	if cls&clsEContent != 0 {
		if s.hentry > 0 && avail&regHEntryContent != 0 {
			e.opens |= regHEntryContent
		}
		if avail&regEContent != 0 {
			e.opens |= regEContent
		}
	}
	switch a {
	case atom.Article:
		if avail&regArticle != 0 {
			e.opens |= regArticle
		}
		e.flags |= fArticle
	case atom.Main:
		if avail&regMain != 0 {
			e.opens |= regMain
		}
	case atom.Nav, atom.Header, atom.Footer, atom.Aside:
		e.flags |= fChrome
	case atom.Template:
		e.flags |= fTemplate
	}
	if roleSeen {
		switch {
		case tokensHasFold(role, "main"):
			if avail&regMain != 0 {
				e.opens |= regMain
			}
		case tokensHasFold(role, "navigation"), tokensHasFold(role, "banner"),
			tokensHasFold(role, "contentinfo"), tokensHasFold(role, "complementary"):
			e.flags |= fChrome
		}
	}
	if cls&clsHEntry != 0 {
		e.flags |= fHEntry
	}
}

// attrValue returns an attribute value decoded exactly as the tokenizer
// decodes it. Values without '&', '\r' or NUL need no decoding.
func (s *scanner) attrValue(z *html.Tokenizer, key string, raw []byte) string {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 && bytes.IndexByte(raw, 0) < 0 {
		return string(raw)
	}
	for {
		k, v, more := z.TagAttr()
		if string(k) == key {
			return string(v)
		}
		if !more {
			return string(raw)
		}
	}
}

func (s *scanner) push(e openElem) {
	if e.opens&regArticle != 0 {
		s.chromeAt[0] = s.chrome
	}
	if e.opens&regMain != 0 {
		s.chromeAt[1] = s.chrome
	}
	s.open |= e.opens
	if e.flags&fChrome != 0 {
		s.chrome++
	}
	// Entries nested in another entry (comments, quotations) or inside
	// chrome (related posts in an aside, a comment thread) are not entries
	// of a list.
	if e.flags&fHEntry != 0 {
		if s.hentry == 0 && s.chrome == 0 {
			s.topHEntries++
		}
		s.hentry++
	}
	if e.flags&fArticle != 0 {
		if s.article == 0 && s.chrome == 0 {
			s.topArticles++
		}
		s.article++
	}
	if e.flags&fTemplate != 0 {
		s.template++
	}
	if e.a == atom.P {
		s.paras++
	}
	if e.flags&fForeign != 0 {
		s.foreign++
	}
	s.stack = append(s.stack, e)
	if e.opens != 0 || e.flags&(fChrome|fTemplate) != 0 {
		s.calcMask()
	}
}

// popTo closes the element at index k and everything opened after it.
func (s *scanner) popTo(k int) {
	recalc := false
	for i := len(s.stack) - 1; i >= k; i-- {
		recalc = s.undo(&s.stack[i]) || recalc
	}
	s.stack = s.stack[:k]
	if recalc {
		s.calcMask()
	}
}

// removeAt closes the element at index i alone, leaving the elements opened
// after it open: what the parser's adoption agency does with a formatting
// end tag such as </b> when a block opened inside it is still open.
func (s *scanner) removeAt(i int) {
	recalc := s.undo(&s.stack[i])
	s.stack = append(s.stack[:i], s.stack[i+1:]...)
	if recalc {
		s.calcMask()
	}
}

// undo reverses the effects of an open element on the scanner's counters as
// it closes, and reports whether the mask must be recomputed.
func (s *scanner) undo(e *openElem) bool {
	s.open &^= e.opens
	s.done |= e.opens
	if e.opens != 0 {
		s.settled = true
	}
	if e.flags&fChrome != 0 {
		s.chrome--
	}
	if e.flags&fHEntry != 0 {
		s.hentry--
	}
	if e.flags&fArticle != 0 {
		s.article--
	}
	if e.flags&fTemplate != 0 {
		s.template--
	}
	if e.a == atom.P {
		s.paras--
	}
	if e.flags&fForeign != 0 {
		s.foreign--
	}
	s.endLinkOf(e)
	return e.opens != 0 || e.flags&(fChrome|fTemplate) != 0
}

// endLinkOf ends the text of the link e records, if it is still the current one.
func (s *scanner) endLinkOf(e *openElem) {
	if e.link != 0 && s.cur == int(e.link)-1 {
		s.endLink()
	}
}

// endLink stores the collected text of the current link.
func (s *scanner) endLink() {
	if s.cur >= 0 {
		s.recs[s.cur].text = validText(s.ltext.b)
		s.cur = -1
	}
}

func (s *scanner) end(raw []byte) {
	if len(raw) < 3 {
		return
	}
	// Fast path: most end tags close the innermost open element.
	if n := len(s.stack); n > 0 {
		if top := &s.stack[n-1]; top.a != 0 && string(endName(raw)) == top.a.String() {
			if top.props&tagInline == 0 {
				s.sep()
			}
			s.popTo(n - 1)
			return
		}
	}
	a, name, _ := s.tagName(raw, 2)
	var h uint32
	if a == 0 {
		h = nameHash(name)
	}
	if !inlineElem(a) || a == atom.Br {
		s.sep()
	}
	switch a {
	case atom.Html, atom.Head, atom.Body, atom.Br:
		return
	}
	if a == atom.Script || a == atom.Style || a == atom.Title || a == atom.Noscript || a == atom.Textarea {
		return // raw-text elements are never on the stack
	}
	for i := len(s.stack) - 1; i >= 0; i-- {
		e := &s.stack[i]
		if e.a == a && e.name == h {
			if formatting(a) {
				for j := i + 1; j < len(s.stack); j++ {
					if s.stack[j].props&tagInline == 0 {
						s.removeAt(i)
						return
					}
				}
			}
			s.popTo(i)
			return
		}
		if endScopeStop(a, e.a) {
			return
		}
	}
}

// endScopeStop reports whether an open element b stops the search for the
// element an end tag (or implied end) of a closes.
func endScopeStop(a, b atom.Atom) bool {
	switch a {
	case atom.P:
		return !inlineElem(b)
	case atom.Li:
		return b == atom.Ul || b == atom.Ol || b == atom.Menu || b == atom.Template
	case atom.Dd, atom.Dt:
		return b == atom.Dl || b == atom.Template
	case atom.Td, atom.Th, atom.Tr, atom.Tbody, atom.Thead, atom.Tfoot:
		return b == atom.Table || b == atom.Template
	}
	return b == atom.Template
}

// implyEnd closes the elements a start tag of a implicitly ends, as the
// HTML parser does: a block closes an open <p>, <li> closes the previous
// <li>, and so on.
func (s *scanner) implyEnd(a atom.Atom) {
	switch a {
	case atom.Li:
		s.closeOpen(atom.Li, atom.Li)
	case atom.Dd, atom.Dt:
		s.closeOpen(atom.Dd, atom.Dt)
	case atom.Td, atom.Th:
		s.closeOpen(atom.Td, atom.Th)
	case atom.Tr:
		s.closeOpen(atom.Tr, atom.Tr)
	case atom.Tbody, atom.Thead, atom.Tfoot:
		s.closeOpen(atom.Tbody, atom.Thead)
		s.closeOpen(atom.Tfoot, atom.Tfoot)
	case atom.Option:
		if n := len(s.stack); n > 0 && s.stack[n-1].a == atom.Option {
			s.popTo(n - 1)
		}
	case atom.A:
		s.closeOpen(atom.A, atom.A)
	}
}

// closeOpen pops to the nearest open x or y, unless a scope boundary (for
// x) comes first.
func (s *scanner) closeOpen(x, y atom.Atom) {
	for i := len(s.stack) - 1; i >= 0; i-- {
		b := s.stack[i].a
		if b == x || b == y {
			s.popTo(i)
			return
		}
		inline := s.stack[i].props&tagInline != 0
		if x == atom.Li || x == atom.Dd {
			// The parser looks past <div>, <address> and <p> and stops at any
			// other special element.
			if b != atom.Div && b != atom.Address && b != atom.P && !inline {
				return
			}
			continue
		}
		if x == atom.A || x == atom.P {
			if !inline {
				return
			}
			continue
		}
		if endScopeStop(x, b) {
			return
		}
	}
}

// Properties of a tag, from tagProps.
const (
	tagInline  uint8 = 1 << iota // phrasing: neither ends a <p> nor separates words
	tagVoid                      // no content, no end tag
	tagClosesP                   // its start tag closes an open <p>
	tagImplies                   // its start tag implicitly ends another element (implyEnd)
	tagRaw                       // the tokenizer returns its content as raw text
)

// tagProps returns the properties of a tag in one switch (the scan asks for
// them on every tag). Unknown (custom) elements are inline.
func tagProps(a atom.Atom) uint8 {
	switch a {
	case 0, atom.Abbr, atom.B, atom.Bdi, atom.Bdo, atom.Big, atom.Cite, atom.Code,
		atom.Data, atom.Del, atom.Dfn, atom.Em, atom.Font, atom.I, atom.Ins, atom.Kbd,
		atom.Label, atom.Mark, atom.Nobr, atom.Q, atom.Rp, atom.Rt, atom.Ruby, atom.S, atom.Samp,
		atom.Small, atom.Span, atom.Strike, atom.Strong, atom.Sub, atom.Sup, atom.Time, atom.Tt,
		atom.U, atom.Var, atom.Svg, atom.Math, atom.Picture, atom.Button,
		atom.Select, atom.Output, atom.Meter, atom.Progress, atom.Slot:
		return tagInline
	case atom.A:
		return tagInline | tagImplies
	case atom.Img, atom.Wbr, atom.Input, atom.Source:
		return tagInline | tagVoid
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Link, atom.Meta, atom.Param,
		atom.Track, atom.Keygen:
		return tagVoid
	case atom.Hr:
		return tagVoid | tagClosesP
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details,
		atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure,
		atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header,
		atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Pre,
		atom.Section, atom.Summary, atom.Table, atom.Ul, atom.Listing, atom.Search:
		return tagClosesP
	case atom.Li, atom.Dd, atom.Dt:
		return tagClosesP | tagImplies
	case atom.Td, atom.Th, atom.Tr, atom.Tbody, atom.Thead, atom.Tfoot, atom.Option:
		return tagImplies
	case atom.Xmp, atom.Plaintext:
		return tagClosesP | tagRaw
	case atom.Script, atom.Style, atom.Textarea, atom.Title, atom.Iframe, atom.Noembed,
		atom.Noframes, atom.Noscript:
		return tagRaw
	}
	return 0
}

// formatting reports whether a is a formatting element, whose misnested
// end tag the parser handles with the adoption agency.
func formatting(a atom.Atom) bool {
	switch a {
	case atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S,
		atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U:
		return true
	}
	return false
}

// inlineElem reports whether a is an inline element.
func inlineElem(a atom.Atom) bool { return tagProps(a)&tagInline != 0 }

// nameHash is FNV-1a of a custom element's name.
func nameHash(name []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range name {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
