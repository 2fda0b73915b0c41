package verify

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/hugo-pingback/hugo-pingback/internal/corpustest"
)

// contentNode returns a page's <article> (the corpus has one per page),
// else its <main>, else its <body>.
func contentNode(doc *html.Node) *html.Node {
	var found [3]*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for i, a := range []atom.Atom{atom.Article, atom.Main, atom.Body} {
				if n.DataAtom == a && found[i] == nil {
					found[i] = n
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, n := range found {
		if n != nil {
			return n
		}
	}
	return doc
}

func renderChildren(n *html.Node) string {
	var b bytes.Buffer
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		html.Render(&b, c)
	}
	return b.String()
}

// paragraphs returns the text of each <p> in n.
func paragraphs(n *html.Node) []string {
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.P {
			var b bytes.Buffer
			html.Render(&b, n)
			out = append(out, b.String())
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// scraperPage is what a scraper makes of a post: its own title, menu,
// sidebar and footer around the post's content, and a credit link.
func scraperPage(title, content, target string) string {
	var nav strings.Builder
	for i := range 30 {
		fmt.Fprintf(&nav, `<li><a href="/topic/%d/">Topic number %d</a></li>`, i, i)
	}
	return `<!DOCTYPE html><html><head><title>` + html.EscapeString("Best Tips: "+title) + `</title></head><body>
<header><a href="/">Content Farm Daily</a><nav><ul>` + nav.String() + `</ul></nav></header>
<div class="post-wrap"><h1>` + html.EscapeString(title) + `</h1><div class="post-body">` + content + `</div>
<p>Source: <a href="` + target + `">original article</a></p></div>
<aside><h3>Trending now</h3><p>Ten ways to grow your audience this week. Click here for amazing offers on hosting plans.</p></aside>
<footer>Copyright Content Farm Daily. All rights reserved. Privacy policy. Contact us.</footer></body></html>`
}

// quotePage is a genuine post: its own words (ownText, paragraphs of
// another page) around one quoted paragraph of the target, and a link.
func quotePage(own []string, quoted, target string) string {
	half := len(own) / 2
	return `<!DOCTYPE html><html><head><title>My notes on Hugo</title></head><body>
<header><nav><a href="/">Home</a> <a href="/about/">About</a></nav></header>
<article class="h-entry"><h1 class="p-name">My notes on Hugo</h1><div class="e-content">` +
		strings.Join(own[:half], "") + `<p>As <a href="` + target + `">the Hugo docs put it</a>:</p><blockquote>` + quoted + `</blockquote>` +
		strings.Join(own[half:], "") + `</div></article><footer>My own blog</footer></body></html>`
}

type dist []float64

func (d dist) String() string {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return "no samples"
	}
	q := func(p float64) float64 { return s[int(p*float64(len(s)-1))] }
	return fmt.Sprintf("n=%d min=%.3f p10=%.3f median=%.3f p90=%.3f max=%.3f", len(s), s[0], q(0.1), q(0.5), q(0.9), s[len(s)-1])
}

// TestOverlapCorpus measures Overlap on the Hugo docs corpus, the receiver's
// way (Source on the source page, Text on the target page), for three
// kinds of source, and checks that DefaultScraperThreshold separates the
// copies from the rest:
//
//	copy      the page's content under another title, menu, sidebar and footer
//	quote     paragraphs of another page around one quoted paragraph of the
//	          page: its longest (the worst case) and its median-length one
//	unrelated another page of the same site, as published
//
// The quote case is checked on pages whose content has at least minWords
// words: quoting the longest paragraph of a shorter page often quotes most
// of it (its scores are logged).
//
//	HP_CORPUS=/tmp/corpus/hugodocs-public go test ./verify -run OverlapCorpus -v
func TestOverlapCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus measurement")
	}
	pages := corpustest.Pages(t)
	const minWords = 100
	var copies, quotes, shortQuotes, typical, unrelated dist
	for i, p := range pages {
		target := p.URL.String()
		targetText := Text(p.Src, p.URL)
		nwords := len(wordHashes(targetText))
		if nwords == 0 {
			continue
		}
		root, err := html.Parse(bytes.NewReader(p.Src))
		if err != nil {
			t.Fatal(err)
		}
		content := contentNode(root)
		srcURL := mustURL(t, "https://farm.example/copied/"+fmt.Sprint(i)+"/")
		score := func(page string) float64 {
			t.Helper()
			r, err := Source([]byte(page), srcURL, target, Options{})
			if err != nil {
				t.Fatalf("source for %s: %v", target, err)
			}
			return Overlap(r.Text, targetText)
		}

		copies = append(copies, score(scraperPage(p.URL.Path, renderChildren(content), target)))

		other := pages[(i+len(pages)/2)%len(pages)]
		otherRoot, err := html.Parse(bytes.NewReader(other.Src))
		if err != nil {
			t.Fatal(err)
		}
		own := paragraphs(contentNode(otherRoot))
		paras := paragraphs(content)
		if len(paras) > 0 && len(own) > 1 {
			slices.SortStableFunc(paras, func(a, b string) int { return len(a) - len(b) })
			longest := score(quotePage(own, paras[len(paras)-1], target))
			if nwords < minWords {
				shortQuotes = append(shortQuotes, longest)
			} else {
				quotes = append(quotes, longest)
				typical = append(typical, score(quotePage(own, paras[len(paras)/2], target)))
			}
		}

		unrelated = append(unrelated, Overlap(string(scan(other.Src, false).text), targetText))
	}
	t.Logf("copy:                      %v", copies)
	t.Logf("quote, longest paragraph:  %v (pages of %d words or more)", quotes, minWords)
	t.Logf("quote, median paragraph:   %v", typical)
	t.Logf("quote, shorter pages:      %v (not checked)", shortQuotes)
	t.Logf("unrelated:                 %v", unrelated)
	if m := slices.Min(copies); m < DefaultScraperThreshold {
		t.Errorf("a copy scores %.3f, below the threshold %.2f", m, DefaultScraperThreshold)
	}
	if m := slices.Max(quotes); m >= DefaultScraperThreshold {
		t.Errorf("a quoting post scores %.3f, at or above the threshold %.2f", m, DefaultScraperThreshold)
	}
	if m := slices.Max(unrelated); m >= DefaultScraperThreshold {
		t.Errorf("an unrelated page scores %.3f, at or above the threshold %.2f", m, DefaultScraperThreshold)
	}
}
