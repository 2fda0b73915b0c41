package verify

import (
	"math"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

func TestOverlap(t *testing.T) {
	tests := []struct {
		name           string
		source, target string
		want           float64
	}{
		// Every shingle of the target is in the source.
		{"same text", "one two three four five six", "one two three four five six", 1},
		// Case, punctuation and spacing do not matter.
		{"normalised", "ONE, two; three...\n four (five) six!", "one two three four five six", 1},
		// The target inside a longer source.
		{"contained", "intro words here one two three four five six outro", "one two three four five six", 1},
		// Half of the target's two shingles.
		{"half", "one two three four five", "one two three four five six", 0.5},
		// Nothing shared.
		{"disjoint", "alpha beta gamma delta epsilon", "one two three four five", 0},
		// The same words in another order share no five-word run.
		{"shuffled", "five four three two one six", "one two three four five six", 0},
		// A target shorter than a shingle is one shingle of all its words.
		{"short target", "so we said hello world again today", "Hello, world!", 1},
		{"short target absent", "hello there world", "hello world", 0},
		// No words: nothing to copy.
		{"empty target", "anything at all", " ... ", 0},
		{"empty source", "", "one two three four five", 0},
		// Letters of any script are words; diacritics count.
		{"unicode words", "Ünïcödé wörds ârè wörds töö", "ünïcödé wörds ârè wörds töö", 1},
		{"diacritics differ", "unicode words are words too", "ünïcödé wörds ârè wörds töö", 0},
		// Han characters are words of their own.
		{"han", "我们今天去公园散步了", "今天去公园散步", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Overlap(tt.source, tt.target); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Overlap(%q, %q) = %v, want %v", tt.source, tt.target, got, tt.want)
			}
		})
	}
}

// TestOverlapFixtures runs the receiver's scraper check on the pages of
// testdata/overlap.txtar: a copy scores at or above the threshold, a post
// quoting one paragraph and an unrelated post below it.
func TestOverlapFixtures(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/overlap.txtar")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range ar.Files {
		files[f.Name] = f.Data
	}
	target := "https://blog.example.net/posts/static/"
	targetText := Text(files["target.html"], mustURL(t, target))
	if strings.Contains(targetText, "Posts About") || strings.Contains(targetText, "Nobody has written") || !strings.HasPrefix(targetText, "For eleven years") {
		t.Fatalf("target text is not the post's content: %q", targetText)
	}
	for _, tt := range []struct {
		file     string
		min, max float64
	}{
		{"copy.html", 0.95, 1},      // the whole post, an advert spliced in
		{"quote.html", 0.15, 0.30},  // one of five paragraphs
		{"unrelated.html", 0, 0.01}, // a link and nothing else in common
	} {
		r, err := Source(files[tt.file], mustURL(t, "https://other.example.org/"+tt.file), target, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		got := Overlap(r.Text, targetText)
		t.Logf("%s: %.3f", tt.file, got)
		if got < tt.min || got > tt.max {
			t.Errorf("%s: Overlap = %.3f, want %.2f to %.2f", tt.file, got, tt.min, tt.max)
		}
		if scraper := got >= DefaultScraperThreshold; scraper != (tt.file == "copy.html") {
			t.Errorf("%s: at threshold %.2f taken for a scraper: %v", tt.file, DefaultScraperThreshold, scraper)
		}
	}
}
