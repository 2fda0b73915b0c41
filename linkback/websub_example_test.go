package linkback_test

import (
	"fmt"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

func ExampleFindHub() {
	rss := []byte(`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<link>https://me.example/</link>
<atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/>
</channel></rss>`)
	fmt.Println(linkback.FindHub(rss))
	// Output: https://pubsubhubbub.appspot.com/
}
