package verify

import (
	"bytes"
	"net/url"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
)

// The token pass. One run of the golang.org/x/net/html tokenizer over the
// source finds everything but the microformats: the first <title>, the
// first <base href>, every element that may link (with where its text lies
// in the page text), and the page's readable text with the block
// boundaries that make its paragraphs. The tokenizer already keeps
// comments and the content of <script>, <style>, <textarea>, <title> and
// the other raw-text elements out of the tag stream; <template> content is
// skipped here. No tree is built.

// page is what the token pass found in one document.
type page struct {
	title    string
	base     string // the first <base href>, as written
	haveBase bool
	// text is the readable text: whitespace collapsed, valid UTF-8, no
	// title, script, style or template text.
	text []byte
	// breaks are the offsets in text where a block element started or
	// ended, ascending, without repeats: paragraph i runs from breaks[i-1]
	// (or 0) to breaks[i] (or the end).
	breaks []int
	// links are the elements that may link to the target, in document order.
	links []cand
}

// cand is one element that may link: an <a href>, or with Options.Media an
// <img>, <video>, <audio> or <source> src or a <video> poster.
type cand struct {
	href       string
	media      bool
	para       int // index of the paragraph it starts in
	start, end int // its text in page.text, maybe with a space before (empty for media)
}

// scanner holds the state of the token pass.
type scanner struct {
	p        page
	media    bool
	template int       // open <template> elements: their content is inert
	raw      atom.Atom // the raw-text element whose text token comes next
	cur      int       // index in p.links of the open <a>, or -1
	space    bool      // a space is pending before the next character
	name     [16]byte  // a lower-cased tag name
}

// scan runs the token pass over doc. A document cut anywhere (the receiver
// caps what it reads) is read up to the cut: an element whose tag is not
// complete is not there.
func scan(doc []byte, media bool) *page {
	s := scanner{media: media, cur: -1}
	s.p.text = make([]byte, 0, len(doc)/4)
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			s.endLink()
			return &s.p
		case html.TextToken:
			raw := s.raw
			s.raw = 0
			switch {
			case s.template > 0:
			case raw == atom.Title:
				if s.p.title == "" {
					s.p.title = collapse(string(z.Text()))
				}
			case raw != 0: // script, style and the like: not readable text
			default:
				s.addText(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			s.raw = 0
			s.start(z)
		case html.EndTagToken:
			s.raw = 0
			s.end(z)
		default: // comments and doctypes say nothing
			s.raw = 0
		}
	}
}

func (s *scanner) start(z *html.Tokenizer) {
	a, hasAttr := s.tag(z.Raw())
	if a == atom.Template {
		s.template++
		return
	}
	if s.template > 0 {
		return
	}
	switch a {
	case atom.Script, atom.Style, atom.Textarea, atom.Title, atom.Iframe, atom.Noembed,
		atom.Noframes, atom.Noscript, atom.Xmp, atom.Plaintext:
		// The tokenizer hands their content over as one text token.
		s.raw = a
		if a != atom.Title {
			s.boundary()
		}
		return
	case atom.Br:
		s.space = len(s.p.text) > 0
		return
	case atom.A:
		s.endLink()
		if href, ok := attr(z, hasAttr, "href"); ok {
			s.p.links = append(s.p.links, cand{href: href, para: len(s.p.breaks), start: len(s.p.text)})
			s.cur = len(s.p.links) - 1
		}
		return
	case atom.Base:
		if !s.p.haveBase {
			s.p.base, s.p.haveBase = attr(z, hasAttr, "href")
		}
		return
	case atom.Img, atom.Audio, atom.Source:
		if s.media {
			if src, ok := attr(z, hasAttr, "src"); ok {
				s.addMedia(src)
			}
		}
		return
	case atom.Video:
		if s.media {
			s.videoLinks(z, hasAttr)
		}
		return
	}
	if block(a) {
		s.boundary()
	}
}

// videoLinks records a <video>'s src and poster, both of which may name the
// target (the video itself, or its still).
func (s *scanner) videoLinks(z *html.Tokenizer, hasAttr bool) {
	for more := hasAttr; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		if string(k) == "src" || string(k) == "poster" {
			s.addMedia(string(v))
		}
	}
}

func (s *scanner) addMedia(src string) {
	n := len(s.p.text)
	s.p.links = append(s.p.links, cand{href: src, media: true, para: len(s.p.breaks), start: n, end: n})
}

func (s *scanner) end(z *html.Tokenizer) {
	a, _ := s.tag(z.Raw())
	if a == atom.Template {
		if s.template > 0 {
			s.template--
		}
		return
	}
	if s.template > 0 {
		return
	}
	switch {
	case a == atom.A:
		s.endLink()
	case a == atom.Br: // </br> is a <br> to browsers
		s.space = len(s.p.text) > 0
	case block(a):
		s.boundary()
	}
}

// tag returns the atom of the tag whose raw bytes are raw ("<name ..." or
// "</name ..."), 0 for a name that is no atom, and whether attributes may
// follow. It reads the name the way the tokenizer does, without the copy
// the tokenizer's TagName makes of every name.
func (s *scanner) tag(raw []byte) (atom.Atom, bool) {
	i := 1
	if len(raw) > 1 && raw[1] == '/' {
		i = 2
	}
	j := i
	for j < len(raw) && !nameEnd(raw[j]) {
		j++
	}
	name := raw[i:j]
	if len(name) > len(s.name) { // longer than any atom this scan asks for
		return 0, true
	}
	b := s.name[:len(name)]
	for k, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[k] = c
	}
	return atom.Lookup(b), j < len(raw)-1
}

// nameEnd reports whether c ends a tag name (golang.org/x/net/html
// readTagName).
func nameEnd(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '/' || c == '>'
}

// attr returns the value of the attribute key of the current start tag
// (entities decoded), and whether it is there. The tokenizer hands out
// keys lower-cased; the first occurrence wins, as in browsers.
func attr(z *html.Tokenizer, hasAttr bool, key string) (string, bool) {
	for more := hasAttr; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		if string(k) == key {
			return string(v), true
		}
	}
	return "", false
}

// endLink closes the open <a>, if any: its text ends here.
func (s *scanner) endLink() {
	if s.cur >= 0 {
		s.p.links[s.cur].end = len(s.p.text)
		s.cur = -1
	}
}

// boundary marks the start or end of a block element: words on either side
// are apart, and a paragraph ends.
func (s *scanner) boundary() {
	if len(s.p.text) == 0 {
		return
	}
	s.space = true
	if n := len(s.p.breaks); n == 0 || s.p.breaks[n-1] != len(s.p.text) {
		s.p.breaks = append(s.p.breaks, len(s.p.text))
	}
}

// addText appends text with runs of white space and control characters
// collapsed to one space and invalid UTF-8 replaced by U+FFFD.
func (s *scanner) addText(b []byte) {
	t := s.p.text
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			if c <= ' ' || c == 0x7f {
				s.space = len(t) > 0
				continue
			}
			if s.space {
				t = append(t, ' ')
				s.space = false
			}
			t = append(t, c)
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			s.space = len(t) > 0
			continue
		}
		if s.space {
			t = append(t, ' ')
			s.space = false
		}
		t = utf8.AppendRune(t, r) // U+FFFD for an invalid byte
	}
	s.p.text = t
}

// block reports whether an element separates words and paragraphs: the
// elements WordPress splits a pingback source into paragraphs at, and the
// other block containers of today's pages. Everything else (a, em, span,
// img, unknown elements) runs on inside the paragraph.
func block(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Body, atom.Button,
		atom.Caption, atom.Dd, atom.Details, atom.Dialog, atom.Div, atom.Dl, atom.Dt,
		atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2,
		atom.H3, atom.H4, atom.H5, atom.H6, atom.Header, atom.Hgroup, atom.Hr, atom.Input,
		atom.Li, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.Option, atom.P, atom.Pre,
		atom.Section, atom.Select, atom.Summary, atom.Table, atom.Tbody, atom.Td, atom.Tfoot,
		atom.Th, atom.Thead, atom.Tr, atom.Ul, atom.Html, atom.Head:
		return true
	}
	return false
}

// find returns the first element that links to the target (an <a> before
// any media element, which has no text around it to show), resolving hrefs
// against base as a browser would.
func (p *page) find(base *url.URL, targetKey string) (cand, bool) {
	media := -1
	for i := range p.links {
		c := &p.links[i]
		if media >= 0 && c.media {
			continue
		}
		u, _ := linkurl.Resolve(base, c.href)
		if u == nil || linkurl.Key(u) != targetKey {
			continue
		}
		if !c.media {
			return *c, true
		}
		media = i
	}
	if media >= 0 {
		return p.links[media], true
	}
	return cand{}, false
}

// hasLink reports whether an HTML fragment (a sanitised or microformats
// e-content) has an <a href> to the target.
func hasLink(fragment string, base *url.URL, targetKey string) bool {
	_, ok := scan([]byte(fragment), false).find(base, targetKey)
	return ok
}

// paragraph returns the bounds in p.text of paragraph i.
func (p *page) paragraph(i int) (start, end int) {
	end = len(p.text)
	if i > 0 {
		start = p.breaks[i-1]
	}
	if i < len(p.breaks) {
		end = p.breaks[i]
	}
	return start, end
}
