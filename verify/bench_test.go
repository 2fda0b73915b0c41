package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/hugo-pingback/hugo-pingback/internal/corpustest"
)

// benchPage is a source page and the target it links to.
type benchPage struct {
	src    []byte
	target string
}

// benchCorpus returns corpus pages as sources, each with its first
// external content link as the target (a link in the middle of a typical
// 73 KB page), plain and with the article marked up as an h-entry (the
// microformats path, which parses the page into a tree).
func benchCorpus(b *testing.B) (plain, hentry []benchPage) {
	pages := corpustest.Pages(b)
	for _, p := range pages {
		i := bytes.Index(p.Src, []byte("<article"))
		if i < 0 {
			continue
		}
		j := bytes.Index(p.Src[i:], []byte(`href="https://github.com/`))
		if j < 0 {
			continue
		}
		href := p.Src[i+j+len(`href="`):]
		target := string(href[:bytes.IndexByte(href, '"')])
		if _, err := Source(p.Src, p.URL, target, Options{}); err != nil {
			continue
		}
		plain = append(plain, benchPage{p.Src, target})
		marked := bytes.Replace(p.Src, []byte("<article"), []byte(`<article class="h-entry e-content"`), 1)
		hentry = append(hentry, benchPage{marked, target})
	}
	if len(plain) == 0 {
		b.Skip("no corpus page links to github.com from its article")
	}
	return plain, hentry
}

// BenchmarkSource measures Source per page: on the Hugo docs corpus when
// it is unpacked (HP_CORPUS), plain pages and the same pages as h-entries;
// and always on the fixtures of testdata.
//
//	HP_CORPUS=/tmp/corpus/hugodocs-public go test ./verify -run '^$' -bench Source -benchmem
func BenchmarkSource(b *testing.B) {
	run := func(b *testing.B, pages []benchPage) {
		var n int64
		for _, p := range pages {
			n += int64(len(p.src))
		}
		b.SetBytes(n / int64(len(pages)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			p := pages[i%len(pages)]
			if _, err := Source(p.src, nil, p.target, Options{Media: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("fixtures", func(b *testing.B) {
		var pages []benchPage
		files, _ := filepath.Glob("testdata/*.html")
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			pages = append(pages, benchPage{src, targetURL})
		}
		ar, err := txtar.ParseFile("testdata/overlap.txtar")
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range ar.Files {
			if strings.Contains(string(f.Data), "/posts/static/") && f.Name != "target.html" {
				pages = append(pages, benchPage{f.Data, "https://blog.example.net/posts/static/"})
			}
		}
		run(b, pages)
	})
	b.Run("corpus", func(b *testing.B) {
		plain, _ := benchCorpus(b)
		run(b, plain)
	})
	b.Run("corpus-hentry", func(b *testing.B) {
		_, hentry := benchCorpus(b)
		run(b, hentry)
	})
}

// BenchmarkOverlap measures the scraper check on a corpus page: the
// target's Text and the Overlap of a copy with it.
func BenchmarkOverlap(b *testing.B) {
	plain, _ := benchCorpus(b)
	p := plain[len(plain)/2]
	r, err := Source(p.src, nil, p.target, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Text", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			Text(p.src, nil)
		}
	})
	target := Text(p.src, nil)
	b.Run("Overlap", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			Overlap(r.Text, target)
		}
	})
}
