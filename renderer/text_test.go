package renderer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		name string
		html string
		opts *Options
		want string
	}{
		// The article is the region: header, nav, aside, footer and the
		// script in <head> give no text.
		{"article without chrome", page(`<article><h1>Title</h1><p>First <b>bold</b> para.</p><p>Second.</p><footer>share this</footer></article>`), nil,
			"Title First bold para. Second."},
		// An h-entry's e-content wins; its name and the comments do not count.
		{"h-entry e-content", page(`<article class="h-entry"><h1 class="p-name">Name</h1><div class="e-content"><p>Body text.</p></div></article><div id="comments"><p>A comment.</p></div>`), nil,
			"Body text."},
		// Block elements separate words, inline ones do not; entities are decoded.
		{"blocks and inline", page(`<main><ul><li>one</li><li>two</li></ul><p>to<em>get</em>her &amp; more</p></main>`), nil,
			"one two together & more"},
		// Script, style, template and noscript inside the region give no text.
		{"inert elements", page(`<article>a<script>var s="x";</script><style>p{}</style><template><p>t</p></template><noscript>n</noscript> b</article>`), nil,
			"a b"},
		// A selector replaces the chain; every match counts, in order.
		{"selector", page(`<div class="post">one</div><article>not this</article><div class="post">two</div>`), &Options{Content: ".post"},
			"one two"},
		// No region: the body without chrome.
		{"body", page(`<p>just body</p>`), nil, "just body"},
		// The early exit after the region closes loses no region text.
		{"text after the region", `<html><body><main><p>in main</p></main><p>after ` + strings.Repeat("x ", 10) + `</p></body></html>`, nil,
			"in main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Text([]byte(tt.html), mustURL(t, pageURL), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Text = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTextLong checks that Text is not cut at the excerpt length but at
// TextLen characters, on a rune boundary.
func TestTextLong(t *testing.T) {
	word := "wörd "
	src := "<article><p>" + strings.Repeat(word, TextLen/len([]rune(word))+100) + "</p></article>"
	got, err := Text([]byte(src), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(got); n != TextLen {
		t.Errorf("Text has %d characters, want %d", n, TextLen)
	}
	if !utf8.ValidString(got) {
		t.Error("Text is not valid UTF-8")
	}
	short := "<article><p>" + strings.Repeat(word, 200) + "</p></article>"
	got, _ = Text([]byte(short), nil, nil)
	if want := strings.TrimSpace(strings.Repeat(word, 200)); got != want {
		t.Errorf("Text of 1000 characters cut to %d", len([]rune(got)))
	}
}

// TestTextAgreesWithExtract checks on every fixture that Extract's excerpt
// is the start of Text: both read the same region.
func TestTextAgreesWithExtract(t *testing.T) {
	files, _ := filepath.Glob("testdata/extract/*.html")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u := mustURL(t, fixturePageURL(src))
		p, err := Extract(src, u, defaultOpts)
		if err != nil {
			t.Fatal(err)
		}
		text, err := Text(src, u, defaultOpts)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(text, strings.TrimSuffix(p.Excerpt, "…")) {
			t.Errorf("%s: excerpt %q is not the start of Text %q", f, p.Excerpt, text)
		}
		if p.Excerpt != "" && text == "" {
			t.Errorf("%s: Text is empty", f)
		}
	}
}

func TestTextInvalidSelector(t *testing.T) {
	_, err := Text([]byte("<p>x"), nil, &Options{Content: "div["})
	if !errors.Is(err, ErrInvalidSelector) {
		t.Errorf("err = %v, want ErrInvalidSelector", err)
	}
}
