package renderer

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateExtract = flag.Bool("update-extract", false, "rewrite renderer/testdata/extract/*.golden")

var pageURLComment = regexp.MustCompile(`^<!-- page-url: (\S+) -->`)

// fixturePageURL reads the page URL from the fixture's first line.
func fixturePageURL(src []byte) string {
	if m := pageURLComment.FindSubmatch(src); m != nil {
		return string(m[1])
	}
	return pageURL
}

// formatPage renders what Extract found, one fact per line, for golden files.
func formatPage(p *Page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kind: %s\nregion: %s\ntitle: %q\nexcerpt: %q\n", p.Kind, p.Region, p.Title, p.Excerpt)
	for _, l := range p.Links {
		fmt.Fprintf(&b, "link: %s\n  href: %q\n  text: %q\n  offset: %d\n", l.URL, l.Href, l.Text, l.Offset)
		if len(l.Rel) > 0 {
			fmt.Fprintf(&b, "  rel: %s\n", strings.Join(l.Rel, " "))
		}
		if l.Skip != "" {
			fmt.Fprintf(&b, "  skip: %s\n", l.Skip)
		}
	}
	return b.String()
}

// TestExtractGolden runs Extract with the default options over every
// testdata/extract/*.html and compares with the .golden file beside it
// (go test ./renderer -run TestExtractGolden -update-extract rewrites them).
func TestExtractGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/extract/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Extract(src, mustURL(t, fixturePageURL(src)), defaultOpts)
			if err != nil {
				t.Fatal(err)
			}
			got := formatPage(p)
			golden := strings.TrimSuffix(f, ".html") + ".golden"
			if *updateExtract {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-extract to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", f, golden, got, want)
			}
		})
	}
}
