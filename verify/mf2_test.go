package verify

import (
	"os"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/mention"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// checkResult compares every field of a Result but Text.
func checkResult(t *testing.T, got *Result, want Result) {
	t.Helper()
	if got.Type != want.Type {
		t.Errorf("Type = %q, want %q", got.Type, want.Type)
	}
	if got.Author != want.Author {
		t.Errorf("Author = %+v, want %+v", got.Author, want.Author)
	}
	if got.URL != want.URL {
		t.Errorf("URL = %q, want %q", got.URL, want.URL)
	}
	if !got.Published.Equal(want.Published) {
		t.Errorf("Published = %v, want %v", got.Published, want.Published)
	}
	if got.Name != want.Name {
		t.Errorf("Name = %q, want %q", got.Name, want.Name)
	}
	if got.Content.Text != want.Content.Text {
		t.Errorf("Content.Text = %q, want %q", got.Content.Text, want.Content.Text)
	}
	if got.Content.HTML != want.Content.HTML {
		t.Errorf("Content.HTML = %q, want %q", got.Content.HTML, want.Content.HTML)
	}
	if got.Excerpt != want.Excerpt {
		t.Errorf("Excerpt = %q, want %q", got.Excerpt, want.Excerpt)
	}
	if got.RSVP != want.RSVP {
		t.Errorf("RSVP = %q, want %q", got.RSVP, want.RSVP)
	}
}

// hentry wraps an h-entry's properties in a page titled "A reply".
func hentry(props string) string {
	return doc(`<article class="h-entry">` + props + `</article>`)
}

const tlink = `<a href="https://blog.example.net/posts/hello/">your post</a>`

func TestSourceMicroformats(t *testing.T) {
	card := `<span class="p-author h-card"><img class="u-photo" src="/me.jpg" alt=""><a class="u-url p-name" href="/about/">Ann Author</a></span>`
	tests := []struct {
		name string
		html string
		want Result
	}{
		// A reply: in-reply-to names the target; the h-card author's URLs
		// resolve against the source; the e-content is sanitised.
		{"reply with h-card author", hentry(card + `<a class="u-in-reply-to" href="https://blog.example.net/posts/hello/">re</a>
<div class="e-content"><p>Great post!</p></div><a class="u-url" href="/posts/reply/"><time class="dt-published" datetime="2024-05-06T07:08:09+02:00">May 6</time></a>`),
			Result{Type: mention.Reply, Author: mention.Author{Name: "Ann Author", URL: "https://source.example.org/about/", Photo: "https://source.example.org/me.jpg"},
				URL: sourceURL, Published: date("2024-05-06T07:08:09+02:00"), Name: "A reply",
				Content: mention.Content{HTML: "<p>Great post!</p>", Text: "Great post!"}, Excerpt: "Great post!"}},
		// The author as a plain name.
		{"author string", hentry(`<span class="p-author">Bob</span><div class="e-content">Nice, ` + tlink + `.</div>`),
			Result{Type: mention.Mentions, Author: mention.Author{Name: "Bob"}, URL: sourceURL, Name: "A reply",
				Content: mention.Content{HTML: `Nice, <a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>.`, Text: "Nice, your post."},
				Excerpt: "Nice, your post."}},
		// The author as a URL.
		{"author URL string", hentry(`<data class="p-author" value="https://bob.example.org/">Bob's site</data><p class="e-content">` + tlink + `</p>`),
			Result{Type: mention.Mentions, Author: mention.Author{URL: "https://bob.example.org/"}, URL: sourceURL, Name: "A reply",
				Content: mention.Content{HTML: `<a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>`, Text: "your post"},
				Excerpt: "your post"}},
		// A like whose like-of is an h-cite with the target as its url.
		{"like of h-cite", hentry(`<div class="u-like-of h-cite"><a class="u-url p-name" href="https://blog.example.net/posts/hello">Hello</a></div>`),
			Result{Type: mention.Like, URL: sourceURL, Name: "A reply", Excerpt: "[…] Hello […]"}},
		// A repost and a bookmark.
		{"repost", hentry(`<a class="u-repost-of" href="https://blog.example.net/posts/hello/">Reposted</a>`),
			Result{Type: mention.Repost, URL: sourceURL, Name: "A reply", Content: mention.Content{Text: "Reposted"}, Excerpt: "Reposted"}},
		// A name without content is the entry's text, as a note's is.
		{"bookmark", hentry(`<p class="p-name">Worth reading</p><a class="u-bookmark-of" href="https://blog.example.net/posts/hello/">bookmarked</a>`),
			Result{Type: mention.Bookmark, URL: sourceURL, Name: "A reply", Content: mention.Content{Text: "Worth reading"}, Excerpt: "Worth reading"}},
		// An RSVP: a reply to the target with an rsvp value.
		{"rsvp", hentry(`<a class="u-in-reply-to" href="https://blog.example.net/posts/hello/">event</a> <data class="p-rsvp" value="Yes">I'll be there</data>`),
			Result{Type: mention.RSVP, RSVP: "yes", URL: sourceURL, Name: "A reply", Excerpt: "[…] event I'll be there […]"}},
		// An rsvp to another event is only a mention of this target.
		{"rsvp to another event", hentry(`<a class="u-in-reply-to" href="https://events.example/e/1">event</a> <data class="p-rsvp" value="yes">going</data><p class="e-content">See ` + tlink + `</p>`),
			Result{Type: mention.Mentions, URL: sourceURL, Name: "A reply",
				Content: mention.Content{HTML: `See <a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>`, Text: "See your post"}, Excerpt: "See your post"}},
		// A like of another page, mentioning the target in passing: a mention.
		{"context names another page", hentry(`<a class="u-like-of" href="https://else.example/">liked</a><p class="e-content">` + tlink + `</p>`),
			Result{Type: mention.Mentions, URL: sourceURL, Name: "A reply",
				Content: mention.Content{HTML: `<a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>`, Text: "your post"}, Excerpt: "your post"}},
		// A title that is not the content is the name; the summary is the excerpt.
		{"article name and summary", hentry(`<h1 class="p-name">On Hugo</h1><p class="p-summary">A short summary.</p><div class="e-content"><p>Long text about ` + tlink + `.</p></div>`),
			Result{Type: mention.Mentions, URL: sourceURL, Name: "On Hugo",
				Content: mention.Content{HTML: `<p>Long text about <a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>.</p>`, Text: "Long text about your post."},
				Excerpt: "A short summary."}},
		// A note whose name is its content: the page title is the name.
		{"note name is content", hentry(`<p class="p-name e-content">Just a note on ` + tlink + `</p>`),
			Result{Type: mention.Mentions, URL: sourceURL, Name: "A reply",
				Content: mention.Content{HTML: `Just a note on <a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>`, Text: "Just a note on your post"},
				Excerpt: "Just a note on your post"}},
		// The entry's u-url; a date in microformats' space-separated form.
		{"u-url and published forms", hentry(`<a class="u-url" href="https://source.example.org/p/1">permalink</a><time class="dt-published">2024-05-06 07:08:09-0500</time><p class="e-content">` + tlink + `</p>`),
			Result{Type: mention.Mentions, URL: "https://source.example.org/p/1", Published: date("2024-05-06T07:08:09-05:00"), Name: "A reply",
				Content: mention.Content{HTML: `<a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>`, Text: "your post"}, Excerpt: "your post"}},
		// A bare entry implies its only link as its url: that is the target, not the entry's URL.
		{"implied url is the target", doc(`<div class="h-entry"><a href="https://blog.example.net/posts/hello/">Liked this</a></div>`),
			Result{Type: mention.Mentions, URL: sourceURL, Name: "A reply", Content: mention.Content{Text: "Liked this"}, Excerpt: "Liked this"}},
		// Of two entries, the one replying to the target is used.
		{"the entry that links", doc(`<div class="h-feed"><div class="h-entry"><p class="p-name">Other</p><p class="e-content">unrelated</p></div>
<div class="h-entry"><p class="p-name">Mine</p><a class="u-in-reply-to" href="https://blog.example.net/posts/hello/">re</a><p class="e-content">Agreed.</p></div></div>`),
			Result{Type: mention.Reply, URL: sourceURL, Name: "Mine", Content: mention.Content{HTML: "Agreed.", Text: "Agreed."}, Excerpt: "Agreed."}},
		// An entry without author takes its h-feed's.
		{"feed author", doc(`<div class="h-feed"><a class="p-author h-card" href="https://source.example.org/">Feed Owner</a>
<div class="h-entry"><p class="e-content">` + tlink + `</p></div></div>`),
			Result{Type: mention.Mentions, Author: mention.Author{Name: "Feed Owner", URL: "https://source.example.org/"}, URL: sourceURL, Name: "A reply",
				Content: mention.Content{HTML: `<a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>`, Text: "your post"}, Excerpt: "your post"}},
		// Else the page's h-card on the source's own host; a card of another host is not the author.
		{"page h-card on the source host", doc(`<div class="h-card"><a class="u-url p-name" href="https://elsewhere.example/">Someone</a></div>
<div class="h-card"><img class="u-photo" src="/me.png" alt=""><a class="u-url p-name" href="/">Site Owner</a></div>
<div class="h-entry"><p class="e-content">` + tlink + `</p></div>`),
			Result{Type: mention.Mentions, Author: mention.Author{Name: "Site Owner", URL: "https://source.example.org/", Photo: "https://source.example.org/me.png"},
				URL: sourceURL, Name: "A reply",
				Content: mention.Content{HTML: `<a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">your post</a>`, Text: "your post"}, Excerpt: "your post"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Source([]byte(tt.html), mustURL(t, sourceURL), targetURL, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r, tt.want)
		})
	}
}

// TestSourceWordPress reads a WordPress post (microformats1: hentry,
// entry-title, entry-content, vcard author, published) and checks every
// field, with the sanitiser at work on the content.
func TestSourceWordPress(t *testing.T) {
	src, err := os.ReadFile("testdata/wordpress-hentry.html")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Source(src, mustURL(t, sourceURL), targetURL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := "I have been reading about static site generators. This post on Hugo explains the trade-offs well. Second paragraph with a relative link and ."
	checkResult(t, r, Result{
		Type:      mention.Mentions,
		Author:    mention.Author{Name: "Jane Doe", URL: "https://source.example.org/author/jane/"},
		URL:       sourceURL,
		Published: date("2024-03-05T10:20:30Z"),
		Name:      "Thoughts on static sites",
		Content: mention.Content{
			HTML: `<p>I have been reading about static site generators. <a href="https://blog.example.net/posts/hello/" rel="nofollow ugc">This post on Hugo</a> explains the trade-offs well.</p>` + "\n" +
				`<p>Second paragraph  with <a href="https://source.example.org/relative/" rel="nofollow ugc">a relative link</a> and <img src="https://source.example.org/img/a.png" alt="A picture">.</p>`,
			Text: text,
		},
		Excerpt: text,
	})
	if r.Title != "Thoughts on static sites – Jane's Blog" {
		t.Errorf("Title = %q", r.Title)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, "" for the zero time
	}{
		{"2024-05-06T07:08:09Z", "2024-05-06T07:08:09Z"},                  // RFC 3339, UTC
		{"2024-05-06T07:08:09.250+02:00", "2024-05-06T07:08:09.25+02:00"}, // fractional seconds
		{"2024-05-06T07:08:09+0200", "2024-05-06T07:08:09+02:00"},         // offset without colon
		{"2024-05-06T07:08:09+02", "2024-05-06T07:08:09+02:00"},           // hour-only offset
		{"2024-05-06 07:08:09-0500", "2024-05-06T07:08:09-05:00"},         // microformats' normalised form
		{"2024-05-06 07:08Z", "2024-05-06T07:08:00Z"},                     // no seconds
		{"2024-05-06t07:08:09z", "2024-05-06T07:08:09Z"},                  // lower-case T and Z
		{"2024-05-06T07:08 +01:00", "2024-05-06T07:08:00+01:00"},          // space before the zone
		{"2024-05-06T07:08:09", "2024-05-06T07:08:09Z"},                   // no zone: UTC
		{"2024-05-06", "2024-05-06T00:00:00Z"},                            // a date alone
		{" 2024-05-06 ", "2024-05-06T00:00:00Z"},                          // surrounding space
		{"May 6, 2024", ""},                                               // prose is no date
		{"", ""},                                                          // nothing
		{"2024-13-45", ""},                                                // impossible date
	}
	for _, tt := range tests {
		got := parseTime(tt.in)
		if tt.want == "" {
			if !got.IsZero() {
				t.Errorf("parseTime(%q) = %v, want zero", tt.in, got)
			}
			continue
		}
		if !got.Equal(date(tt.want)) {
			t.Errorf("parseTime(%q) = %v, want %s", tt.in, got, tt.want)
		}
	}
}
