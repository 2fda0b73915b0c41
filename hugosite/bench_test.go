package hugosite

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/hugosite/hugogen"
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

// TestMain removes the benchmark site, shared by the benchmarks of a run.
func TestMain(m *testing.M) {
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
		s, err := Load(context.Background(), Options{Dir: dir, Destination: filepath.Join(b.TempDir(), "public")})
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
		s, err := Load(context.Background(), Options{Dir: dir, Destination: filepath.Join(b.TempDir(), "public")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Build(context.Background()); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		pages, err := s.Pages(context.Background())
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
