package renderer_test

import (
	"fmt"

	"github.com/hugo-pingback/hugo-pingback/renderer"
)

func ExampleInject() {
	page := []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Post</title></head><body></body></html>`)
	tags := renderer.Tags{
		Pingback:   "https://webmention.io/example.org/xmlrpc",
		Webmention: "https://webmention.io/example.org/webmention",
	}
	out, res := renderer.Inject(page, tags)
	fmt.Println(string(out))
	fmt.Println(res.Changed, res.Inserted)

	// A second pass finds both tags and changes nothing.
	_, res = renderer.Inject(out, tags)
	fmt.Println(res.Changed)
	// Output:
	// <!DOCTYPE html><html><head><meta charset="utf-8"><link rel="pingback" href="https://webmention.io/example.org/xmlrpc"><link rel="webmention" href="https://webmention.io/example.org/webmention"><title>Post</title></head><body></body></html>
	// true [pingback webmention]
	// false
}
