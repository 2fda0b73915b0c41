// Package renderer is the HTML layer of hugo-pingback: HTML in, links out;
// tags in.
//
// # Links out
//
// [Extract] reads one built page and returns its [Kind], its title, the
// outbound links of its content and a plain-text excerpt (for Trackback).
// [Links] returns every link of an HTML fragment, such as Hugo's rendered
// .Content, under the same URL rules. [Text] returns the whole plain text of
// the content region Extract reads (the receiver compares it with a source's
// text to spot scrapers).
//
// Which part of a page is its content. By default the first of:
//
//  1. the first element with class e-content inside an element with class
//     h-entry (microformats2: the post's body);
//  2. the first .e-content;
//  3. the first <article>;
//  4. the first <main> or element with role="main";
//  5. the whole <body>.
//
// In rules 3 to 5, chrome inside the region is left out: <nav>, <header>,
// <footer>, <aside>, elements with role navigation, banner, contentinfo or
// complementary, and displayed comment threads (id="comments" or class
// "comments"). So menus, breadcrumbs, share buttons, blogrolls and
// comments are never sources. An e-content is taken whole: its author
// marked it as content. With rule 1, the reply context of the first
// h-entry (links with class u-in-reply-to, u-like-of, u-repost-of or
// u-bookmark-of) counts too, wherever it sits in the h-entry. Classes match
// by whole token (Tailwind's h-full is not h-entry). Options.Content, a CSS
// selector, replaces the chain: every element it matches is content.
//
// Which links count. Only <a href>; not <link>, <area> or <img>, nor
// anything inside comments, <template>, <script>, <style>, <noscript> or
// <textarea>. Hrefs are trimmed, entity-decoded as browsers do, resolved
// against the page URL and the first <base href>, and kept only when they
// are http(s) URLs with a host; the fragment is dropped; a link to the page
// itself (also dir/ versus dir/index.html) is dropped; duplicates are
// merged (first place kept, a notifiable occurrence wins). Links with
// rel nofollow, ugc or sponsored, or class no-pingback (Options.SkipRels,
// Options.SkipClasses) are kept with [Link].Skip set, so callers can report
// them without notifying.
//
// Which pages are sources is the caller's decision; Extract reports the
// facts: [KindAlias] for a page with <meta http-equiv="refresh"> that
// redirects to a URL (Hugo's alias pages), [KindList] for a page with more than one top-level .h-entry
// or, without any h-entry, more than one top-level <article> (entries
// nested in another entry or inside chrome, such as comments and related
// posts, do not count), or whose unmarked content (rules 4 and 5) links
// only to its own host (an archive, a list of terms), [KindSingle]
// otherwise.
//
// Speed. The default chain is computed in one streaming pass of the
// golang.org/x/net/html tokenizer, without building a tree: a small stack
// of open elements (with the parser's implied end tags, so minified pages
// without </p> or </li> are read right) records which candidate regions
// each link lies in, and the region is chosen at the end. The pass stops
// early once the preferred region has closed and the unread bytes cannot
// change the result. Only Options.Content uses html.Parse and cascadia.
//
// # Tags in
//
// Inject splices the receiver <link> tags into a page without re-rendering
// it (inject*.go).
//
// The package never reads files, walks directories or touches the network:
// callers hand it bytes and URLs. It does not filter self-pings (that needs
// the site's origin, which the caller knows).
package renderer
