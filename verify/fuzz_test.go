package verify

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/net/html"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// fuzzSeeds returns the pages of the tests: the fixtures and the table rows.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	files, _ := filepath.Glob("testdata/*.html")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	ar, err := txtar.ParseFile("testdata/overlap.txtar")
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range ar.Files {
		seeds = append(seeds, f.Data)
	}
	for _, s := range []string{
		doc(`<p>See <a href="https://blog.example.net/posts/hello/">this</a>.</p>`),
		doc(`<!-- <a href="https://blog.example.net/posts/hello/">x</a> --><script>'<a href="https://blog.example.net/posts/hello/">'</script>`),
		`<a href="hello/">x</a><base href="https://blog.example.net/posts/">`,
		doc(`<img src="https://blog.example.net/posts/hello/"><video poster="/x"></video>`),
		hentry(`<span class="p-author h-card"><img class="u-photo" src="/me.jpg"><a class="u-url p-name" href="/">A</a></span><a class="u-in-reply-to" href="https://blog.example.net/posts/hello/">re</a><data class="p-rsvp" value="yes"></data>`),
		hentry(`<p class="p-name e-content">note <a href="https://blog.example.net/posts/hello/" onclick="x()">t</a><script>alert(1)</script><a href="javascript:alert(1)">j</a></p>`),
		doc(`<div class="h-feed"><a class="p-author h-card" href="/">F</a><div class="h-entry"><p class="e-content"><a href="https://blog.example.net/posts/hello/">t</a><iframe src=x></iframe></p></div></div>`),
		doc(`<a href="https://blog.example.net/posts/hello/"><div>card</div></a><template><a href="https://blog.example.net/posts/hello/">`),
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzSource checks Source on any page: no panic; the only error is
// ErrNoLink; every string valid UTF-8 and within its cap; the type and
// RSVP among the known values; URLs absolute http(s); content HTML safe
// (no script or style element, no on… or style attribute, no URL but
// http(s), every link rel="nofollow ugc"); Overlap within 0 and 1. And a
// page that is only <a href=URL> always links to URL.
func FuzzSource(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, targetURL, false)
	}
	f.Add([]byte(`<img src="https://blog.example.net/posts/hello/">`), "HTTPS://Blog.example.net:443/posts/hello/index.html#x", true)
	src := mustURL(f, sourceURL)
	f.Fuzz(func(t *testing.T, doc []byte, href string, media bool) {
		r, err := Source(doc, src, targetURL, Options{Media: media})
		switch {
		case errors.Is(err, ErrNoLink):
			if r != nil {
				t.Fatal("result with ErrNoLink")
			}
		case err != nil:
			t.Fatalf("Source: %v", err)
		default:
			checkResultInvariants(t, r)
			if o := Overlap(r.Text, Text(doc, src)); o < 0 || o > 1 {
				t.Errorf("Overlap = %v", o)
			}
		}

		// The page is written with the URL as linkurl reads it: an href
		// with a NUL is another URL to a browser (the NUL becomes U+FFFD),
		// while a target's NUL at the end is trimmed like any control.
		u := linkurl.Parse(href)
		if u == nil {
			return
		}
		only := `<a href="` + html.EscapeString(u.String()) + `">x</a>`
		if _, err := Source([]byte(only), src, href, Options{}); err != nil {
			t.Errorf("%s: %v", only, err)
		}
		img := `<img src="` + html.EscapeString(u.String()) + `">`
		if _, err := Source([]byte(img), src, href, Options{Media: true}); err != nil {
			t.Errorf("%s with Media: %v", img, err)
		}
	})
}

func checkResultInvariants(t *testing.T, r *Result) {
	t.Helper()
	for name, s := range map[string]string{
		"Title": r.Title, "Author.Name": r.Author.Name, "Author.URL": r.Author.URL, "Author.Photo": r.Author.Photo,
		"URL": r.URL, "Name": r.Name, "Content.HTML": r.Content.HTML, "Content.Text": r.Content.Text,
		"Excerpt": r.Excerpt, "RSVP": r.RSVP, "Text": r.Text,
	} {
		if !utf8.ValidString(s) {
			t.Errorf("%s is not valid UTF-8: %q", name, s)
		}
	}
	for name, c := range map[string]struct{ n, max int }{
		"Title":        {utf8.RuneCountInString(r.Title), maxName},
		"Name":         {utf8.RuneCountInString(r.Name), maxName},
		"Author.Name":  {utf8.RuneCountInString(r.Author.Name), maxName},
		"Excerpt":      {utf8.RuneCountInString(r.Excerpt), maxExcerpt},
		"Content.Text": {len(r.Content.Text), maxText},
		"Content.HTML": {len(r.Content.HTML), maxHTML},
	} {
		if c.n > c.max {
			t.Errorf("%s is %d long, cap %d", name, c.n, c.max)
		}
	}
	switch r.Type {
	case mention.Reply, mention.Like, mention.Repost, mention.Bookmark, mention.Mentions:
		if r.RSVP != "" {
			t.Errorf("RSVP %q on a %s", r.RSVP, r.Type)
		}
	case mention.RSVP:
		switch r.RSVP {
		case "yes", "no", "maybe", "interested":
		default:
			t.Errorf("RSVP = %q", r.RSVP)
		}
	default:
		t.Errorf("Type = %q", r.Type)
	}
	for name, u := range map[string]string{"URL": r.URL, "Author.URL": r.Author.URL, "Author.Photo": r.Author.Photo} {
		if u != "" && linkurl.Parse(u) == nil {
			t.Errorf("%s = %q, not an absolute http(s) URL", name, u)
		}
	}
	if strings.Contains(r.Text, "  ") || strings.TrimSpace(r.Text) != r.Text {
		t.Errorf("Text is not collapsed: %q", r.Text)
	}
	checkSafeHTML(t, r.Content.HTML)
}

// FuzzOverlap checks Overlap's bounds and its two exact cases: a text
// against itself, and a text inside a longer one, score 1 (when the text
// has words).
func FuzzOverlap(f *testing.F) {
	f.Add("one two three four five six", "seven eight")
	f.Add("Hello, wörld!", "我们今天去公园散步了")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		if o := Overlap(a, b); o < 0 || o > 1 {
			t.Fatalf("Overlap = %v", o)
		}
		want := 0.0
		if len(wordHashes(a)) > 0 {
			want = 1
		}
		if o := Overlap(a, a); o != want {
			t.Errorf("Overlap(a, a) = %v, want %v", o, want)
		}
		if o := Overlap(b+" "+a+" "+b, a); o != want {
			t.Errorf("Overlap(b a b, a) = %v, want %v", o, want)
		}
	})
}
