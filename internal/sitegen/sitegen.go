// Package sitegen writes a deterministic synthetic built Hugo site (what
// `hugo` leaves in public/) for benchmarks and load tests.
//
// It owns only the shape of the generated HTML: realistic single pages of
// 15-25 KB with a head full of meta/link/script tags, a header with a nav
// menu, an <article class="h-entry"> whose <div class="e-content"> holds
// 3-10 content links, an aside blogroll and a footer, plus (optionally) the
// list pages, alias pages, 404.html, sitemap.xml, index.xml and CSS that a
// real build has around them. The same Options always produce the same
// bytes. It never reads an existing site, never touches the network (every
// generated host is under a reserved name such as .example or .test), and
// is not used by the tool itself.
package sitegen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// DefaultBaseURL is the base URL used when Options.BaseURL is empty.
const DefaultBaseURL = "https://blog.example.org/"

// Options says what to generate; the zero value (with Pages set) is usable.
type Options struct {
	// Pages is the number of single pages (posts) to write.
	Pages int
	// Seed makes different but still deterministic sites.
	Seed int64
	// BaseURL is the site's base URL, with a trailing slash; "" means DefaultBaseURL.
	BaseURL string
	// ListPages also writes the home page, paginated section lists, alias
	// pages, 404.html, sitemap.xml, index.xml and a stylesheet.
	ListPages bool
}

// Stats describes what Generate wrote.
type Stats struct {
	// Pages is the number of single pages (posts) written.
	Pages int
	// Files is the number of files written, all kinds.
	Files int
	// Bytes is the total size of the files written.
	Bytes int64
	// ContentLinks is the number of distinct outbound content links over all
	// single pages: what a correct extractor reports (skippable ones
	// included, links to the page itself such as footnote anchors excluded).
	ContentLinks int
}

// PostPath returns the slash-separated path, relative to the publish dir, of
// post number i (1-based): "posts/post-00001/index.html".
func PostPath(i int) string { return fmt.Sprintf("posts/post-%05d/index.html", i) }

// PostURLPath returns the URL path, relative to the base URL, of post i: "posts/post-00001/".
func PostURLPath(i int) string { return fmt.Sprintf("posts/post-%05d/", i) }

// Generate writes the site into dir (created if needed) and reports what it wrote.
func Generate(dir string, opts Options) (Stats, error) {
	var st Stats
	if opts.Pages < 0 {
		return st, errors.New("sitegen: negative page count")
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	g := &gen{dir: dir, base: base, opts: opts, st: &st}
	var buf strings.Builder
	buf.Grow(32 << 10)
	for i := 1; i <= opts.Pages; i++ {
		buf.Reset()
		n := g.post(&buf, i)
		st.ContentLinks += n
		if err := g.write(PostPath(i), buf.String()); err != nil {
			return st, err
		}
		st.Pages++
	}
	if opts.ListPages {
		if err := g.extras(); err != nil {
			return st, err
		}
	}
	return st, nil
}

type gen struct {
	dir  string
	base string
	opts Options
	st   *Stats
}

func (g *gen) write(rel, content string) error {
	p := filepath.Join(g.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("sitegen: %w", err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		return fmt.Errorf("sitegen: %w", err)
	}
	g.st.Files++
	g.st.Bytes += int64(len(content))
	return nil
}

// rng returns the generator for one page: independent of the page count, so
// post 7 is the same in a 10-page and a 10,000-page site.
func (g *gen) rng(kind, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.opts.Seed), uint64(kind)<<40|uint64(i)))
}

var words = strings.Fields(`the a of and to in is that it for on with as was by this be are from at or an
have not but had his they which one you were her all she there would their we him been has when who will more
no if out so said what up its about into than them can only other new some could time these two may then do
first any my now such like our over man me even most made after also did many before must through back years
where much your way well down should because each just those people how too little state good very make world
still own see men work long get here between both life being under never day same another know while last might
us great old year off come since against go came right used take three static site build deploy theme template
markdown shortcode partial render hook taxonomy section front matter permalink linkback pingback webmention
receiver endpoint discovery ledger feed archive syndication indieweb microformats comment reply mention blog
post article paper draft essay note bookmark quote photo garden stream timeline server client request response`)

var hostWords = strings.Fields(`alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy
rupert sybil trent victor walter xavier yolanda zoe notes journal garden field stack loop kernel static
pixel paper quill ember harbor meadow orbit prism tundra willow`)

var hostSuffixes = []string{".example", ".example.com", ".example.net", ".example.org", ".test", ".blog.example"}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func sentence(r *rand.Rand, b *strings.Builder, n int) {
	for j := 0; j < n; j++ {
		w := pick(r, words)
		if j == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteString(". ")
}

func phrase(r *rand.Rand, n int) string {
	var b strings.Builder
	for j := 0; j < n; j++ {
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pick(r, words))
	}
	return b.String()
}

func (g *gen) externalURL(r *rand.Rand, used map[string]bool) string {
	for {
		host := pick(r, hostWords) + pick(r, hostSuffixes)
		if r.IntN(3) == 0 {
			host = "www." + host
		}
		var u string
		switch r.IntN(5) {
		case 0:
			u = fmt.Sprintf("https://%s/", host)
		case 1:
			u = fmt.Sprintf("https://%s/%d/%02d/%s/", host, 2015+r.IntN(11), 1+r.IntN(12), strings.ReplaceAll(phrase(r, 3), " ", "-"))
		case 2:
			u = fmt.Sprintf("https://%s/posts/%s.html", host, strings.ReplaceAll(phrase(r, 2), " ", "-"))
		case 3:
			u = fmt.Sprintf("https://%s/?p=%d", host, 1+r.IntN(9999))
		default:
			u = fmt.Sprintf("http://%s/notes/%d", host, r.IntN(100000))
		}
		if !used[u] {
			used[u] = true
			return u
		}
	}
}

// post writes post i into b and returns its number of distinct content links.
func (g *gen) post(b *strings.Builder, i int) int {
	r := g.rng(1, i)
	title := phrase(r, 6)
	title = strings.ToUpper(title[:1]) + title[1:]
	self := g.base + PostURLPath(i)
	target := 15000 + r.IntN(10000)
	g.head(b, title, self, r)
	g.header(b)
	fmt.Fprintf(b, `<main id="main" class="site-main">
<article class="post h-entry" itemscope itemtype="https://schema.org/BlogPosting">
<header class="post-header">
<h1 class="post-title p-name" itemprop="headline">%s</h1>
<div class="post-meta"><time class="dt-published" datetime="2024-%02d-%02dT10:%02d:00Z">%s</time>
by <a class="p-author h-card" href="%sabout/">Sam Writer</a></div>
</header>
<div class="post-content e-content" itemprop="articleBody">
`, title, 1+i%12, 1+i%28, i%60, "2024", g.base)

	// The tail (aside, footer) is about 5 KB; fill the content up to target.
	tailSize := 5200
	nLinks := 3 + r.IntN(8)
	used := map[string]bool{self: true}
	var links []string
	for k := 0; k < nLinks; k++ {
		var href string
		switch x := r.IntN(10); {
		case x < 6:
			href = g.externalURL(r, used)
			if r.IntN(6) == 0 {
				href += "#section-" + fmt.Sprint(1+r.IntN(5))
			}
		case x < 8: // internal absolute link to another post
			for {
				j := 1 + r.IntN(max(g.opts.Pages, 2)+50)
				u := g.base + PostURLPath(j)
				if !used[u] {
					used[u] = true
					href = u
					break
				}
			}
		default: // relative link to a sibling post or a tag page
			for {
				var rel, abs string
				if r.IntN(2) == 0 {
					j := 1 + r.IntN(max(g.opts.Pages, 2)+50)
					rel = fmt.Sprintf("../post-%05d/", j)
					abs = g.base + PostURLPath(j)
				} else {
					t := pick(r, hostWords)
					rel = "/tags/" + t + "/"
					abs = g.base + "tags/" + t + "/"
				}
				if !used[abs] {
					used[abs] = true
					href = rel
					break
				}
			}
		}
		attrs := ""
		switch r.IntN(12) {
		case 0:
			attrs = ` rel="nofollow"`
		case 1:
			attrs = ` rel="noopener noreferrer" target="_blank"`
		case 2:
			attrs = ` class="no-pingback"`
		}
		links = append(links, fmt.Sprintf(`<a href="%s"%s>%s</a>`, href, attrs, phrase(r, 1+r.IntN(4))))
	}
	footnote := r.IntN(3) == 0
	paras := 0
	for li := 0; b.Len() < target-tailSize || li < len(links); paras++ {
		switch {
		case paras%7 == 3:
			fmt.Fprintf(b, "<h2 id=\"section-%d\">%s</h2>\n", paras, phrase(r, 4))
		case paras%11 == 5:
			b.WriteString(`<pre tabindex="0"><code class="language-go" data-lang="go"><span class="line"><span class="cl">func main() { fmt.Println(&#34;hello &lt;world&gt;&#34;) }</span></span></code></pre>` + "\n")
		case paras%13 == 8:
			b.WriteString("<ul>\n")
			for k := 0; k < 4; k++ {
				fmt.Fprintf(b, "<li>%s</li>\n", phrase(r, 6))
			}
			b.WriteString("</ul>\n")
		}
		b.WriteString("<p>")
		ns := 3 + r.IntN(4)
		for s := 0; s < ns; s++ {
			sentence(r, b, 8+r.IntN(10))
			if li < len(links) && r.IntN(3) == 0 {
				b.WriteString("See ")
				b.WriteString(links[li])
				b.WriteString(" for more. ")
				li++
			}
			if s == 1 && paras%5 == 2 {
				b.WriteString("<em>" + phrase(r, 3) + "</em> and <strong>" + phrase(r, 2) + "</strong>. ")
			}
		}
		if paras == 1 && footnote {
			b.WriteString(`<sup id="fnref:1"><a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>`)
		}
		b.WriteString("</p>\n")
	}
	if footnote {
		b.WriteString(`<div class="footnotes" role="doc-endnotes"><hr><ol><li id="fn:1"><p>` + phrase(r, 8) +
			`&#160;<a href="#fnref:1" class="footnote-backref" role="doc-backlink">&#x21a9;&#xfe0e;</a></p></li></ol></div>` + "\n")
	}
	b.WriteString("</div>\n")
	fmt.Fprintf(b, `<footer class="post-footer">
<ul class="post-tags"><li><a href="%stags/%s/">%s</a></li><li><a href="%stags/hugo/">hugo</a></li></ul>
<nav class="paginav"><a class="prev" href="%s"><span class="title">« Prev</span></a> <a class="next" href="%s"><span class="title">Next »</span></a></nav>
<a class="u-url" href="%s">Permalink</a>
</footer>
</article>
</main>
`, g.base, pick(r, hostWords), pick(r, hostWords), g.base, g.base+PostURLPath(max(i-1, 1)), g.base+PostURLPath(i+1), self)
	g.aside(b, r)
	g.footer(b)
	return len(links)
}

func (g *gen) head(b *strings.Builder, title, self string, r *rand.Rand) {
	fmt.Fprintf(b, `<!DOCTYPE html>
<html lang="en" dir="auto">
<head><script src="/livereload.js?mindelay=10&amp;v=2&amp;port=1313&amp;path=livereload" data-no-instant defer></script>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<meta name="robots" content="index, follow">
<title>%s | Example Blog</title>
<meta name="keywords" content="%s">
<meta name="description" content="%s">
<meta name="author" content="Sam Writer">
<link rel="canonical" href="%s">
<link crossorigin="anonymous" href="%scss/stylesheet.5d6d1b4f.css" integrity="sha256-XW0bT2rWmk9bqt3Q8cYz0f7eQ9wq2H1p3s2a0PqLk0Y=" rel="preload stylesheet" as="style">
<link rel="icon" href="%sfavicon.ico">
<link rel="icon" type="image/png" sizes="16x16" href="%sfavicon-16x16.png">
<link rel="icon" type="image/png" sizes="32x32" href="%sfavicon-32x32.png">
<link rel="apple-touch-icon" href="%sapple-touch-icon.png">
<link rel="mask-icon" href="%ssafari-pinned-tab.svg">
<meta name="theme-color" content="#2e2e33">
<meta name="msapplication-TileColor" content="#2e2e33">
<link rel="alternate" type="application/rss+xml" href="%sindex.xml" title="Example Blog">
<link rel="alternate" hreflang="en" href="%s">
<noscript>
<style>#theme-toggle, .top-link { display: none; }</style>
<style>@media (prefers-color-scheme: dark) { :root { --theme: rgb(29, 30, 32); --entry: rgb(46, 46, 51); --primary: rgb(218, 218, 219); } }</style>
</noscript>
<meta property="og:url" content="%s">
<meta property="og:site_name" content="Example Blog">
<meta property="og:title" content="%s">
<meta property="og:description" content="%s">
<meta property="og:locale" content="en-us">
<meta property="og:type" content="article">
<meta property="article:section" content="posts">
<meta property="article:published_time" content="2024-05-01T10:00:00+00:00">
<meta name="twitter:card" content="summary">
<meta name="twitter:title" content="%s">
<script type="application/ld+json">
{"@context":"https://schema.org","@type":"BlogPosting","headline":%q,"description":%q,"wordCount":%d,"inLanguage":"en","datePublished":"2024-05-01T10:00:00Z","author":[{"@type":"Person","name":"Sam Writer"}],"mainEntityOfPage":{"@type":"WebPage","@id":%q},"publisher":{"@type":"Organization","name":"Example Blog","logo":{"@type":"ImageObject","url":"%sfavicon.ico"}}}
</script>
<script>localStorage.getItem("pref-theme") === "dark" ? document.body.classList.add('dark') : localStorage.getItem("pref-theme") === "light" ? document.body.classList.remove('dark') : window.matchMedia('(prefers-color-scheme: dark)').matches && document.body.classList.add('dark'); if (a < b && c > d) { console.log("<a href=\"https://decoy.example/\">not a link</a>"); }</script>
</head>
<body class="list h-full antialiased" id="top">
`, title, phrase(r, 4), phrase(r, 20), self, g.base, g.base, g.base, g.base, g.base, g.base, g.base, self, self, title, phrase(r, 20), title, title, phrase(r, 12), 800+r.IntN(3000), self, g.base)
}

var menu = []string{"posts", "tags", "categories", "archives", "search", "about", "now", "uses", "blogroll", "contact"}

func (g *gen) header(b *strings.Builder) {
	fmt.Fprintf(b, `<header class="header site-header">
<nav class="nav" role="navigation" aria-label="Main">
<div class="logo"><a href="%s" accesskey="h" title="Example Blog (Alt + H)">Example Blog</a>
<div class="logo-switches"><button id="theme-toggle" accesskey="t" title="(Alt + T)"><svg id="moon" xmlns="http://www.w3.org/2000/svg" width="24" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><path d="M21 12.79A9 9 0 1 1 11.21 3 7 7 0 0 0 21 12.79z"></path></svg></button></div></div>
<ul id="menu">
`, g.base)
	for _, m := range menu {
		fmt.Fprintf(b, `<li><a href="%s%s/" title="%s"><span>%s</span></a></li>`+"\n", g.base, m, m, m)
	}
	b.WriteString(`<li><a href="https://github.example/samwriter" title="GitHub"><span>GitHub</span>&nbsp;<svg fill="none" shape-rendering="geometricPrecision" stroke="currentColor" stroke-linecap="round" stroke-linejoin="round" stroke-width="2.5" viewBox="0 0 24 24" height="12" width="12"><path d="M18 13v6a2 2 0 01-2 2H5a2 2 0 01-2-2V8a2 2 0 012-2h6"></path><path d="M15 3h6v6"></path><path d="M10 14L21 3"></path></svg></a></li>
</ul>
</nav>
</header>
`)
}

func (g *gen) aside(b *strings.Builder, r *rand.Rand) {
	b.WriteString(`<aside class="sidebar" role="complementary">
<section class="widget blogroll"><h3>Blogroll</h3><ul>
`)
	for k := 0; k < 14; k++ {
		h := hostWords[(k*7+3)%len(hostWords)] + hostSuffixes[k%len(hostSuffixes)]
		fmt.Fprintf(b, `<li class="h-card"><a class="u-url p-name" href="https://%s/" rel="friend met">%s</a> — <small>%s</small></li>`+"\n", h, h, phrase(r, 4))
	}
	b.WriteString("</ul></section>\n<section class=\"widget recent\"><h3>Recent posts</h3><ul>\n")
	for k := 1; k <= 6; k++ {
		fmt.Fprintf(b, `<li><a href="%s%s">%s</a></li>`+"\n", g.base, PostURLPath(max(g.opts.Pages-k+1, 1)), phrase(r, 4))
	}
	b.WriteString("</ul></section>\n</aside>\n")
}

func (g *gen) footer(b *strings.Builder) {
	fmt.Fprintf(b, `<footer class="footer site-footer" role="contentinfo">
<span>&copy; 2024 <a href="%s">Example Blog</a></span> ·
<span>Powered by <a href="https://gohugo.example/" rel="noopener noreferrer" target="_blank">Hugo</a> &amp;
<a href="https://github.example/adityatelange/hugo-PaperMod/" rel="noopener" target="_blank">PaperMod</a></span>
<ul class="social"><li><a rel="me" href="https://mastodon.example/@sam">Mastodon</a></li><li><a rel="me" href="https://github.example/samwriter">GitHub</a></li><li><a href="%sindex.xml">RSS</a></li></ul>
</footer>
<a href="#top" aria-label="go to top" title="Go to Top (Alt + G)" class="top-link" id="top-link" accesskey="g"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 12 6" fill="currentColor"><path d="M12 6H0l6-6z"></path></svg></a>
<script>let menu = document.getElementById('menu'); if (menu) { menu.scrollLeft = localStorage.getItem("menu-scroll-position"); menu.onscroll = function () { localStorage.setItem("menu-scroll-position", menu.scrollLeft); } }
document.querySelectorAll('a[href^="#"]').forEach(anchor => { anchor.addEventListener("click", function (e) { e.preventDefault(); var id = this.getAttribute("href").substr(1); document.querySelector('[id=' + CSS.escape(id) + ']').scrollIntoView({behavior: "smooth"}); }); });</script>
</body>
</html>
`, g.base, g.base)
}

const perPage = 10

// extras writes the files around the posts that a real Hugo build has.
func (g *gen) extras() error {
	r := g.rng(2, 0)
	n := g.opts.Pages
	pages := (n + perPage - 1) / perPage
	if pages == 0 {
		pages = 1
	}
	for p := 1; p <= pages; p++ {
		var b strings.Builder
		g.head(&b, "Posts", g.base+"posts/", r)
		g.header(&b)
		b.WriteString("<main class=\"main\">\n<header class=\"page-header\"><h1>Posts</h1></header>\n")
		for i := (p-1)*perPage + 1; i <= min(p*perPage, n); i++ {
			fmt.Fprintf(&b, `<article class="post-entry h-entry"><header class="entry-header"><h2 class="p-name">%s</h2></header>
<div class="entry-content p-summary"><p>%s <a href="https://%s/">%s</a></p></div>
<footer class="entry-footer"><time class="dt-published">2024</time></footer>
<a class="entry-link u-url" aria-label="post link" href="%s%s"></a></article>
`, phrase(r, 5), phrase(r, 40), pick(r, hostWords)+".example", phrase(r, 2), g.base, PostURLPath(i))
		}
		b.WriteString("</main>\n")
		g.aside(&b, r)
		g.footer(&b)
		rel := fmt.Sprintf("posts/page/%d/index.html", p)
		if p == 1 {
			rel = "posts/index.html"
			if err := g.write("index.html", b.String()); err != nil {
				return err
			}
			// Hugo writes page/1/ as an alias of the section.
			if err := g.write("posts/page/1/index.html", alias(g.base+"posts/")); err != nil {
				return err
			}
		}
		if err := g.write(rel, b.String()); err != nil {
			return err
		}
	}
	// An alias for every tenth post, as front matter `aliases` produce.
	for i := 10; i <= n; i += 10 {
		if err := g.write(fmt.Sprintf("%d/old-post-%d/index.html", 2019+i%5, i), alias(g.base+PostURLPath(i))); err != nil {
			return err
		}
	}
	var nf strings.Builder
	g.head(&nf, "404 Page not found", g.base+"404.html", r)
	g.header(&nf)
	fmt.Fprintf(&nf, "<main class=\"main\"><div class=\"not-found\">404</div><p><a href=\"%s\">Home</a></p></main>\n", g.base)
	g.footer(&nf)
	if err := g.write("404.html", nf.String()); err != nil {
		return err
	}
	var sm, rss strings.Builder
	sm.WriteString(`<?xml version="1.0" encoding="utf-8" standalone="yes"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">` + "\n")
	fmt.Fprintf(&rss, `<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Example Blog</title><link>%s</link><description>Recent content</description>
<atom:link href="%sindex.xml" rel="self" type="application/rss+xml" />
`, g.base, g.base)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&sm, "<url><loc>%s%s</loc><lastmod>2024-05-01T10:00:00+00:00</lastmod></url>\n", g.base, PostURLPath(i))
		if i > n-20 {
			fmt.Fprintf(&rss, "<item><title>Post %d</title><link>%s%s</link><guid>%s%s</guid><description>%s</description></item>\n", i, g.base, PostURLPath(i), g.base, PostURLPath(i), phrase(r, 20))
		}
	}
	sm.WriteString("</urlset>\n")
	rss.WriteString("</channel></rss>\n")
	if err := g.write("sitemap.xml", sm.String()); err != nil {
		return err
	}
	if err := g.write("index.xml", rss.String()); err != nil {
		return err
	}
	css := strings.Repeat("body{margin:0;font-family:system-ui,sans-serif}.post-content a{color:var(--primary)}\n", 40)
	return g.write("css/stylesheet.5d6d1b4f.css", css)
}

// alias is the page Hugo writes for an alias: a meta refresh to the target.
func alias(target string) string {
	return fmt.Sprintf(`<!DOCTYPE html><html lang="en-us"><head><title>%s</title><link rel="canonical" href="%s"><meta name="robots" content="noindex"><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=%s"></head></html>`, target, target, target)
}
