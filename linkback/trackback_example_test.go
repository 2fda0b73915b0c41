package linkback_test

import (
	"fmt"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

func ExampleTrackbackExcerpt() {
	text := "Static sites can send linkbacks too: after each build, a CI step reads the pages, " +
		"finds the new links, and tells every linked blog in the protocol it speaks."
	fmt.Println(linkback.TrackbackExcerpt(text, 60))
	// Output: Static sites can send linkbacks too: after each build, a CI…
}
