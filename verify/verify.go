package verify

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"willnorris.com/go/microformats"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/renderer"
)

// Errors a caller can test with errors.Is.
var (
	// ErrNoLink means the source has no element that links to the target:
	// Pingback fault 17, a Webmention refused (or a mention deleted).
	ErrNoLink = errors.New("source does not link to the target")
	// ErrTarget means the target given to Source is not an absolute http(s)
	// URL; the receiver checks targets before fetching, so it is a bug.
	ErrTarget = errors.New("target is not an absolute http(s) URL")
)

// Options tune what counts as a link.
type Options struct {
	// Media makes media elements count as links too, as the Webmention
	// spec asks (W3C Recommendation, section 3.2.2): <img src>, <video src>
	// and <video poster>, <audio src>, <source src>. Pingback and Trackback
	// leave it false: only <a href> links.
	Media bool
}

// Result is what a source page says about the target it links to.
type Result struct {
	Title     string          // the page's <title>, whitespace collapsed
	Type      mention.Type    // reply, like, repost, bookmark, rsvp or mention
	Author    mention.Author  // the h-entry's author, URLs absolute http(s)
	URL       string          // the h-entry's u-url, else the source URL
	Published time.Time       // the h-entry's published date, or zero
	Name      string          // the h-entry's title, else the page's <title>
	Content   mention.Content // sanitised content; without h-entry, the text around the link
	Excerpt   string          // plain text of about 300 characters for a list of mentions
	RSVP      string          // yes, no, maybe or interested, with Type rsvp
	// Text is the source's readable text (all of it, not only the
	// h-entry's), for Overlap with the target's text: a scraper copies the
	// target's words wherever its template puts them. It is at most about
	// as long as the document and is not part of a mention.
	Text string
}

// Source decides whether doc, the source page fetched from sourceURL, links
// to target, and reads what it says. It returns an error wrapping ErrNoLink
// when no element links to the target (see the package documentation for
// what counts), and ErrTarget when target is not an absolute http(s) URL.
// A nil sourceURL is allowed: then only absolute hrefs (or a <base href>)
// resolve. Source is safe for concurrent use.
func Source(doc []byte, sourceURL *url.URL, target string, opts Options) (*Result, error) {
	name := "source"
	if sourceURL != nil {
		name = sourceURL.String()
	}
	tu := linkurl.Parse(target)
	if tu == nil {
		return nil, fmt.Errorf("check %s for a link to %q: %w", name, target, ErrTarget)
	}
	targetKey := linkurl.Key(tu)
	p := scan(doc, opts.Media)
	base := linkurl.Base(sourceURL, p.base, p.haveBase)
	link, ok := p.find(base, targetKey)
	if !ok {
		return nil, fmt.Errorf("check %s for a link to %s: %w", name, target, ErrNoLink)
	}

	r := &Result{
		Title: clipRunes(p.title, maxName),
		Type:  mention.Mentions,
		Text:  string(p.text),
	}
	if sourceURL != nil {
		_, r.URL = linkurl.Resolve(nil, sourceURL.String())
	}
	ctx := p.context(link)
	if mayHaveEntry(doc) {
		if data := parseMF2(doc, sourceURL); data != nil {
			if e, ok := pickEntry(data, base, target, targetKey); ok {
				r.fromEntry(e, data, base, sourceURL, target, ctx)
				return r, nil
			}
		}
	}
	// No h-entry: what WordPress shows of a pingback.
	r.Name = r.Title
	r.Excerpt = wrapContext(ctx)
	r.Content.Text = r.Excerpt
	return r, nil
}

// fromEntry fills r from the h-entry e; ctx is the text around the link.
func (r *Result) fromEntry(e entry, data *microformats.Data, base, sourceURL *url.URL, target, ctx string) {
	m := e.mf
	r.Type, r.RSVP = typeOf(m, target)

	if a, ok := authorOf(m, base); ok {
		r.Author = a
	} else if e.feed != nil {
		r.Author, _ = authorOf(e.feed, base)
	}
	if r.Author == (mention.Author{}) {
		r.Author, _ = pageCard(data, base, sourceURL)
	}

	// The entry's own URL, unless it is the target: a bare
	// <div class="h-entry"><a href="TARGET">…</a></div> implies its only
	// link as its url.
	if u := absURL(base, firstString(m.Properties["url"])); u != "" && !linkurl.Same(u, target) {
		r.URL = u
	}
	r.Published = parseTime(firstString(m.Properties["published"]))

	contentHTML, contentText := contentOf(m)
	if contentHTML != "" {
		r.Content.HTML = sanitize(contentHTML)
		r.Content.Text = textOf(r.Content.HTML)
	} else {
		r.Content.Text = clipBytes(collapse(contentText), maxText)
	}

	// A name is a title only when the entry has content or a summary that
	// does not start with it (post type discovery): a note's name, implied
	// from its text, is that text, so it becomes the content.
	name := collapse(firstString(m.Properties["name"]))
	summary := collapse(firstString(m.Properties["summary"]))
	r.Name = r.Title
	switch {
	case name == "":
	case r.Content.Text == "" && summary == "":
		r.Content.Text = clipBytes(name, maxText)
	case !strings.HasPrefix(r.Content.Text, name) && !strings.HasPrefix(summary, name):
		r.Name = clipRunes(name, maxName)
	}

	// The excerpt: the author's summary; else a short content whole; else
	// the text around the link when it lies in the content (a long post's
	// opening rarely concerns the target, the sentence with the link does);
	// else the content's start.
	text := r.Content.Text
	switch {
	case summary != "":
		r.Excerpt = clipRunes(summary, maxExcerpt)
	case text != "" && utf8.RuneCountInString(text) <= maxExcerpt:
		r.Excerpt = text
	case ctx != "" && (text == "" || strings.Contains(text, ctx)):
		r.Excerpt = wrapContext(ctx)
	default:
		r.Excerpt = clipRunes(text, maxExcerpt)
	}
}

// Apply copies what the source says into m: Type, Author, URL, Published,
// Name, Content, Excerpt and RSVP, all of them, so a re-verified source
// that dropped its author or content drops them from the mention too. It
// never touches what the receiver owns: ID, Source, Target, Protocol,
// State, Reason, the times and ClientIP.
func (r *Result) Apply(m *mention.Mention) {
	m.Type = r.Type
	if m.Type == "" {
		m.Type = mention.Mentions
	}
	m.Author = r.Author
	m.URL = r.URL
	m.Published = r.Published
	m.Name = r.Name
	m.Content = r.Content
	m.Excerpt = r.Excerpt
	m.RSVP = r.RSVP
}

// Text returns the readable text of a page's content region, the region
// the sender reads links from (renderer.Text: the h-entry's e-content, else
// the article, main or body without navigation, header, footer, asides and
// comments). The receiver gives it the TARGET page: that text is what a
// scraper copies, and Overlap compares it with the source's Result.Text.
// pageURL names the page; the text does not depend on it.
func Text(doc []byte, pageURL *url.URL) string {
	t, _ := renderer.Text(doc, pageURL, nil) // no selector, so no error
	return t
}
