package renderer_test

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/renderer"
)

func ExampleExtract() {
	page := []byte(`<!DOCTYPE html><html><head><title>Hello</title></head><body>
<header><nav><a href="/">Home</a> <a href="https://github.example/me">GitHub</a></nav></header>
<article class="h-entry"><h1 class="p-name">Hello</h1>
<div class="e-content"><p>I liked <a href="https://alice.example/post#top">Alice's post</a>,
not <a rel="sponsored" href="https://ads.example/">this one</a>; see also <a href="../older/">my older post</a>.</p></div>
</article>
<footer><a href="https://gohugo.example/">Powered by Hugo</a></footer></body></html>`)
	u, _ := url.Parse("https://blog.example.org/posts/hello/")
	p, err := renderer.Extract(page, u, &renderer.Options{SkipRels: []string{"nofollow", "ugc", "sponsored"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Kind, p.Region)
	for _, l := range p.Links {
		fmt.Printf("%s %q skip=%q\n", l.URL, l.Text, l.Skip)
	}
	fmt.Println(p.Excerpt)
	// Output:
	// single h-entry e-content
	// https://alice.example/post "Alice's post" skip=""
	// https://ads.example/ "this one" skip="rel=sponsored"
	// https://blog.example.org/posts/older/ "my older post" skip=""
	// I liked Alice's post, not this one; see also my older post.
}

func ExampleLinks() {
	content := `<p>Read <a href="https://a.example/x">this</a> and <a href="/about/">about me</a>.</p>`
	u, _ := url.Parse("https://blog.example.org/posts/hello/")
	links, err := renderer.Links(strings.NewReader(content), u, nil)
	if err != nil {
		panic(err)
	}
	for _, l := range links {
		fmt.Println(l.URL)
	}
	// Output:
	// https://a.example/x
	// https://blog.example.org/about/
}
