package site_test

import (
	"fmt"

	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
)

func ExamplePageURL() {
	fmt.Println(site.PageURL("https://example.org/", "index.html"))
	fmt.Println(site.PageURL("https://example.org/", "posts/hello/index.html"))
	fmt.Println(site.PageURL("https://example.org/", "about.html"))
	// Output:
	// https://example.org/
	// https://example.org/posts/hello/
	// https://example.org/about.html
}

func ExampleMergeHeaders() {
	existing := []byte("/css/*\n  Cache-Control: max-age=31536000\n")
	out, changed := site.MergeHeaders(existing, renderer.Tags{
		Pingback:   "https://webmention.io/example.org/xmlrpc",
		Webmention: "https://webmention.io/example.org/webmention",
	})
	fmt.Print(string(out))
	fmt.Println(changed)
	// Output:
	// /css/*
	//   Cache-Control: max-age=31536000
	//
	// # hugo-pingback: begin (hugo-pingback inject --headers rewrites this block)
	// /*
	//   X-Pingback: https://webmention.io/example.org/xmlrpc
	//   Link: <https://webmention.io/example.org/webmention>; rel="webmention"
	// # hugo-pingback: end
	// true
}

func ExampleMergeRedirects() {
	out, _ := site.MergeRedirects([]byte("/old /new 301\n"), []string{"/posts/deleted/"})
	fmt.Print(string(out))
	// Output:
	// /old /new 301
	//
	// # hugo-pingback: begin (pages deleted since they were notified: 410 Gone)
	// /posts/deleted/ /404.html 410
	// # hugo-pingback: end
}
