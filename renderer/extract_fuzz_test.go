package renderer

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtract checks the invariants of Extract and Links on any input: no
// panic; every URL absolute http(s) with a host and without fragment, never
// the page itself, no duplicates; valid UTF-8 text; and the early exit
// gives exactly the result of a full scan.
func FuzzExtract(f *testing.F) {
	files, _ := filepath.Glob("testdata/extract/*.html")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		page(`<article><a href="../x/#y">x</a></article>`),
		`<div class="h-entry"><p class="e-content"><a href=https://a.example/>a<div>`,
		`<base href="//other.example/dir/"><main><a href="p?q#f">p</a></main>`,
		`<template><article><a href="https://t.example/">t</a></article></template><a href="https://b.example/">`,
		`<table><td><article><a href="https://t.example/"><tr><a href="/x">`,
		`<meta http-equiv=refresh content="0;url=/x/"><li class=h-entry><li class=h-entry>`,
		`<main><div class=h-entry>x</div></main><p>y<article><a href=/a>a</a></article>`,
		`<div class=h-entry><div class=e-content>c</div><a class=u-like-of href=/l>l</a></div><div class=h-entry>`,
	} {
		f.Add([]byte(s))
	}
	u, _ := url.Parse(pageURL)
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Extract(src, u, defaultOpts)
		if err != nil {
			t.Fatalf("Extract: %v", err)
		}
		checkLinks(t, p.Links)
		for _, l := range p.Links {
			if l.Offset < 0 || l.Offset+2 > len(src) || !strings.EqualFold(string(src[l.Offset:l.Offset+2]), "<a") {
				t.Errorf("offset %d of %q does not point at an <a> tag", l.Offset, l.URL)
			}
		}
		if !utf8.ValidString(p.Excerpt) || !utf8.ValidString(p.Title) {
			t.Errorf("invalid UTF-8: title %q excerpt %q", p.Title, p.Excerpt)
		}
		if utf8.RuneCountInString(p.Excerpt) > ExcerptLen+1 {
			t.Errorf("excerpt has %d characters", utf8.RuneCountInString(p.Excerpt))
		}
		fullScan = true
		q, _ := Extract(src, u, defaultOpts)
		fullScan = false
		if !slices.EqualFunc(p.Links, q.Links, func(a, b Link) bool {
			return a.URL == b.URL && a.Href == b.Href && a.Text == b.Text && a.Skip == b.Skip && slices.Equal(a.Rel, b.Rel)
		}) || p.Kind != q.Kind || p.Region != q.Region || p.Excerpt != q.Excerpt || p.Title != q.Title {
			t.Errorf("early exit changed the result:\n%+v\n%+v", p, q)
		}
		links, err := Links(strings.NewReader(string(src)), u, defaultOpts)
		if err != nil {
			t.Fatalf("Links: %v", err)
		}
		checkLinks(t, links)
	})
}

func checkLinks(t *testing.T, links []Link) {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range links {
		u, err := url.Parse(l.URL)
		switch {
		case err != nil:
			t.Errorf("%q does not parse: %v", l.URL, err)
		case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
			t.Errorf("%q is not absolute http(s)", l.URL)
		case strings.Contains(l.URL, "#"):
			t.Errorf("%q has a fragment", l.URL)
		case l.URL == pageURL:
			t.Errorf("%q is the page itself", l.URL)
		case seen[l.URL]:
			t.Errorf("%q appears twice", l.URL)
		case u.String() != l.URL:
			t.Errorf("%q is not in canonical form %q", l.URL, u.String())
		}
		seen[l.URL] = true
	}
}
