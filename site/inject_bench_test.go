package site

// Speed targets (issue 3), on the 10,000-page synthetic site: inject on a
// fresh build costs at most 2x a plain copy of the same files, and a second
// run (nothing to change) at most 0.5x. BenchmarkInjectRatios measures all
// three in one run and reports the ratios:
//
//	go test -run XXX -bench InjectRatios -benchtime 3x ./site/
//
// -bench-pages changes the site size.

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/internal/sitegen"
)

var benchPages = flag.Int("bench-pages", 10000, "pages in the synthetic site of the inject benchmarks")

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

// benchSite generates the synthetic site once per process.
func benchSite(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "hp-inject-bench-")
		if benchErr != nil {
			return
		}
		_, benchErr = sitegen.Generate(filepath.Join(benchDir, "site"), sitegen.Options{Pages: *benchPages, ListPages: true})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return filepath.Join(benchDir, "site")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// copyTree is `cp -r src dst` in Go: every directory made, every file read
// and written once, sequentially.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
}

var benchTags = InjectOptions{Tags: tags}

func BenchmarkCopyTree(b *testing.B) {
	src := benchSite(b)
	tmp := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(tmp, fmt.Sprint(i))
		if err := copyTree(src, dst); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dst)
		b.StartTimer()
	}
}

func BenchmarkInjectFresh(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%v", sync), func(b *testing.B) {
			src := benchSite(b)
			tmp := b.TempDir()
			opts := benchTags
			opts.Sync = sync
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dst := filepath.Join(tmp, fmt.Sprint(i))
				if err := copyTree(src, dst); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := Inject(context.Background(), []config.Root{{Dir: dst}}, opts)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Changed == 0 {
					b.Fatal("fresh site: nothing changed")
				}
				b.StopTimer()
				os.RemoveAll(dst)
				b.StartTimer()
			}
		})
	}
}

func BenchmarkInjectNoop(b *testing.B) {
	src := benchSite(b)
	dst := filepath.Join(b.TempDir(), "site")
	if err := copyTree(src, dst); err != nil {
		b.Fatal(err)
	}
	if _, err := Inject(context.Background(), []config.Root{{Dir: dst}}, benchTags); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Inject(context.Background(), []config.Root{{Dir: dst}}, benchTags)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Changed != 0 {
			b.Fatal("second run changed pages")
		}
	}
}

// BenchmarkInjectRatios times a real `cp -r`, the Go copy, a fresh inject
// and a no-op inject side by side in each iteration and reports the
// inject/copy ratios, so the targets are checked under the same machine load.
func BenchmarkInjectRatios(b *testing.B) {
	src := benchSite(b)
	tmp := b.TempDir()
	cp, cpErr := exec.LookPath("cp")
	var cpT, copyT, freshT, noopT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if cpErr == nil {
			cpDst := filepath.Join(tmp, fmt.Sprint("cp", i))
			t := time.Now()
			if out, err := exec.Command(cp, "-r", src, cpDst).CombinedOutput(); err != nil {
				b.Fatalf("cp -r: %v %s", err, out)
			}
			cpT += time.Since(t)
			b.StopTimer()
			os.RemoveAll(cpDst)
			b.StartTimer()
		}
		dst := filepath.Join(tmp, fmt.Sprint(i))
		t0 := time.Now()
		if err := copyTree(src, dst); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := Inject(context.Background(), []config.Root{{Dir: dst}}, benchTags); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := Inject(context.Background(), []config.Root{{Dir: dst}}, benchTags); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		copyT += t1.Sub(t0)
		freshT += t2.Sub(t1)
		noopT += t3.Sub(t2)
		b.StopTimer()
		os.RemoveAll(dst)
		b.StartTimer()
	}
	if cpErr == nil {
		b.ReportMetric(float64(cpT.Milliseconds())/float64(b.N), "cp-r-ms")
		b.ReportMetric(float64(freshT)/float64(cpT), "fresh/cp-r")
		b.ReportMetric(float64(noopT)/float64(cpT), "noop/cp-r")
	}
	b.ReportMetric(float64(copyT.Milliseconds())/float64(b.N), "copy-ms")
	b.ReportMetric(float64(freshT.Milliseconds())/float64(b.N), "fresh-ms")
	b.ReportMetric(float64(noopT.Milliseconds())/float64(b.N), "noop-ms")
	b.ReportMetric(float64(freshT)/float64(copyT), "fresh/copy")
	b.ReportMetric(float64(noopT)/float64(copyT), "noop/copy")
}
