package verify_test

import (
	"fmt"
	"net/url"

	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/verify"
)

// A reply marked up with microformats2: Source finds the link, the type,
// the author and the content, and Apply puts them into the mention the
// receiver stores.
func ExampleSource() {
	page := []byte(`<!DOCTYPE html><title>Re: Hello</title>
<article class="h-entry">
  <a class="p-author h-card" href="/">Ann</a> replied to
  <a class="u-in-reply-to" href="https://blog.example.net/posts/hello/">Hello</a>:
  <p class="e-content">Lovely post! <img src="x" onerror="alert(1)"></p>
  <time class="dt-published" datetime="2024-05-06T07:08:09Z">6 May</time>
</article>`)
	src, _ := url.Parse("https://ann.example.org/replies/1/")
	r, err := verify.Source(page, src, "https://blog.example.net/posts/hello", verify.Options{Media: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := mention.Mention{Source: src.String(), Target: "https://blog.example.net/posts/hello/", Protocol: mention.Webmention}
	r.Apply(&m)
	fmt.Println(m.Type, "by", m.Author.Name, m.Author.URL)
	fmt.Println(m.Published.Format("2006-01-02"))
	fmt.Printf("%q\n", m.Content.HTML)

	// Output:
	// reply by Ann https://ann.example.org/
	// 2024-05-06
	// "Lovely post! <img src=\"https://ann.example.org/replies/1/x\">"
}

// A page without the link: Pingback answers fault 17, Webmention refuses.
func ExampleSource_noLink() {
	page := []byte(`<p>Nothing here but <!-- <a href="https://blog.example.net/posts/hello/"> --> a comment.</p>`)
	_, err := verify.Source(page, nil, "https://blog.example.net/posts/hello/", verify.Options{})
	fmt.Println(err)

	// Output:
	// check source for a link to https://blog.example.net/posts/hello/: source does not link to the target
}

// Overlap spots a scraper: its page repeats the target's text.
func ExampleOverlap() {
	target := "Last winter I exported every post to Markdown and let a static site generator build the whole thing."
	copied := "Top Tips! Last winter I exported every post to Markdown and let a static site generator build the whole thing. Buy hosting now."
	quoted := "I liked how they put it: let a static site generator build the whole thing. My own setup is different."
	fmt.Printf("copy %.2f, quote %.2f\n", verify.Overlap(copied, target), verify.Overlap(quoted, target))
	fmt.Println(verify.Overlap(copied, target) >= verify.DefaultScraperThreshold)

	// Output:
	// copy 1.00, quote 0.36
	// true
}
