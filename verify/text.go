package verify

import (
	"strings"
	"unicode/utf8"
)

// Size caps of what a Result carries, so one source cannot bloat the store
// or the page that shows mentions. All cuts fall on rune boundaries.
const (
	maxName    = 300      // characters of Name, Title and Author.Name
	maxExcerpt = 300      // characters of Excerpt
	maxText    = 16 << 10 // bytes of Content.Text
	maxHTML    = 64 << 10 // bytes of Content.HTML

	// Around the link, WordPress shows up to 100 characters on each side
	// (wp-includes/class-wp-xmlrpc-server.php, pingback_ping); the link text
	// itself is cut shorter so the whole excerpt stays within maxExcerpt.
	contextChars = 100
	linkChars    = 90
)

// ellipsis marks text that was cut, as "[…]" marks the context of a
// pingback.
const ellipsis = "…"

// collapse returns s with white space runs collapsed to one space, no
// control characters, valid UTF-8, trimmed.
func collapse(s string) string {
	var sc scanner
	sc.addText([]byte(s))
	return string(sc.p.text)
}

// clipRunes cuts s to at most n characters, on a word boundary when one is
// near, marking the cut with an ellipsis.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, k := 0, 0
	for i := range s {
		if k == n-1 { // room for the ellipsis
			cut = i
			break
		}
		k++
	}
	return wordCut(s[:cut]) + ellipsis
}

// clipBytes cuts s to at most n bytes, on a word boundary when one is near,
// marking the cut with an ellipsis.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return wordCut(s[:cut]) + ellipsis
}

// wordCut drops a word cut in half at the end of s, when a space lies in
// its second half.
func wordCut(s string) string {
	if i := strings.LastIndexByte(s, ' '); i > len(s)/2 {
		s = s[:i]
	}
	return strings.TrimRight(s, " ")
}

// context returns the text around a link as WordPress shows a pingback
// without the "[…]" marks: the paragraph the link is in, up to
// contextChars characters before and after the link text, cut at word
// boundaries. It is "" when the paragraph has no text (an image alone).
func (p *page) context(c cand) string {
	i := c.para
	ps, pe := p.paragraph(i)
	// A link whose text starts a new block inside it (<a><div>…) has its
	// text in the next paragraph.
	for pe <= c.start && c.end > c.start && i < len(p.breaks) {
		i++
		ps, pe = p.paragraph(i)
	}
	ls, le := min(max(c.start, ps), pe), min(max(c.end, ps), pe)
	before, link, after := string(p.text[ps:ls]), string(p.text[ls:le]), string(p.text[le:pe])

	if utf8.RuneCountInString(before) > contextChars {
		before = lastRunes(before, contextChars)
		if sp := strings.IndexByte(before, ' '); sp >= 0 {
			before = before[sp:] // drop the word cut in half
		}
	}
	if t := strings.TrimSpace(link); utf8.RuneCountInString(t) > linkChars {
		lead, trail := "", ""
		if strings.HasPrefix(link, " ") {
			lead = " "
		}
		if strings.HasSuffix(link, " ") {
			trail = " "
		}
		link = lead + clipRunes(t, linkChars) + trail
	}
	if utf8.RuneCountInString(after) > contextChars {
		after = firstRunes(after, contextChars)
		if sp := strings.LastIndexByte(after, ' '); sp > 0 {
			after = after[:sp]
		}
	}
	return strings.TrimSpace(before + link + after)
}

// wrapContext marks a context as an extract, as WordPress does.
func wrapContext(ctx string) string {
	if ctx == "" {
		return ""
	}
	return clipRunes("[…] "+ctx+" […]", maxExcerpt)
}

// lastRunes returns the last n characters of s.
func lastRunes(s string, n int) string {
	i := len(s)
	for k := 0; k < n && i > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return s[i:]
}

// firstRunes returns the first n characters of s.
func firstRunes(s string, n int) string {
	k := 0
	for i := range s {
		if k == n {
			return s[:i]
		}
		k++
	}
	return s
}
