package linkback_test

import (
	"fmt"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

func ExampleParseLinkHeader() {
	// Two Link headers, the second holding two links; the comma inside the
	// quoted title does not split a link.
	links := linkback.ParseLinkHeader([]string{
		`<https://example.com/feed>; rel=alternate; title="News, all of it"`,
		`</webmention?x=1>; rel="webmention", <https://example.com/xmlrpc.php>; rel=pingback`,
	})
	for _, l := range links {
		fmt.Println(l.URL, l.Rels, l.HasRel("webmention"))
	}
	// Output:
	// https://example.com/feed [alternate] false
	// /webmention?x=1 [webmention] true
	// https://example.com/xmlrpc.php [pingback] false
}
