package linkback

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFindTrackback(t *testing.T) {
	tests := []struct {
		name   string
		file   string // under testdata/trackback
		target string
		want   string
	}{
		{
			// WordPress/MT style: one block inside an HTML comment.
			name:   "wordpress single post",
			file:   "wordpress.html",
			target: "http://blog.example/2008/05/hello-trackbacks/",
			want:   "http://blog.example/2008/05/hello-trackbacks/trackback/",
		},
		{
			// The link on the source page lacks the trailing slash.
			name:   "trailing slash normalised",
			file:   "wordpress.html",
			target: "http://blog.example/2008/05/hello-trackbacks",
			want:   "http://blog.example/2008/05/hello-trackbacks/trackback/",
		},
		{
			// A link to a comment anchor still means the post.
			name:   "fragment and host case normalised",
			file:   "wordpress.html",
			target: "http://Blog.Example/2008/05/hello-trackbacks/#comments",
			want:   "http://blog.example/2008/05/hello-trackbacks/trackback/",
		},
		{
			// The blog moved to https; its RDF still says http.
			name:   "scheme ignored",
			file:   "wordpress.html",
			target: "https://blog.example/2008/05/hello-trackbacks/",
			want:   "http://blog.example/2008/05/hello-trackbacks/trackback/",
		},
		{
			// Index page with one block per post: the first block is not
			// ours, the identifier picks the second.
			name:   "index page second block",
			file:   "index.html",
			target: "http://multi.example/archives/000042.html",
			want:   "http://multi.example/mt-tb.cgi/42?x=1&y=2",
		},
		{
			// Same index page, first block.
			name:   "index page first block",
			file:   "index.html",
			target: "http://multi.example/archives/000041.html",
			want:   "http://multi.example/mt-tb.cgi/41",
		},
		{
			// The index page itself is not any post's identifier.
			name:   "index page itself",
			file:   "index.html",
			target: "http://multi.example/",
			want:   "",
		},
		{
			// RDF written with child elements and another prefix.
			name:   "element form",
			file:   "element-form.html",
			target: "https://elem.example/post",
			want:   "https://elem.example/tb/7",
		},
		{
			// RDF present but for another page: not a trackback target.
			name:   "identifier does not match",
			file:   "no-identifier-match.html",
			target: "http://blog.example/2008/05/hello-trackbacks/",
			want:   "",
		},
		{
			// No RDF at all.
			name:   "plain page",
			file:   "../webmention/rocks/03_HTMLLinkTagRelativeURL.txtar",
			target: "http://rocks.example/test/3",
			want:   "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "trackback", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := findTrackback(body, tt.target); got != tt.want {
				t.Errorf("findTrackback(%s, %q) = %q, want %q", tt.file, tt.target, got, tt.want)
			}
		})
	}
}

func TestFindTrackbackInline(t *testing.T) {
	tests := []struct {
		name, body, target, want string
	}{
		{
			// Bare RDF outside a comment (some themes print it so).
			name:   "not in a comment",
			body:   `<rdf:RDF><rdf:Description dc:identifier="http://a.example/p" trackback:ping="http://a.example/tb"/></rdf:RDF>`,
			target: "http://a.example/p",
			want:   "http://a.example/tb",
		},
		{
			// Upper-case element names from a hand-written template.
			name:   "upper case",
			body:   `<RDF:RDF><RDF:Description DC:identifier="http://a.example/p" TRACKBACK:ping="http://a.example/tb"/></RDF:RDF>`,
			target: "http://a.example/p",
			want:   "http://a.example/tb",
		},
		{
			// A matching block without a ping URL gives nothing.
			name:   "no ping",
			body:   `<rdf:RDF><rdf:Description dc:identifier="http://a.example/p"/></rdf:RDF>`,
			target: "http://a.example/p",
			want:   "",
		},
		{
			// An unclosed block is not read past the end of the page.
			name:   "unclosed",
			body:   `<rdf:RDF><rdf:Description dc:identifier="http://a.example/p" trackback:ping="http://a.example/tb"/>`,
			target: "http://a.example/p",
			want:   "",
		},
		{
			// Broken XML inside the block: the description read so far counts.
			name:   "broken xml after description",
			body:   `<rdf:RDF><rdf:Description dc:identifier="http://a.example/p" trackback:ping="http://a.example/tb"> <<<</rdf:RDF>`,
			target: "http://a.example/p",
			want:   "http://a.example/tb",
		},
		{
			// Bytes whose lower case is longer (invalid UTF-8, "İ") before
			// the block must not shift the offsets used to cut it out.
			name:   "non-ASCII before block",
			body:   strings.Repeat("\xffİ", 40) + `<rdf:RDF><rdf:Description dc:identifier="http://a.example/p" trackback:ping="http://a.example/tb"/></rdf:RDF>`,
			target: "http://a.example/p",
			want:   "http://a.example/tb",
		},
		{
			// A target that is not an absolute URL never matches.
			name:   "relative target",
			body:   `<rdf:RDF><rdf:Description dc:identifier="/p" trackback:ping="/tb"/></rdf:RDF>`,
			target: "/p",
			want:   "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findTrackback([]byte(tt.body), tt.target); got != tt.want {
				t.Errorf("findTrackback(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestTrackbackExcerpt(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want string
	}{
		// Short text is only tidied.
		{"short", "  Hello\n\tworld  ", 250, "Hello world"},
		// Exactly max characters: kept whole.
		{"exact", "abcde fghij", 11, "abcde fghij"},
		// Cut after the last whole word, ellipsis within max.
		{"cut on word", "The quick brown fox jumps over the lazy dog", 20, "The quick brown fox…"},
		// Punctuation before the cut is not left dangling.
		{"trailing comma", "one, two, three, four", 12, "one, two…"},
		// Characters, not bytes: accented text is not cut short.
		{"runes", "été été été été", 9, "été été…"},
		// One long word is cut inside.
		{"one long word", strings.Repeat("x", 30), 10, strings.Repeat("x", 9) + "…"},
		// max 0 means no limit.
		{"no limit", "a  b", 0, "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TrackbackExcerpt(tt.text, tt.max)
			if got != tt.want {
				t.Errorf("TrackbackExcerpt(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
			if tt.max > 0 && utf8.RuneCountInString(got) > tt.max {
				t.Errorf("%q is longer than %d characters", got, tt.max)
			}
		})
	}
}

func FuzzFindTrackback(f *testing.F) {
	for _, name := range []string{"wordpress.html", "index.html", "element-form.html", "no-identifier-match.html"} {
		b, err := os.ReadFile(filepath.Join("testdata", "trackback", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "http://multi.example/archives/000042.html")
	}
	f.Add([]byte(`<rdf:RDF><rdf:Description dc:identifier="http://a.example/p" trackback:ping="x"/></rdf:RDF>`), "http://a.example/p/")
	f.Fuzz(func(t *testing.T, body []byte, target string) {
		got := findTrackback(body, target)
		if got == "" {
			return
		}
		// A ping URL is only ever found for an absolute target, inside an
		// RDF block.
		if normalizeIdentifier(target) == "" {
			t.Fatalf("ping %q found for non-URL target %q", got, target)
		}
		if !bytes.Contains(bytes.ToLower(body), []byte("<rdf:rdf")) {
			t.Fatalf("ping %q found without an RDF block", got)
		}
	})
}

// BenchmarkFindTrackback measures a 1 MiB index page with 100 RDF blocks
// whose match is the last.
func BenchmarkFindTrackback(b *testing.B) {
	var page []byte
	for i := 0; i < 100; i++ {
		page = append(page, strings.Repeat("<p>filler text of an index page</p>\n", 280)...)
		page = fmt.Appendf(page, `<!-- <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/">
<rdf:Description rdf:about="http://b.example/%[1]d" dc:identifier="http://b.example/%[1]d" trackback:ping="http://b.example/tb/%[1]d"/></rdf:RDF> -->`, i)
	}
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if got := findTrackback(page, "http://b.example/99"); got != "http://b.example/tb/99" {
			b.Fatalf("got %q", got)
		}
	}
}
