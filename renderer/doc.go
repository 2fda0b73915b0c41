// Package renderer is the HTML layer of hugo-pingback: HTML in, links out;
// tags in.
//
// Links out (extract*.go). [Extract] reads one built page and returns its
// kind (a single page, a list page, or a Hugo alias), its title, the
// outbound links of its content region and a plain-text excerpt. [Links]
// does the same for an HTML fragment such as Hugo's rendered .Content.
// The content region is chosen by a fixed chain (the first
// `.h-entry .e-content`, else the first `.e-content`, else the first
// <article>, else <main> or [role=main], else <body> without its
// <nav>, <header>, <footer> and <aside>), computed in one streaming pass of
// the golang.org/x/net/html tokenizer without building a tree; a CSS
// selector (Options.Content) replaces the chain and takes the slower
// html.Parse path. Only <a href> elements count; links are resolved against
// the page URL and <base href>, reduced to http(s) without a fragment,
// de-duplicated, and marked (not dropped) when their rel or class says they
// must not be notified.
//
// Tags in (inject*.go). Inject splices the receiver <link> tags into a page
// without re-rendering it.
//
// The package never reads files, walks directories or touches the network:
// callers hand it bytes and URLs. It does not decide which pages are
// sources (it reports the Kind; the caller skips lists and aliases) and does
// not filter self-pings (that needs the site's origin, which the caller knows).
package renderer
