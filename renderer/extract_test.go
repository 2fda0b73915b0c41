package renderer

import (
	"bytes"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

const pageURL = "https://blog.example.org/posts/hello/"

// defaultOpts are the configuration defaults the sender passes.
var defaultOpts = &Options{SkipRels: []string{"nofollow", "ugc", "sponsored"}, SkipClasses: []string{"no-pingback"}}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// show renders links as "URL" or "URL !skip" for compact comparisons.
func show(links []Link) []string {
	out := []string{}
	for _, l := range links {
		s := l.URL
		if l.Skip != "" {
			s += " !" + l.Skip
		}
		out = append(out, s)
	}
	return out
}

// page wraps body content in a page with full site chrome around it.
func page(content string) string {
	return `<!DOCTYPE html><html><head><title>Hello</title>
<link rel="stylesheet" href="/css/site.css"><script>var x = '<a href="https://script.example/">';</script></head>
<body><header><nav><a href="/">Home</a> <a href="https://github.example/me">GitHub</a></nav></header>
` + content + `
<aside><a href="https://blogroll.example/">Friend</a></aside>
<footer><a href="https://hugo.example/">Powered by Hugo</a></footer></body></html>`
}

func TestExtractLinks(t *testing.T) {
	tests := []struct {
		name   string
		html   string
		opts   *Options
		want   []string
		region string
	}{
		// The preferred region: an e-content inside an h-entry; nav, aside and footer stay out.
		{"h-entry e-content", page(`<article class="h-entry"><h1 class="p-name"><a href="https://title.example/">T</a></h1>
<div class="e-content"><p>See <a href="https://a.example/x">x</a>.</p></div>
<footer><a href="https://share.example/">share</a></footer></article>`), nil,
			[]string{"https://a.example/x"}, "h-entry e-content"},
		// An .h-entry .e-content wins over an earlier lone .e-content.
		{"h-entry e-content beats earlier e-content", page(`<div class="e-content"><a href="https://first.example/">1</a></div>
<div class="h-entry"><div class="e-content"><a href="https://second.example/">2</a></div></div>`), nil,
			[]string{"https://second.example/"}, "h-entry e-content"},
		// Only the first matching region counts.
		{"first h-entry only", page(`<div class="h-entry"><div class="e-content"><a href="https://one.example/">1</a></div></div>
<div class="h-entry"><div class="e-content"><a href="https://two.example/">2</a></div></div>`), nil,
			[]string{"https://one.example/"}, "h-entry e-content"},
		// An e-content on the h-entry element itself is not inside an h-entry.
		{"e-content on the h-entry itself", page(`<div class="h-entry e-content"><a href="https://self.example/">x</a></div>`), nil,
			[]string{"https://self.example/"}, "e-content"},
		// A lone e-content, without h-entry.
		{"e-content", page(`<main><p><a href="https://main.example/">m</a></p><section class="post e-content"><a href="https://ec.example/">e</a></section></main>`), nil,
			[]string{"https://ec.example/"}, "e-content"},
		// Classes match by token: Tailwind h-full, e-contents and my-h-entry are not microformats.
		{"class tokens not substrings", page(`<div class="h-full my-h-entry"><div class="e-contents"><a href="https://tw.example/">tw</a></div></div>
<article><a href="https://art.example/">a</a></article>`), nil,
			[]string{"https://art.example/"}, "article"},
		// The first <article>; its header, footer and nav are chrome.
		{"article without its chrome", page(`<article><header><nav><a href="/docs/">Docs</a></nav><h1>T</h1></header>
<p><a href="https://in.example/">in</a></p><footer><a href="https://github.example/edit">Edit</a></footer></article>`), nil,
			[]string{"https://in.example/"}, "article"},
		// A comment thread inside the article is not content.
		{"comments inside article", page(`<article><p><a href="https://post.example/">p</a></p>
<section id="comments"><article class="comment"><a href="https://commenter.example/">me</a></article></section>
<div class="comments"><a href="https://commenter2.example/">me2</a></div></article>`), nil,
			[]string{"https://post.example/"}, "article"},
		// <main> when there is no article.
		{"main", page(`<main><p><a href="https://m.example/">m</a></p></main><div><a href="https://out.example/">o</a></div>`), nil,
			[]string{"https://m.example/"}, "main"},
		// [role=main] counts as main.
		{"role main", page(`<div role="main"><a href="https://rm.example/">m</a></div><div><a href="https://out.example/">o</a></div>`), nil,
			[]string{"https://rm.example/"}, "main"},
		// An article after <main> is still the first article: it beats main.
		{"article after main", page(`<main><div class="h-entry"><a href="https://m.example/">m</a></div></main><article><a href="https://a.example/">a</a></article>`), nil,
			[]string{"https://a.example/"}, "article"},
		// The body fallback leaves out nav, header, footer, aside and their landmark roles.
		{"body without chrome", page(`<div><a href="https://b.example/">b</a></div>
<div role="navigation"><a href="https://rn.example/">n</a></div><div role="banner"><a href="https://rb.example/">b</a></div>
<div role="contentinfo"><a href="https://rc.example/">c</a></div><div role="complementary"><a href="https://rx.example/">x</a></div>
<p><a href="https://b2.example/">b2</a></p>`), nil,
			[]string{"https://b.example/", "https://b2.example/"}, "body"},
		// Relative hrefs resolve against the page URL; fragments are dropped.
		{"relative and fragments", page(`<article><a href="../other/">o</a> <a href="/about/#me">a</a> <a href="img.png">i</a>
<a href="//cdn.example/x">c</a> <a href="?page=2">q</a> <a href="https://f.example/p#sec">f</a></article>`), nil,
			[]string{"https://blog.example.org/posts/other/", "https://blog.example.org/about/",
				"https://blog.example.org/posts/hello/img.png", "https://cdn.example/x",
				"https://blog.example.org/posts/hello/?page=2", "https://f.example/p"}, "article"},
		// Links to the page itself are dropped: "", "#top", "./", "index.html", the full URL with a fragment.
		{"self links", page(`<article><a href="">e</a><a href="#top">t</a><a href="./">d</a><a href="index.html">i</a>
<a href="https://BLOG.example.org/posts/hello/#x">u</a><a href="https://blog.example.org/posts/hello">no slash</a></article>`), nil,
			[]string{"https://blog.example.org/posts/hello"}, "article"},
		// Entities in hrefs are decoded the way the tokenizer decodes attributes (&copy= stays literal).
		{"entities", page(`<article><a href="https://e.example/?a=1&amp;b=2">1</a><a href="https://e.example/?x=1&copy=2">2</a>
<a href="https://e.example/&#x61;">3</a></article>`), nil,
			[]string{"https://e.example/?a=1&b=2", "https://e.example/?x=1&copy=2", "https://e.example/a"}, "article"},
		// Whitespace around an href is trimmed; tabs and newlines inside are removed.
		{"whitespace", page("<article><a href=\"  https://w.example/a \n\">1</a><a href=\"https://w.example/b\n/c\">2</a></article>"), nil,
			[]string{"https://w.example/a", "https://w.example/b/c"}, "article"},
		// Invalid URLs are skipped.
		{"invalid", page(`<article><a href="http://[::1">1</a><a href="https://x.example/%zz">2</a><a href="http://">3</a>
<a href="https://ok.example/">4</a></article>`), nil,
			[]string{"https://ok.example/"}, "article"},
		// Only http(s): mailto, javascript, tel, data, ftp and unknown schemes are not links.
		{"schemes", page(`<article><a href="mailto:a@b.example">m</a><a href="javascript:void(0)">j</a><a href="tel:+1">t</a>
<a href="data:text/html,x">d</a><a href="ftp://f.example/">f</a><a href="HTTPS://Up.example/">u</a><a href="http:opaque">o</a></article>`), nil,
			[]string{"https://Up.example/"}, "article"},
		// rel nofollow, ugc and sponsored (any case) and class no-pingback are kept but marked.
		{"skip marks", page(`<article><a rel="NoFollow" href="https://n.example/">n</a><a rel="ugc noopener" href="https://u.example/">u</a>
<a rel="sponsored" href="https://s.example/">s</a><a class="btn no-pingback" href="https://c.example/">c</a>
<a rel="noopener" href="https://ok.example/">ok</a></article>`), defaultOpts,
			[]string{"https://n.example/ !rel=nofollow", "https://u.example/ !rel=ugc", "https://s.example/ !rel=sponsored",
				"https://c.example/ !class=no-pingback", "https://ok.example/"}, "article"},
		// Without skip options nothing is marked.
		{"no skip options", page(`<article><a rel="nofollow" class="no-pingback" href="https://n.example/">n</a></article>`), nil,
			[]string{"https://n.example/"}, "article"},
		// Duplicates: the first occurrence keeps its place, a notifiable occurrence wins over a skipped one.
		{"dedupe", page(`<article><a rel="nofollow" href="https://d.example/">1</a><a href="https://o.example/">o</a>
<a href="https://d.example/#frag">2</a><a href="https://o.example/" rel="nofollow">3</a></article>`), defaultOpts,
			[]string{"https://d.example/", "https://o.example/"}, "article"},
		// Comments, scripts, styles, templates, noscript and textarea hold no links.
		{"inert markup", page(`<article><!-- <a href="https://comment.example/">c</a> -->
<script>document.write('<a href="https://script.example/">s</a>')</script><style>a[href="https://style.example/"]{}</style>
<template><a href="https://template.example/">t</a><template><a href="https://nested.example/">n</a></template></template>
<noscript><a href="https://noscript.example/">n</a></noscript><textarea><a href="https://textarea.example/">x</a></textarea>
<a href="https://real.example/">r</a></article>`), nil,
			[]string{"https://real.example/"}, "article"},
		// <a> inside inline SVG counts.
		{"svg link", page(`<article><svg viewBox="0 0 10 10"><a href="https://svg.example/"><circle r="5"/></a></svg><path d="M0"/></article>`), nil,
			[]string{"https://svg.example/"}, "article"},
		// Only <a href>: <link>, <area>, <img src>, <a> without href and <a name> are not outbound links.
		{"only a href", page(`<article><a name="x">n</a><a>no href</a><area href="https://area.example/"><img src="https://img.example/x.png">
<link rel="x" href="https://link.example/"><A HREF="https://upper.example/">U</A><a href=https://unquoted.example/x>u</a></article>`), nil,
			[]string{"https://upper.example/", "https://unquoted.example/x"}, "article"},
		// The first of duplicate href attributes wins, as in browsers.
		{"duplicate attributes", page(`<article><a href="https://first.example/" href="https://second.example/">d</a></article>`), nil,
			[]string{"https://first.example/"}, "article"},
		// Minified pages omit </p> and </li>; the region still ends at </article>.
		{"omitted end tags", `<!doctype html><html><head><title>t</title><body><nav><ul><li><a href=/>h<li><a href=https://nav.example/>n</ul></nav>
<main><article><p>one <a href=https://p1.example/>1</a><p>two<ul><li><a href=https://li.example/>l</a><li>x</ul><p>three</article>
<aside><p><a href=https://aside.example/>a</a></aside><p><a href=https://after.example/>z</a></main>`, nil,
			[]string{"https://p1.example/", "https://li.example/"}, "article"},
		// Stray and mismatched end tags do not close the region early.
		{"stray end tags", page(`</div></article></main><article></span></p><div><a href="https://s1.example/">1</a></div></div></div>
<p><a href="https://s2.example/">2</a></p></article><p><a href="https://out.example/">o</a></p>`), nil,
			[]string{"https://s1.example/", "https://s2.example/"}, "article"},
		// Nested divs inside an e-content do not end it; an unclosed div is closed by its ancestor's end tag.
		{"nested and unclosed divs", page(`<article class="h-entry"><div class="e-content"><div><div><a href="https://n1.example/">1</a></div></div>
<p><a href="https://n2.example/">2</a></p><div>unclosed</article><p><a href="https://out.example/">o</a></p>`), nil,
			[]string{"https://n1.example/", "https://n2.example/"}, "h-entry e-content"},
		// A paragraph that is the e-content ends where the parser ends it: at the next block.
		{"p e-content", page(`<div class="h-entry"><p class="e-content">note <a href="https://note.example/">n</a><div><a href="https://not.example/">x</a></div></div>`), nil,
			[]string{"https://note.example/"}, "h-entry e-content"},
		// The reply context of the h-entry (in-reply-to, like-of, repost-of, bookmark-of) counts with its e-content.
		{"reply context", page(`<div class="h-entry"><p>Re: <a class="u-in-reply-to" href="https://orig.example/1">orig</a>
<a class="p-author" href="https://me.example/">me</a></p><div class="e-content"><a href="https://in.example/">in</a></div>
<footer>Liked <a class="x u-like-of" href="https://liked.example/">l</a> <a class="u-repost-of" href="https://rp.example/">r</a>
<a class="u-bookmark-of" href="https://bm.example/">b</a> <a class="u-in-reply-to-not" href="https://no.example/">n</a></footer></div>
<div><a class="u-in-reply-to" href="https://outside.example/">outside any h-entry</a></div>`), nil,
			[]string{"https://orig.example/1", "https://in.example/", "https://liked.example/", "https://rp.example/", "https://bm.example/"}, "h-entry e-content"},
		// Reply contexts of a second h-entry, or of an h-entry without e-content, do not count.
		{"reply context elsewhere", page(`<div class="h-entry"><a class="u-in-reply-to" href="https://r1.example/">r</a><article><p><a href="https://body.example/">b</a></p></article></div>`), nil,
			[]string{"https://body.example/"}, "article"},
		// "/>" on an HTML element is ignored, as by the parser: <article/> opens an article.
		{"self-closing html element", `<body><article/><a href="https://in.example/">in</a></body>`, nil,
			[]string{"https://in.example/"}, "article"},
		// A misnested formatting end tag does not close the block opened inside it (adoption agency).
		{"misnested formatting", page(`<p><i><nav></i><a href="https://navlink.example/">n</a></nav><a href="https://b.example/">b</a>`), nil,
			[]string{"https://b.example/"}, "body"},
		// A link can itself be the e-content (or chrome).
		{"link is the region", page(`<a class="e-content" href="https://self.example/">s</a><a role="navigation" href="https://x.example/">x</a>`), nil,
			[]string{"https://self.example/"}, "e-content"},
		// <base href> (relative to the page, first one wins) applies to every link, even earlier ones.
		{"base href", `<html><body><article><a href="x">x</a></article><base href="/root/sub/"><base href="https://other.example/"></body></html>`, nil,
			[]string{"https://blog.example.org/root/sub/x"}, "article"},
	}
	u := mustURL(t, pageURL)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Extract([]byte(tt.html), u, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := show(p.Links); !slices.Equal(got, tt.want) {
				t.Errorf("links:\n got %q\nwant %q", got, tt.want)
			}
			if p.Region != tt.region {
				t.Errorf("region = %q, want %q", p.Region, tt.region)
			}
			// The early exit must never change the result.
			fullScan = true
			q, _ := Extract([]byte(tt.html), u, tt.opts)
			fullScan = false
			if got, want := show(q.Links), show(p.Links); !slices.Equal(got, want) || q.Region != p.Region || q.Excerpt != p.Excerpt || q.Kind != p.Kind {
				t.Errorf("full scan differs: %q %s vs %q %s", got, q.Region, want, p.Region)
			}
		})
	}
}

func TestExtractKind(t *testing.T) {
	tests := []struct {
		name string
		html string
		want Kind
	}{
		// One article: a single page.
		{"single article", page(`<article><p>x</p></article>`), KindSingle},
		// No article, no h-entry: still a single page.
		{"plain page", page(`<p>x</p>`), KindSingle},
		// Several top-level articles: a list.
		{"articles list", page(`<article>1</article><article>2</article>`), KindList},
		// Several top-level h-entries (on li, as many themes do): a list.
		{"h-entry list", page(`<ul><li class="h-entry">1<li class="h-entry">2</ul>`), KindList},
		// Comments as h-entries or articles nested in the post are not entries of a list.
		{"nested entries", page(`<article class="h-entry"><div class="e-content">x</div><section><article class="h-entry">c1</article><article class="h-entry">c2</article></section></article>`), KindSingle},
		// One h-entry decides, whatever other <article> elements (related posts) the page has.
		{"one h-entry and related articles", page(`<main class="h-entry"><div class="e-content">x</div></main><article>rel 1</article><article>rel 2</article>`), KindSingle},
		// An h-entry on <body> with comment h-entries inside: single.
		{"body h-entry", `<html><body class="h-entry"><div class="e-content">x</div><div class="h-entry">c</div><div class="h-entry">c</div></body></html>`, KindSingle},
		// Cards that are links, as some list templates write them.
		{"h-entry links", page(`<main><a class="h-entry" href="/p1/"><div class="e-content">1</div></a><a class="h-entry" href="/p2/"><div class="e-content">2</div></a></main>`), KindList},
		// An unmarked page (no article, no h-entry) that only lists pages of
		// its own host: an archive (PaperMod's), a list of terms.
		{"own-site index in main", page(`<main><h1>Archive</h1><div class="archive-entry"><a href="/posts/a/"></a></div><div class="archive-entry"><a href="https://blog.example.org/posts/b/">b</a></div></main>`), KindList},
		{"own-site index in body", page(`<h1>Tags</h1><ul><li><a href="/tags/go/">go</a></ul>`), KindList},
		// One link elsewhere and it is a page of its own.
		{"own links and one elsewhere", page(`<main><a href="/posts/a/">a</a><a href="https://other.example/">o</a></main>`), KindSingle},
		// A marked post linking only to its own site is still a post.
		{"article with own links", page(`<article><a href="/posts/a/">a</a></article>`), KindSingle},
		// No links: nothing to say it lists anything.
		{"unmarked page without links", page(`<main><p>x</p></main>`), KindSingle},
		// Hugo's alias page.
		{"alias", `<!DOCTYPE html><html lang="en-us"><head><title>https://blog.example.org/posts/new/</title><link rel="canonical" href="https://blog.example.org/posts/new/"><meta name="robots" content="noindex"><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=https://blog.example.org/posts/new/"></head></html>`, KindAlias},
		// http-equiv compares case-insensitively.
		{"alias upper case", `<HTML><HEAD><META HTTP-EQUIV="Refresh" CONTENT="0; URL=/x/"></HEAD></HTML>`, KindAlias},
		// A refresh without a URL only reloads the page: not an alias.
		{"auto reload", `<html><head><meta http-equiv="refresh" content="300"></head><body><article>x</article></body></html>`, KindSingle},
		// The URL may come without "url=".
		{"refresh without url=", `<meta http-equiv="refresh" content=" 0 , https://new.example/">`, KindAlias},
		// Other http-equiv values are not redirects.
		{"content-type meta", `<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body><article>x</article></body></html>`, KindSingle},
		// A meta refresh in a template is inert.
		{"template meta", `<html><body><template><meta http-equiv="refresh" content="0;url=/x/"></template><article>x</article></body></html>`, KindSingle},
	}
	u := mustURL(t, pageURL)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Extract([]byte(tt.html), u, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != tt.want {
				t.Errorf("kind = %s, want %s", p.Kind, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindSingle: "single", KindList: "list", KindAlias: "alias", Kind(9): "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestExtractTextAndTitle(t *testing.T) {
	long := strings.Repeat("word ", 80)
	tests := []struct {
		name     string
		html     string
		title    string
		excerpt  string
		linkText []string
	}{
		// Title and link text have their whitespace collapsed; the excerpt is the region's text only.
		{"collapse", `<html><head><title>
  Hello   &amp; world </title></head><body><nav>Menu</nav><article><p>First   paragraph
	with <a href="https://a.example/">a
 link</a>.</p><p>Second&nbsp;one.</p><script>var hidden = 1;</script></article></body></html>`,
			"Hello & world", "First paragraph with a link. Second one.", []string{"a link"}},
		// Block elements separate words; inline ones do not.
		{"blocks", `<article><h1>Title</h1><p>a<em>b</em>c</p><ul><li>one</li><li>two</li></ul></article>`,
			"", "Title abc one two", nil},
		// An image's alt is not link text (WordPress wants text in the link to accept a pingback).
		{"img alt", `<article><a href="https://i.example/"><img src="x.png" alt="A &amp; B"></a><a href="https://j.example/"><img alt="alt"> text</a></article>`,
			"", "text", []string{"", "text"}},
		// A long text is cut on a word boundary near 250 characters, with an ellipsis.
		{"cut", `<article><p>` + long + `</p></article>`,
			"", strings.TrimSpace(strings.Repeat("word ", 50)) + "…", nil},
		// Multi-byte text is cut on characters, not bytes.
		{"runes", `<article><p>` + strings.Repeat("été ", 100) + `</p></article>`,
			"", strings.TrimSpace(strings.Repeat("été ", 62)) + "…", nil},
	}
	u := mustURL(t, pageURL)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Extract([]byte(tt.html), u, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.title {
				t.Errorf("title = %q, want %q", p.Title, tt.title)
			}
			if p.Excerpt != tt.excerpt {
				t.Errorf("excerpt = %q, want %q", p.Excerpt, tt.excerpt)
			}
			var texts []string
			for _, l := range p.Links {
				texts = append(texts, l.Text)
			}
			if !slices.Equal(texts, tt.linkText) {
				t.Errorf("link texts = %q, want %q", texts, tt.linkText)
			}
		})
	}
}

func TestExtractLinkFields(t *testing.T) {
	src := page(`<article><a rel="NoFollow  Noopener" href=" ../x/#frag ">The   <b>X</b></a></article>`)
	p, err := Extract([]byte(src), mustURL(t, pageURL), defaultOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := Link{URL: "https://blog.example.org/posts/x/", Href: " ../x/#frag ", Text: "The X", Rel: []string{"nofollow", "noopener"}, Skip: "rel=nofollow"}
	if len(p.Links) != 1 {
		t.Fatalf("links = %+v", p.Links)
	}
	got := p.Links[0]
	if got.URL != want.URL || got.Href != want.Href || got.Text != want.Text || !slices.Equal(got.Rel, want.Rel) || got.Skip != want.Skip {
		t.Errorf("link = %+v\nwant %+v", got, want)
	}
}

func TestExtractNilPageURL(t *testing.T) {
	p, err := Extract([]byte(`<article><a href="/rel/">r</a><a href="https://abs.example/">a</a></article>`), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := show(p.Links), []string{"https://abs.example/"}; !slices.Equal(got, want) {
		t.Errorf("links = %q, want %q (relative links need a page URL)", got, want)
	}
}

func TestExtractSelector(t *testing.T) {
	src := page(`<article class="h-entry"><div class="e-content"><a href="https://ec.example/">e</a></div>
<div class="post-body"><p>Body <a href="https://pb1.example/">one</a></p><div class="post-body"><a href="https://pb2.example/">two</a></div></div>
<div class="post-body"><a href="https://pb3.example/" rel="ugc">three</a><script>'<a href="https://s.example/">'</script><template><a href="https://t.example/">t</a></template></div></article>`)
	u := mustURL(t, pageURL)
	opts := *defaultOpts
	opts.Content = "div.post-body"
	p, err := Extract([]byte(src), u, &opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://pb1.example/", "https://pb2.example/", "https://pb3.example/ !rel=ugc"}; !slices.Equal(show(p.Links), want) {
		t.Errorf("links = %q, want %q", show(p.Links), want)
	}
	if p.Region != "selector" || p.Kind != KindSingle || p.Title != "Hello" {
		t.Errorf("region, kind, title = %q, %s, %q", p.Region, p.Kind, p.Title)
	}
	if p.Excerpt != "Body one two three" {
		t.Errorf("excerpt = %q", p.Excerpt)
	}
	if p.Links[1].Text != "two" {
		t.Errorf("link text = %q", p.Links[1].Text)
	}
	for _, l := range p.Links {
		if l.Offset < 0 || !strings.HasPrefix(src[l.Offset:], `<a href="`+l.Href) {
			t.Errorf("offset %d of %s does not point at its <a>", l.Offset, l.URL)
		}
	}
	// When the tree builder clones a misnested <a>, offsets are unknown (-1), never wrong.
	p, err = Extract([]byte(`<div class="post-body"><a href="https://x.example/"><p>clone</a></div>`), u, &opts)
	if err != nil || len(p.Links) != 1 || p.Links[0].Offset != -1 {
		t.Errorf("misnested <a>: %+v, %v", p.Links, err)
	}

	// A selector that matches nothing yields no links (not the default chain).
	opts.Content = "#missing"
	p, err = Extract([]byte(src), u, &opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Links) != 0 || p.Region != "selector" {
		t.Errorf("unmatched selector: region %q, links %q", p.Region, show(p.Links))
	}
}

func TestInvalidSelector(t *testing.T) {
	for _, sel := range []string{"div[", "..x", "a:nosuchpseudo"} {
		err := CompileSelector(sel)
		if err == nil {
			t.Errorf("CompileSelector(%q) = nil", sel)
			continue
		}
		if !errors.Is(err, ErrInvalidSelector) {
			t.Errorf("CompileSelector(%q) = %v, not ErrInvalidSelector", sel, err)
		}
		var se *SelectorError
		if !errors.As(err, &se) || se.Selector != sel || !strings.Contains(err.Error(), sel) {
			t.Errorf("CompileSelector(%q) = %v, want a *SelectorError naming it", sel, err)
		}
		if _, err := Extract([]byte(`<p>x</p>`), nil, &Options{Content: sel}); !errors.Is(err, ErrInvalidSelector) {
			t.Errorf("Extract with %q: err = %v", sel, err)
		}
	}
	for _, sel := range []string{"div.post-body", "article > .content, main", "#content p"} {
		if err := CompileSelector(sel); err != nil {
			t.Errorf("CompileSelector(%q) = %v", sel, err)
		}
	}
}

func TestLinksFragment(t *testing.T) {
	// Hugo's rendered .Content: every <a href> counts, chrome or not.
	frag := `<p>See <a href="https://a.example/">a</a> and <a href="../b/">b</a>.</p>
<nav><a href="https://nav.example/">n</a></nav><footer><a rel="sponsored" href="https://f.example/">f</a></footer>
<a href="#fn1">1</a><a href="mailto:x@y.example">m</a><a href="https://a.example/#again">a</a><!-- <a href="https://c.example/"> -->`
	links, err := Links(strings.NewReader(frag), mustURL(t, pageURL), defaultOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://a.example/", "https://blog.example.org/posts/b/", "https://nav.example/", "https://f.example/ !rel=sponsored"}
	if got := show(links); !slices.Equal(got, want) {
		t.Errorf("links = %q, want %q", got, want)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLinksReaderError(t *testing.T) {
	if _, err := Links(errReader{}, nil, nil); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

func TestEarlyExit(t *testing.T) {
	post := `<article class="h-entry"><div class="e-content"><a href="https://x.example/">x</a></div>`
	tests := []struct {
		name     string
		html     string
		mustRead string // the scan must read past this, which may still change the result
		stops    bool   // the scan stops before the end
	}{
		// After the h-entry's e-content closes, an aside and a footer cannot change the result.
		{"stops after the e-content", page(post + `</article>`), `</div>`, true},
		// After the article closes, when nothing later could beat it.
		{"stops after the article", page(`<article><p><a href="https://x.example/">x</a></p></article>`), `</article>`, true},
		// Another h-entry later could make the page a list.
		{"h-entry later", page(post+`</article>`) + `<div class="h-entry">`, `<div class="h-entry">`, false},
		// A later e-content would beat the article.
		{"e-content later", page(`<article>a</article><p>p</p><div class="e-content">b</div>`), `<div class="e-content">b</div>`, true},
		// A later article would make a page without h-entry a list.
		{"article later", page(`<article>a</article><ARTICLE>b</ARTICLE>`), `<ARTICLE>`, false},
		// A later article beats main, even on a page with an h-entry.
		{"article after main", page(`<main><div class="h-entry">x</div></main><p>p</p><article>a</article>`), `<article>a</article>`, true},
		// A later <base href> applies to every link.
		{"base later", page(post+`</article>`) + `<base href="/x/">`, `<base href="/x/">`, false},
		// A later meta refresh makes the page an alias.
		{"meta refresh later", page(post+`</article>`) + `<meta http-equiv="Refresh" content="0;url=/new/">`, `<meta http-equiv="Refresh" content="0;url=/new/">`, false},
		// Other metas (microdata) do not matter.
		{"microdata meta later", page(post+`</article>`) + `<meta itemprop="x" content="y">`, `</div>`, true},
		// A reply context may still follow inside the same h-entry.
		{"reply context later", page(post + `<a class="u-in-reply-to" href="https://r.example/">r</a></article>`), `</a></article>`, true},
		// Without a title yet, a later <title> matters.
		{"title later", `<body>` + post + `</article><title>T</title>`, `<title>T</title>`, false},
		// The body fallback needs the whole page.
		{"body region", page(`<p><a href="https://x.example/">x</a></p>`), `</html>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := new(scanner)
			s.reset(&Options{}, false, false)
			s.src = []byte(tt.html)
			s.run(html.NewTokenizer(bytes.NewReader(s.src)))
			need := strings.Index(tt.html, tt.mustRead) + len(tt.mustRead)
			if need < len(tt.mustRead) {
				t.Fatalf("%q not in the page", tt.mustRead)
			}
			if s.off < need {
				t.Errorf("stopped at %d, before %q ends at %d", s.off, tt.mustRead, need)
			}
			if stopped := s.off < len(s.src); stopped != tt.stops {
				t.Errorf("stopped at %d of %d bytes; want stopping early = %v", s.off, len(s.src), tt.stops)
			}
		})
	}
}

// TestExtractConcurrent runs Extract from several goroutines (scanners come
// from a pool) and expects the sequential results; run it with -race.
func TestExtractConcurrent(t *testing.T) {
	var inputs [][]byte
	for _, s := range []string{page(`<article><a href="/a/">a</a></article>`), page(`<div class="h-entry"><div class="e-content"><a href="https://b.example/">b</a></div></div>`),
		page(`<main><a href="../c/">c</a></main>`), page(`<p><a href="https://d.example/">d</a></p>`)} {
		inputs = append(inputs, []byte(s))
	}
	u := mustURL(t, pageURL)
	want := make([][]string, len(inputs))
	for i, in := range inputs {
		p, err := Extract(in, u, defaultOpts)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = show(p.Links)
	}
	errs := make(chan string, 8*len(inputs)*20)
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for r := 0; r < 20; r++ {
				for i, in := range inputs {
					p, err := Extract(in, u, defaultOpts)
					if err != nil || !slices.Equal(show(p.Links), want[i]) {
						errs <- strings.Join(show(p.Links), " ")
					}
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Extract gave %s", e)
	}
}
