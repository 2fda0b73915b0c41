package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hugo-pingback/hugo-pingback/internal/hugogen"
	"github.com/hugo-pingback/hugo-pingback/internal/hugotest"
)

// BenchmarkBuildCommand measures the whole `hugo-pingback build` (in-process
// Hugo build, static files, page data, inject into every page, the pages file
// for send) against Hugo's own command building the same generated site of
// 2,000 posts in the same run, alternating the two so that load from other
// processes hits both alike. It reports the ratio as "x-hugo" (target: at
// most 1.25) and the Go heap's peak as reported by the runtime.
//
//	go test ./cmd/hugo-pingback -run '^$' -bench BuildCommand -benchtime 4x
func BenchmarkBuildCommand(b *testing.B) {
	dir := benchHugoSite(b)
	var hugoTime, ourTime time.Duration
	var peakOurs, peakHugo uint64
	measure := func(fn func()) (time.Duration, uint64) {
		runtime.GC()
		var ms runtime.MemStats
		done := make(chan struct{})
		var peak uint64
		go func() { // sample the heap while the build runs
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
			}
		}()
		start := time.Now()
		fn()
		d := time.Since(start)
		close(done)
		return d, peak
	}
	i := 0
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "public")
		runHugo := func() {
			d, p := measure(func() {
				if err := hugotest.Build(dir, out); err != nil {
					b.Fatal(err)
				}
			})
			hugoTime += d
			peakHugo = max(peakHugo, p)
		}
		runOurs := func() {
			ours := filepath.Join(b.TempDir(), "public")
			d, p := measure(func() {
				err := run(context.Background(), []string{"build", "--site", dir, "--destination", ours}, io.Discard, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
			})
			ourTime += d
			peakOurs = max(peakOurs, p)
		}
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
	b.ReportMetric(float64(hugoTime.Milliseconds())/float64(i), "hugo-ms/op")
	b.ReportMetric(float64(peakOurs)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakHugo)/(1<<20), "hugo-peak-heap-MB")
}

var benchHugo struct {
	once sync.Once
	dir  string
	err  error
}

func benchHugoSite(b *testing.B) string {
	b.Helper()
	benchHugo.once.Do(func() {
		benchHugo.dir, benchHugo.err = os.MkdirTemp("", "hp-hugogen-")
		if benchHugo.err == nil {
			benchHugo.err = hugogen.Generate(benchHugo.dir, hugogen.Options{Posts: 2000, Seed: 1})
		}
	})
	if benchHugo.err != nil {
		b.Fatal(benchHugo.err)
	}
	return benchHugo.dir
}
