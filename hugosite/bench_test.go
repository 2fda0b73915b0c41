package hugosite

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/hugogen"
)

// benchPosts is the size of the generated site the target names.
const benchPosts = 2000

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

// benchSite generates the 2,000-post source site once per test binary run.
func benchSite(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "hugogen-bench-")
		if benchErr == nil {
			benchErr = hugogen.Generate(benchDir, hugogen.Options{Posts: benchPosts, Seed: 1})
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

// TestMain makes the tests hermetic: Load reads HUGO_* variables (as hugo
// does) while Hugo's command skips them under go test, so none may leak in
// from the caller. It also removes the benchmarks' shared site.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "HUGO_") {
			os.Unsetenv(k)
		}
	}
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// BenchmarkHugoBuild is the baseline: Hugo's own command, in-process, as
// `hugo --source DIR --destination OUT` runs it.
func BenchmarkHugoBuild(b *testing.B) {
	dir := benchSite(b)
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "public")
		hugoReference(b, dir, out)
	}
}

// BenchmarkSiteBuild is our Load and Build: the same work as the baseline.
func BenchmarkSiteBuild(b *testing.B) {
	dir := benchSite(b)
	for b.Loop() {
		s, err := Load(context.Background(), Options{Dir: dir, Flags: Flags{"destination": {filepath.Join(b.TempDir(), "public")}}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Build(context.Background()); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkSiteBuildAndPages adds the page listing `hugo-pingback build`
// records for send: front matter and the links of each rendered content.
func BenchmarkSiteBuildAndPages(b *testing.B) {
	dir := benchSite(b)
	var inPages time.Duration
	for b.Loop() {
		s, err := Load(context.Background(), Options{Dir: dir, Flags: Flags{"destination": {filepath.Join(b.TempDir(), "public")}}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Build(context.Background()); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		pages, err := s.Pages(context.Background(), nil)
		inPages += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(pages) != benchPosts {
			b.Fatalf("%d pages, want %d", len(pages), benchPosts)
		}
		s.Close()
	}
	b.ReportMetric(float64(inPages.Milliseconds())/float64(b.N), "pages-ms/op")
}

// BenchmarkBuildRatio alternates the two in each iteration, each after a
// GC and in turn first, so load from other processes and the other's garbage
// hit both alike, and reports the cost of Build and Pages as a multiple of
// Hugo's own build ("x-hugo"; the budget for the whole
// `hugo-pingback build`, inject included, is 1.25).
func BenchmarkBuildRatio(b *testing.B) {
	dir := benchSite(b)
	var hugoTime, ourTime time.Duration
	runHugo := func() {
		runtime.GC()
		start := time.Now()
		hugoReference(b, dir, filepath.Join(b.TempDir(), "public"))
		hugoTime += time.Since(start)
	}
	runOurs := func() {
		runtime.GC()
		start := time.Now()
		s, err := Load(context.Background(), Options{Dir: dir, Flags: Flags{"destination": {filepath.Join(b.TempDir(), "public")}}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Build(context.Background()); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Pages(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		s.Close()
		ourTime += time.Since(start)
	}
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			runHugo()
			runOurs()
		} else {
			runOurs()
			runHugo()
		}
		i++
	}
	b.ReportMetric(float64(ourTime)/float64(hugoTime), "x-hugo")
	b.ReportMetric(float64(hugoTime.Milliseconds())/float64(b.N), "hugo-ms/op")
	b.ReportMetric(float64(ourTime.Milliseconds())/float64(b.N), "ours-ms/op")
}
