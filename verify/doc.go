// Package verify owns the receiver's judgement of a source page: whether it
// links to a target, and what it says about it. The receiver fetches the
// source (redirects, size cap, the private-address guard) and hands the
// bytes here; [Source] returns the verdict and a [Result], and
// [Result.Apply] copies it into a mention.
//
// # What counts as a link
//
// An <a href> (and, for Webmention with [Options].Media, an <img>,
// <audio> or <source> src, or a <video> src or poster) whose URL, resolved
// against the source URL and the page's first <base href>, names the
// target under linkurl's rules: scheme and host case, default ports, a
// trailing slash or index.html, and fragments make no difference. Only
// real elements count, found with the golang.org/x/net/html tokenizer as a
// browser would: not a URL in a comment, in <script>, <style>,
// <textarea>, <noscript> or <template> content, in another attribute, or
// in plain text. A document cut short (the receiver reads at most 1 MiB)
// is read up to the cut: a link past it, or whose tag the cut splits, is
// not there.
//
// # What the source says
//
// When the page has an h-entry (microformats2, or microformats1 hentry as
// WordPress themes write it, read with willnorris.com/go/microformats), the
// entry used is the first whose in-reply-to, like-of, repost-of or
// bookmark-of names the target or whose content links to it, else the
// page's first. From it come:
//
//   - Type, by post type discovery restricted to the target: an rsvp
//     (yes, no, maybe, interested) on a reply to the target, else a reply,
//     repost, like or bookmark of the target, else a mention.
//   - Author: the entry's author property (an h-card's name, url and
//     photo, or a string that is a URL or a name); else its h-feed's
//     author; else the page's top-level h-card whose url is on the source's
//     host. This is the simple end of the authorship spec: no fetching of
//     author pages, no rel=author.
//   - URL: the entry's u-url (unless it is the target), else the source.
//   - Published: the ISO 8601 forms microformats dates come in.
//   - Name: the entry's p-name when it is a title: the entry has content
//     or a summary, and neither starts with the name. Otherwise the name is
//     the entry's text (a note's name is implied from its text) and becomes
//     Content.Text when there is no content, and Name is the <title>.
//   - Content: the e-content sanitised, and as plain text.
//   - Excerpt: the p-summary; else the content when it is short; else the
//     text around the link when it is in the content; else the content's
//     start.
//
// Without an h-entry the source is shown as WordPress shows a pingback:
// Name is the <title>, and Excerpt and Content.Text are the text around
// the link: its paragraph, up to 100 characters each side, cut at words,
// between "[…]" marks.
//
// # Sanitising
//
// Content HTML keeps text structure, links and images, and nothing that
// runs or restyles: no script, style, event handlers, frames, forms,
// objects, classes or ids; URLs must be absolute http(s), so no
// javascript: or data: (github.com/microcosm-cc/bluemonday). Links get
// rel="nofollow ugc". Sizes are capped on rune boundaries, the HTML at a
// tag boundary with its elements closed: content HTML 64 KiB, content text
// 16 KiB, excerpt and names 300 characters. Every string is valid UTF-8.
//
// # Scrapers
//
// A scraper republishes a post with a link back, and sends the pingback so
// the copy looks endorsed. [Overlap] measures how much of the target's
// text ([Text] of the target page) the source repeats, as the share of the
// target's five-word shingles found in the source's text
// ([Result].Text): a copy scores near 1, a post quoting a paragraph low,
// an unrelated page near 0. [DefaultScraperThreshold] separates them on
// the Hugo docs corpus (TestOverlapCorpus; the numbers are in its doc).
//
// Package verify never fetches, stores or moderates: it makes no request,
// reads no file, and leaves what to do with a verdict (and an Overlap
// score) to the receiver and its moderation rules.
package verify
