package verify

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

func TestSourceExcerpt(t *testing.T) {
	long := strings.Repeat("abcdefghij ", 15) // 165 characters
	tests := []struct {
		name string
		body string
		want string
	}{
		// A short paragraph: all of it.
		{"short paragraph", `<p>I liked <a href="` + targetURL + `">this post</a> a lot.</p><p>Other paragraph.</p>`,
			"[…] I liked this post a lot. […]"},
		// Only the link's own paragraph; lists, cells and headings are paragraphs too.
		{"own paragraph", `<h2>Heading</h2><ul><li>one</li><li>See <a href="` + targetURL + `">it</a></li></ul><p>after</p>`,
			"[…] See it […]"},
		// Up to 100 characters each side, cut at words.
		{"long paragraph", `<p>` + long + `before <a href="` + targetURL + `">the link</a> after ` + long + `</p>`,
			"[…] " + strings.Repeat("abcdefghij ", 8) + "before the link after" + strings.Repeat(" abcdefghij", 8) + " […]"},
		// Inline markup runs on; <br> is a space.
		{"inline markup", `<div>a<b>b</b> <em>c</em><br>d <a href="` + targetURL + `"><span>e</span></a></div>`,
			"[…] ab c d e […]"},
		// A link text of more than 90 characters is cut.
		{"long link text", `<p><a href="` + targetURL + `">` + long + `</a></p>`,
			"[…] " + clipRunes(strings.TrimSpace(long), linkChars) + " […]"},
		// The first link to the target gives the excerpt.
		{"first link", `<p>one <a href="` + targetURL + `">first</a></p><p>two <a href="` + targetURL + `">second</a></p>`,
			"[…] one first […]"},
		// A link with a block inside: the block's paragraph.
		{"block in link", `<p>before</p><a href="` + targetURL + `"><div>card title</div></a><p>after</p>`,
			"[…] card title […]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Source([]byte(doc(tt.body)), mustURL(t, sourceURL), targetURL, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Excerpt != tt.want {
				t.Errorf("Excerpt = %q\n          want %q", r.Excerpt, tt.want)
			}
			if r.Content.Text != r.Excerpt || r.Content.HTML != "" {
				t.Errorf("Content = %+v, want the excerpt as text only", r.Content)
			}
			if r.Name != "A reply" || r.Title != "A reply" {
				t.Errorf("Name, Title = %q, %q, want the <title>", r.Name, r.Title)
			}
			if n := len([]rune(r.Excerpt)); n > maxExcerpt {
				t.Errorf("Excerpt has %d characters", n)
			}
		})
	}
}

// TestSourceText checks the source's readable text: all of the page's
// words (chrome included: a scraper's copy may sit anywhere), none of its
// title, scripts, styles, comments or templates.
func TestSourceText(t *testing.T) {
	page := `<html><head><title>Title words</title><style>body{}</style></head><body>
<nav>Menu</nav><!-- hidden --><script>var code;</script><template><p>inert</p></template>
<article><h1>Heading</h1><p>Body &amp; <a href="` + targetURL + `">link</a>.</p></article><footer>Foot&nbsp;note</footer></body></html>`
	r, err := Source([]byte(page), mustURL(t, sourceURL), targetURL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Menu Heading Body & link. Foot note"; r.Text != want {
		t.Errorf("Text = %q, want %q", r.Text, want)
	}
}

// TestApply checks that Apply copies every field a Result carries and
// leaves every field the receiver owns alone. A field added to
// mention.Mention fails this test until it is put in one list or the other.
func TestApply(t *testing.T) {
	r := &Result{
		Title: "T", Type: mention.Like, Author: mention.Author{Name: "A", URL: "https://a.example/", Photo: "https://a.example/p.jpg"},
		URL: "https://s.example/1", Published: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Name: "N",
		Content: mention.Content{HTML: "<p>c</p>", Text: "c"}, Excerpt: "e", RSVP: "yes", Text: "text",
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := mention.Mention{
		ID: 7, Source: "https://s.example/1", Target: targetURL, Protocol: mention.Webmention, State: mention.Approved,
		Reason: "why", Received: now, Updated: now, Verified: now, ClientIP: "192.0.2.1",
		Type: mention.Reply, Author: mention.Author{Name: "old"}, URL: "old", Published: now, Name: "old",
		Content: mention.Content{Text: "old"}, Excerpt: "old", RSVP: "no",
	}
	before := m
	r.Apply(&m)
	copied := map[string]any{
		"Type": r.Type, "Author": r.Author, "URL": r.URL, "Published": r.Published, "Name": r.Name,
		"Content": r.Content, "Excerpt": r.Excerpt, "RSVP": r.RSVP,
	}
	kept := []string{"ID", "Source", "Target", "Protocol", "State", "Reason", "Received", "Updated", "Verified", "ClientIP"}
	mv, bv := reflect.ValueOf(m), reflect.ValueOf(before)
	for i := range mv.NumField() {
		f := mv.Type().Field(i).Name
		if want, ok := copied[f]; ok {
			if !reflect.DeepEqual(mv.Field(i).Interface(), want) {
				t.Errorf("Apply: %s = %v, want %v", f, mv.Field(i).Interface(), want)
			}
			continue
		}
		if !slices.Contains(kept, f) {
			t.Errorf("mention.Mention.%s is new: decide whether Apply copies it", f)
			continue
		}
		if !reflect.DeepEqual(mv.Field(i).Interface(), bv.Field(i).Interface()) {
			t.Errorf("Apply changed %s, which the receiver owns", f)
		}
	}
	// An empty result empties the mention's copy, but the type is never empty.
	(&Result{}).Apply(&m)
	if m.Type != mention.Mentions || m.Author != (mention.Author{}) || m.Name != "" || !m.Published.IsZero() {
		t.Errorf("Apply of an empty result left %+v", m)
	}
}
