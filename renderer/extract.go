package renderer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
)

// Kind says what sort of page Extract looked at. Only KindSingle pages are
// sources of notifications; lists and aliases repeat or point at content
// that has its own page.
type Kind int

const (
	// KindSingle is an ordinary page: one post, one article.
	KindSingle Kind = iota
	// KindList is a list page: more than one top-level .h-entry, or (on a
	// page without .h-entry) more than one top-level <article>. Entries
	// nested in another entry or inside chrome (comments, quoted posts,
	// related posts in an aside) do not count. A page whose content region
	// is its <main> or body (no entry or article marks it) and whose
	// content links all point to its own host is a list too: an archive or
	// a list of terms.
	KindList
	// KindAlias is a redirect page such as the ones Hugo writes for
	// front-matter aliases: it has a <meta http-equiv="refresh"> whose
	// content names a URL (a bare delay only reloads the page).
	KindAlias
)

// String returns "single", "list" or "alias".
func (k Kind) String() string {
	switch k {
	case KindSingle:
		return "single"
	case KindList:
		return "list"
	case KindAlias:
		return "alias"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Link is one outbound link of a page's content.
type Link struct {
	// URL is absolute http(s), resolved against the page URL and <base
	// href>, with the fragment dropped.
	URL string
	// Href is the href attribute as written in the page (entities decoded).
	Href string
	// Text is the link text, whitespace collapsed (an image's alt when the
	// link has no text).
	Text string
	// Rel holds the lower-cased tokens of the rel attribute.
	Rel []string
	// Skip is non-empty when the link must not be notified, and says why:
	// "rel=nofollow", "class=no-pingback".
	Skip string
	// Offset is the byte offset of the <a> start tag in the input (the page
	// for Extract, the fragment for Links), or -1 when unknown. WordPress
	// reads only the first 150 KB of a source page when it verifies a
	// pingback, so a link further down fails there.
	Offset int
}

// Options tune extraction. A nil *Options means the zero value.
type Options struct {
	// Content is a CSS selector (andybalholm/cascadia syntax) for the
	// content region; every matching element counts. "" means the default
	// chain described in the package documentation.
	Content string
	// SkipRels are rel tokens that mark a link as not to be notified
	// (compared case-insensitively). nil means none: callers pass the
	// configured defaults (config.DefaultSkipRels).
	SkipRels []string
	// SkipClasses are classes that mark a link as not to be notified
	// (compared exactly, like CSS). nil means none.
	SkipClasses []string
}

// Page is what Extract found in one page.
type Page struct {
	// Kind is single, list or alias.
	Kind Kind
	// Title is the text of the first <title>, whitespace collapsed.
	Title string
	// Region names the rule that chose the content: "h-entry e-content",
	// "e-content", "article", "main", "body", or "selector" (see the
	// package documentation). With "selector", a selector that matched
	// nothing gives no links.
	Region string
	// Links are the content's <a href> links in document order: http(s)
	// only, de-duplicated by URL (the first occurrence keeps its place; a
	// notifiable occurrence wins over a skipped one), never the page itself.
	Links []Link
	// Excerpt is the content's plain text, whitespace collapsed, cut on a
	// word boundary near ExcerptLen characters (for Trackback).
	Excerpt string
}

// RulesVersion changes whenever the extraction rules change (which links a
// page yields for the same bytes). Callers that skip unchanged pages should
// make it part of what "unchanged" means, so new rules re-read every page.
const RulesVersion = 2

// ExcerptLen is the length, in characters, near which Page.Excerpt is cut.
const ExcerptLen = 250

// ErrInvalidSelector is wrapped by the errors of CompileSelector, Extract
// and Links when Options.Content is not a valid CSS selector.
var ErrInvalidSelector = errors.New("invalid content selector")

// SelectorError reports an invalid Options.Content selector.
type SelectorError struct {
	Selector string
	Err      error // the cascadia parse error
}

func (e *SelectorError) Error() string {
	return fmt.Sprintf("invalid content selector %q: %v", e.Selector, e.Err)
}

// Unwrap returns ErrInvalidSelector and the parse error.
func (e *SelectorError) Unwrap() []error { return []error{ErrInvalidSelector, e.Err} }

// CompileSelector checks a --content selector, so a typo fails before any
// page is read. The error names the selector and wraps ErrInvalidSelector.
func CompileSelector(s string) error {
	_, err := compileSelector(s)
	return err
}

// selectorCache caches compiled selectorCache: Extract runs once per page with the
// same selector.
var selectorCache sync.Map // string -> cascadia.Matcher or error

func compileSelector(s string) (cascadia.Matcher, error) {
	if v, ok := selectorCache.Load(s); ok {
		if err, ok := v.(error); ok {
			return nil, err
		}
		return v.(cascadia.Matcher), nil
	}
	sel, err := cascadia.ParseGroup(s)
	if err != nil {
		err = &SelectorError{Selector: s, Err: err}
		selectorCache.Store(s, err)
		return nil, err
	}
	selectorCache.Store(s, sel)
	return sel, nil
}

var scannerPool = sync.Pool{New: func() any { return new(scanner) }}

// release returns the scanner to the pool without what would keep the
// caller's page and options alive.
func (s *scanner) release() {
	s.src, s.opts, s.aIndex = nil, nil, nil
	clear(s.recs)
	scannerPool.Put(s)
}

// Extract reads one built page published at pageURL and returns its kind,
// title, content links and excerpt, by the rules in the package
// documentation. Malformed HTML is read leniently, the way a browser would;
// the only error is an invalid Options.Content selector (wrapping
// ErrInvalidSelector). pageURL may be nil, in which case relative links are
// dropped. Extract is safe for concurrent use.
func Extract(src []byte, pageURL *url.URL, opts *Options) (*Page, error) {
	s := scannerPool.Get().(*scanner)
	defer s.release()
	region, err := s.scanPage(src, pageURL, opts, textCap)
	if err != nil {
		return nil, err
	}
	p := &Page{Kind: s.kind(), Title: s.title, Region: regionNames[region]}
	p.Links = s.links(region, pageURL)
	if p.Kind == KindSingle && (region == regMain || region == regBody) && listsOwnSite(p.Links, pageURL) {
		p.Kind = KindList
	}
	p.Excerpt = s.text[regionIndex(region)].excerpt()
	return p, nil
}

// listsOwnSite reports whether links, at least one, all point to the host
// of pageURL: then a page whose content its theme did not mark (no h-entry,
// e-content or article) only lists pages of its own site, as archives and
// term lists do, and is no post.
func listsOwnSite(links []Link, pageURL *url.URL) bool {
	if pageURL == nil || len(links) == 0 {
		return false
	}
	host := linkurl.Host(pageURL)
	for _, l := range links {
		if u := linkurl.Parse(l.URL); u == nil || linkurl.Host(u) != host {
			return false
		}
	}
	return true
}

// scanPage reads a page with the scanner (reset for opts, collecting up to
// textMax characters of region text) and returns the content region chosen:
// the default chain, or Options.Content. The error is an invalid selector.
func (s *scanner) scanPage(src []byte, pageURL *url.URL, opts *Options, textMax int) (uint8, error) {
	if opts == nil {
		opts = &Options{}
	}
	var sel cascadia.Matcher
	if opts.Content != "" {
		var err error
		if sel, err = compileSelector(opts.Content); err != nil {
			return 0, err
		}
	}
	s.reset(opts, false, sel != nil)
	s.textMax = textMax
	s.src = src
	s.run(html.NewTokenizer(bytes.NewReader(src)))
	if sel == nil {
		return s.region(), nil
	}
	doc, err := html.Parse(bytes.NewReader(src))
	if err != nil { // html.Parse only fails on reader errors
		return 0, fmt.Errorf("parse page %s: %w", pageURL, err)
	}
	s.selectRegion(doc, sel)
	return regSelector, nil
}

// Links returns every <a href> of an HTML fragment (such as Hugo's rendered
// .Content) under the same rules as Extract (resolution against base and any
// <base href>, http(s) only, no fragment, de-duplicated, never base itself,
// Skip set from opts), without any region logic; opts.Content is ignored.
// The error is the reader's.
func Links(r io.Reader, base *url.URL, opts *Options) ([]Link, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := scannerPool.Get().(*scanner)
	defer s.release()
	s.reset(opts, true, false)
	z := html.NewTokenizer(r)
	s.run(z)
	if err := z.Err(); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read HTML: %w", err)
	}
	return s.links(regBody, base), nil
}

// links resolves, filters and de-duplicates the recorded links of a region.
func (s *scanner) links(region uint8, pageURL *url.URL) []Link {
	base := linkurl.Base(pageURL, s.base, s.haveBase)
	var self *url.URL
	if pageURL != nil {
		u := *pageURL
		u.Fragment, u.RawFragment = "", ""
		self = &u
	}
	n := 0
	for i := range s.recs {
		if s.recs[i].mask&region != 0 {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Link, 0, n)
	var seen map[string]int // only for pages with many links
	if n > 16 {
		seen = make(map[string]int, n)
	}
	for i := range s.recs {
		r := &s.recs[i]
		if r.mask&region == 0 {
			continue
		}
		u, us := linkurl.Resolve(base, r.href)
		if u == nil || isSameDoc(u, self) {
			continue
		}
		l := Link{URL: us, Href: r.href, Text: r.text, Rel: splitRel(r.rel), Offset: r.offset}
		l.Skip = s.skipReason(l.Rel, r.skipClass)
		j, dup := -1, false
		if seen != nil {
			j, dup = seen[l.URL]
		} else {
			for k := range out {
				if out[k].URL == l.URL {
					j, dup = k, true
					break
				}
			}
		}
		if dup {
			if out[j].Skip != "" && l.Skip == "" {
				out[j] = l
			}
			continue
		}
		if seen != nil {
			seen[l.URL] = len(out)
		}
		out = append(out, l)
	}
	return out
}

// isSameDoc reports whether u is the page itself: same URL, host compared
// case-insensitively, and dir/ equal to dir/index.html.
func isSameDoc(u, self *url.URL) bool {
	if self == nil || u.Scheme != self.Scheme || !strings.EqualFold(u.Host, self.Host) || u.RawQuery != self.RawQuery {
		return false
	}
	a, b := u.EscapedPath(), self.EscapedPath()
	if a == "" {
		a = "/"
	}
	if b == "" {
		b = "/"
	}
	for _, p := range []*string{&a, &b} {
		if strings.HasSuffix(*p, "/index.html") { // not /blog/myindex.html
			*p = strings.TrimSuffix(*p, "index.html")
		}
	}
	return a == b
}

func splitRel(rel string) []string {
	if rel == "" {
		return nil
	}
	f := strings.Fields(strings.ToLower(rel))
	if len(f) == 0 {
		return nil
	}
	return f
}

func (s *scanner) skipReason(rel []string, skipClass string) string {
	for _, r := range rel {
		for _, sr := range s.opts.SkipRels {
			if strings.EqualFold(r, sr) {
				return "rel=" + r
			}
		}
	}
	if skipClass != "" {
		return "class=" + skipClass
	}
	return ""
}

// collapsedText collects collapsed text up to a number of characters.
type collapsedText struct {
	b     []byte
	runes int
	space bool // a space is pending before the next non-space character
	full  bool
}

const textCap = ExcerptLen + 60

func (t *collapsedText) reset() {
	t.b, t.runes, t.space, t.full = t.b[:0], 0, false, false
}

// sep marks a word boundary (a block element started or ended).
func (t *collapsedText) sep() {
	if len(t.b) > 0 {
		t.space = true
	}
}

// add appends p with runs of whitespace (and no-break spaces) collapsed to
// one space, stopping once max characters are held.
func (t *collapsedText) add(p []byte, max int) {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f':
			t.sep()
			continue
		case c == 0xC2 && i+1 < len(p) && p[i+1] == 0xA0: // U+00A0
			t.sep()
			i++
			continue
		}
		if t.space {
			t.b = append(t.b, ' ')
			t.runes++
			t.space = false
		}
		t.b = append(t.b, c)
		if c < 0x80 || c >= 0xC0 {
			t.runes++
			if t.runes >= max {
				// Finish the current rune before stopping.
				for i+1 < len(p) && p[i+1]&0xC0 == 0x80 {
					i++
					t.b = append(t.b, p[i])
				}
				t.full = true
				return
			}
		}
	}
}

// excerpt cuts the text on a word boundary near ExcerptLen characters.
func (t *collapsedText) excerpt() string {
	b := t.b
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	if utf8.RuneCount(b) <= ExcerptLen {
		return string(b)
	}
	cut, n := 0, 0
	for i := range string(b) { // i walks rune starts
		if n == ExcerptLen {
			cut = i
			break
		}
		n++
	}
	if sp := bytes.LastIndexByte(b[:cut], ' '); sp > ExcerptLen/2 {
		cut = sp
	}
	return string(bytes.TrimRight(b[:cut], " ,;:-")) + "…" // one allocation: the conversion is folded into the concatenation
}

// validText returns b as a string with invalid UTF-8 replaced by U+FFFD.
func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
