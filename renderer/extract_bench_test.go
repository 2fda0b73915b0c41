package renderer

import (
	"bytes"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/corpustest"
	"github.com/hugo-pingback/hugo-pingback/internal/sitegen"
	"github.com/hugo-pingback/hugo-pingback/internal/testenv"
	"golang.org/x/net/html"
)

// The speed target of issue 2: extracting the links of every page costs at
// most 1.3x a bare tokenize-only loop over the same bytes. The benchmarks
// run over the same in-memory pages; BenchmarkFirstScanRatio measures both
// in one run and reports the ratio as "x-floor".
//
//	go test ./renderer -run '^$' -bench 'Floor|Extract|Ratio' -benchtime 3x
//	HP_BENCH_PAGES=10000 go test ./renderer -run '^$' -bench FirstScanRatio -benchtime 2x
//	HP_CORPUS=/tmp/corpus/hugodocs-public go test ./renderer -run '^$' -bench Corpus
//
// Wall time on a shared machine is noisy; "x-floor-cpu" (process CPU time)
// is steadier, and extract_insn_test.go counts instructions under valgrind.

type benchPage struct {
	src []byte
	url *url.URL
}

// benchPages is the size of the synthetic site: 500 pages, or HP_BENCH_PAGES.
func benchPages() int {
	if n, err := strconv.Atoi(os.Getenv("HP_BENCH_PAGES")); err == nil && n > 0 {
		return n
	}
	return 500
}

var (
	synthOnce  sync.Once
	synthPages []benchPage
	synthErr   error
)

// synthetic returns benchPages() generated pages, read into memory.
func synthetic(b *testing.B) []benchPage {
	synthOnce.Do(func() {
		dir, err := os.MkdirTemp("", "renderer-bench-")
		if err != nil {
			synthErr = err
			return
		}
		defer os.RemoveAll(dir)
		if _, err := sitegen.Generate(dir, sitegen.Options{Pages: benchPages(), Seed: 1}); err != nil {
			synthErr = err
			return
		}
		synthPages, synthErr = loadPages(dir, sitegen.DefaultBaseURL)
	})
	if synthErr != nil {
		b.Fatal(synthErr)
	}
	return synthPages
}

// corpus returns the pages of the real corpus named by HP_CORPUS (default
// /tmp/corpus/hugodocs-public), or skips.
func corpus(b *testing.B) []benchPage {
	pages, err := loadPages(corpustest.Dir(b), corpustest.BaseURL)
	if err != nil {
		b.Fatal(err)
	}
	return pages
}

func loadPages(dir, base string) ([]benchPage, error) {
	site, err := corpustest.Load(dir, base)
	if err != nil {
		return nil, err
	}
	pages := make([]benchPage, len(site))
	for i, p := range site {
		pages[i] = benchPage{p.Src, p.URL}
	}
	return pages, nil
}

func totalBytes(pages []benchPage) int64 {
	var n int64
	for _, p := range pages {
		n += int64(len(p.src))
	}
	return n
}

func tokenizeAll(pages []benchPage) {
	for _, p := range pages {
		z := html.NewTokenizer(bytes.NewReader(p.src))
		for z.Next() != html.ErrorToken {
		}
	}
}

var benchOpts = &Options{SkipRels: []string{"nofollow", "ugc", "sponsored"}, SkipClasses: []string{"no-pingback"}}

func extractAll(b *testing.B, pages []benchPage) int {
	n := 0
	for _, p := range pages {
		pg, err := Extract(p.src, p.url, benchOpts)
		if err != nil {
			b.Fatal(err)
		}
		n += len(pg.Links)
	}
	return n
}

func BenchmarkTokenizeFloor(b *testing.B) {
	pages := synthetic(b)
	b.SetBytes(totalBytes(pages))
	for b.Loop() {
		tokenizeAll(pages)
	}
}

func BenchmarkExtract(b *testing.B) {
	pages := synthetic(b)
	b.SetBytes(totalBytes(pages))
	b.ReportAllocs()
	for b.Loop() {
		extractAll(b, pages)
	}
}

func BenchmarkExtractSelector(b *testing.B) {
	pages := synthetic(b)
	opts := *benchOpts
	opts.Content = "div.post-content"
	b.SetBytes(totalBytes(pages))
	for b.Loop() {
		for _, p := range pages {
			if _, err := Extract(p.src, p.url, &opts); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// ratio times the floor and Extract alternately over the same pages and
// reports Extract's cost as a multiple of the floor's, both in wall time
// ("x-floor") and in process CPU time ("x-floor-cpu", which time spent
// waiting for a CPU taken by other processes does not distort).
// Alternating keeps both exposed to the same noise.
func ratio(b *testing.B, pages []benchPage) {
	b.SetBytes(totalBytes(pages))
	var floor, ext, floorCPU, extCPU time.Duration
	links := 0
	for b.Loop() {
		c0, t0 := testenv.CPUTime(), time.Now()
		tokenizeAll(pages)
		c1, t1 := testenv.CPUTime(), time.Now()
		links = extractAll(b, pages)
		c2, t2 := testenv.CPUTime(), time.Now()
		floor += t1.Sub(t0)
		ext += t2.Sub(t1)
		floorCPU += c1 - c0
		extCPU += c2 - c1
	}
	b.ReportMetric(float64(ext)/float64(floor), "x-floor")
	if floorCPU > 0 {
		b.ReportMetric(float64(extCPU)/float64(floorCPU), "x-floor-cpu")
	}
	b.ReportMetric(float64(links)/float64(len(pages)), "links/page")
	b.ReportMetric(float64(floor.Microseconds())/float64(b.N)/float64(len(pages)), "floor-µs/page")
	b.ReportMetric(float64(ext.Microseconds())/float64(b.N)/float64(len(pages)), "extract-µs/page")
}

func BenchmarkFirstScanRatio(b *testing.B) { ratio(b, synthetic(b)) }

func BenchmarkCorpusRatio(b *testing.B) { ratio(b, corpus(b)) }

// The same without the early exit: every page tokenized to its end.
func BenchmarkFirstScanRatioFull(b *testing.B) { full(b); ratio(b, synthetic(b)) }

func BenchmarkCorpusRatioFull(b *testing.B) { full(b); ratio(b, corpus(b)) }

func full(b *testing.B) {
	fullScan = true
	b.Cleanup(func() { fullScan = false })
}

func BenchmarkCorpusFloor(b *testing.B) {
	pages := corpus(b)
	b.SetBytes(totalBytes(pages))
	for b.Loop() {
		tokenizeAll(pages)
	}
}

func BenchmarkCorpusExtract(b *testing.B) {
	pages := corpus(b)
	b.SetBytes(totalBytes(pages))
	b.ReportAllocs()
	for b.Loop() {
		extractAll(b, pages)
	}
}

func BenchmarkExtractFull(b *testing.B) {
	full(b)
	BenchmarkExtract(b)
}
