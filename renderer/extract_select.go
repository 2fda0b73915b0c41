package renderer

import (
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The --content path: a real CSS selector needs a tree, so the page is
// parsed with html.Parse and every element the selector matches (outside
// any earlier match) contributes its links and text. This is the slow path;
// the default chain never builds a tree.

func (s *scanner) selectRegion(doc *html.Node, sel cascadia.Matcher) {
	// Number the tree's <a href> elements in document order; when they are
	// as many as the scan saw (the tree builder clones misnested <a>
	// elements), the scan's offsets belong to them one to one.
	s.aIndex = make(map[*html.Node]int)
	var number func(n *html.Node)
	number = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.DataAtom == atom.Template {
				return
			}
			if _, ok := nodeAttr(n, "href"); ok && n.DataAtom == atom.A {
				s.aIndex[n] = len(s.aIndex)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			number(c)
		}
	}
	number(doc)
	if len(s.aIndex) != len(s.aOffsets) {
		s.aIndex = nil
	}
	taken := make(map[*html.Node]bool)
	for _, n := range cascadia.QueryAll(doc, sel) {
		inside := false
		for p := n.Parent; p != nil; p = p.Parent {
			if taken[p] {
				inside = true
				break
			}
		}
		if inside {
			continue
		}
		taken[n] = true
		s.walk(n)
		s.text[regionIndex(regSelector)].sep()
	}
	s.endLink()
}

func (s *scanner) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		if s.cur >= 0 {
			s.ltext.add([]byte(n.Data), 300)
		}
		if t := &s.text[regionIndex(regSelector)]; !t.full {
			t.add([]byte(n.Data), s.textMax)
		}
		return
	case html.ElementNode:
	default:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			s.walk(c)
		}
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Textarea, atom.Title, atom.Head:
		return
	}
	block := !inlineElem(n.DataAtom) || n.DataAtom == atom.Br
	if block {
		s.ltext.sep()
		s.text[regionIndex(regSelector)].sep()
	}
	link := -1
	switch n.DataAtom {
	case atom.A:
		if href, ok := nodeAttr(n, "href"); ok {
			s.endLink()
			r := linkRec{href: href, mask: regSelector, offset: -1}
			if i, ok := s.aIndex[n]; ok {
				r.offset = s.aOffsets[i]
			}
			r.rel, _ = nodeAttr(n, "rel")
			if class, ok := nodeAttr(n, "class"); ok {
				for _, c := range s.opts.SkipClasses {
					if classHas([]byte(class), c) {
						r.skipClass = c
						break
					}
				}
			}
			s.recs = append(s.recs, r)
			s.cur = len(s.recs) - 1
			link = s.cur
			s.ltext.reset()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		s.walk(c)
	}
	if link >= 0 && s.cur == link {
		s.endLink()
	}
	if block {
		s.ltext.sep()
		s.text[regionIndex(regSelector)].sep()
	}
}

func nodeAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}
