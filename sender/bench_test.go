package sender

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/sync/errgroup"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/internal/sitegen"
	"github.com/hugo-pingback/hugo-pingback/internal/testenv"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// The send benchmarks run on a synthetic built site of HP_BENCH_PAGES pages
// (default 2,000; the README's figures use 10,000 and 100,000) or, with
// HP_CORPUS=DIR, on a real built site such as the Hugo docs in
// ../shared/corpus/. Generating 100,000 pages takes minutes and 2.6 GB:
// HP_BENCH_DIR=DIR keeps the generated site there for the next run.
//
//	go test ./sender -run '^$' -bench . -benchtime 5x
//	HP_BENCH_PAGES=10000 go test ./sender -run '^$' -bench . -benchtime 5x
//	HP_BENCH_PAGES=100000 HP_BENCH_DIR=/tmp/site100k go test ./sender -run '^$' -bench 'Ratios|PeakRSS' -benchtime 1x -timeout 1h
//
// BenchmarkTokenizeFloor is the floor the others are measured against: read
// every page and run the HTML tokenizer over it once, in parallel like the
// scan, doing nothing else.

var benchSite struct {
	once  sync.Once
	dir   string
	base  string
	stats sitegen.Stats
	err   error
}

func benchPublic(b *testing.B) (dir, base string) {
	b.Helper()
	if c := os.Getenv("HP_CORPUS"); c != "" {
		return c, "https://gohugo.io/"
	}
	benchSite.once.Do(func() {
		n := 2000
		if v, err := strconv.Atoi(os.Getenv("HP_BENCH_PAGES")); err == nil && v > 0 {
			n = v
		}
		benchSite.base = sitegen.DefaultBaseURL
		opts := sitegen.Options{Pages: n, Seed: 1, ListPages: true}
		if keep := os.Getenv("HP_BENCH_DIR"); keep != "" {
			benchSite.dir = filepath.Join(keep, fmt.Sprintf("site-%d", n))
			benchSite.stats, benchSite.err = generateOnce(benchSite.dir, opts)
			return
		}
		benchSite.dir, benchSite.err = os.MkdirTemp("", "hp-bench-")
		if benchSite.err == nil {
			benchSite.stats, benchSite.err = sitegen.Generate(benchSite.dir, opts)
		}
	})
	if benchSite.err != nil {
		b.Fatal(benchSite.err)
	}
	return benchSite.dir, benchSite.base
}

// generateOnce generates the site into dir unless a complete one is there
// (a stats file is written last), and returns its stats.
func generateOnce(dir string, opts sitegen.Options) (sitegen.Stats, error) {
	var st sitegen.Stats
	statsFile := filepath.Join(dir, ".sitegen.json")
	if data, err := os.ReadFile(statsFile); err == nil && json.Unmarshal(data, &st) == nil {
		return st, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return st, err
	}
	st, err := sitegen.Generate(dir, opts)
	if err != nil {
		return st, err
	}
	data, _ := json.Marshal(st)
	return st, os.WriteFile(statsFile, data, 0o644)
}

func benchFiles(b *testing.B, dir, base string) []site.File {
	var files []site.File
	if err := site.Walk(config.Root{Dir: dir, BaseURL: base}, func(f site.File) error {
		files = append(files, f)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return files
}

func BenchmarkTokenizeFloor(b *testing.B) {
	dir, base := benchPublic(b)
	files := benchFiles(b, dir, base)
	var bytesRead int64
	for _, f := range files {
		if fi, err := os.Stat(f.Path); err == nil {
			bytesRead += fi.Size()
		}
	}
	b.SetBytes(bytesRead)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tokenizeAll(b, files)
	}
	b.ReportMetric(float64(len(files)), "pages")
}

// BenchmarkFirstScan is a dry run with no ledger: every page is read,
// hashed and parsed, and the plan made, with no request and no write.
func BenchmarkFirstScan(b *testing.B) {
	dir, base := benchPublic(b)
	cfg := benchConfig(dir, base, filepath.Join(b.TempDir(), "none.db"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := New(cfg, nil, nil, Options{Mode: ModeDryRun})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	reportPeak(b)
}

// BenchmarkBaseline is a first real run with --baseline: the first scan plus
// writing every page and link to a new ledger.
func BenchmarkBaseline(b *testing.B) {
	dir, base := benchPublic(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "ledger.db")
		l, err := state.Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s, err := New(benchConfig(dir, base, path), l, nil, Options{Mode: ModeBaseline})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
	reportPeak(b)
}

// BenchmarkRerunUnchanged is the common CI case: a send after a build that
// changed nothing. Pages are read and hashed, never parsed, and nothing is sent.
func BenchmarkRerunUnchanged(b *testing.B) {
	dir, base := benchPublic(b)
	path := filepath.Join(b.TempDir(), "ledger.db")
	l, err := state.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	cfg := benchConfig(dir, base, path)
	s, err := New(cfg, l, nil, Options{Mode: ModeBaseline})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	client := linkback.NewClient(linkback.ClientOptions{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := New(cfg, l, client, Options{})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := s.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if rep.Unchanged != rep.Pages || len(rep.Items) != 0 {
			b.Fatalf("re-run parsed %d pages and sent %d", rep.Pages-rep.Unchanged, len(rep.Items))
		}
	}
	reportPeak(b)
}

// reportPeak reports the heap's peak as the runtime saw it (total memory
// mapped for the heap, which bounds the live peak from above).
func reportPeak(b *testing.B) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	b.ReportMetric(float64(s[1].Value.Uint64())/(1<<20), "MB-total-mapped")
}

// BenchmarkRatios runs the floor, a first scan (a dry run without a
// ledger), an unchanged re-run and a --baseline into a new ledger in turn
// within each iteration, each after a GC, so that load from other
// processes hits them alike, and reports the ratios:
// first-x-floor (target at most 1.15), rerun-x-floor (at most 0.25) and
// baseline-x-floor (at most 1.3).
//
//	HP_BENCH_PAGES=10000 go test ./sender -run '^$' -bench Ratios -benchtime 5x
func BenchmarkRatios(b *testing.B) {
	dir, base := benchPublic(b)
	files := benchFiles(b, dir, base)
	path := filepath.Join(b.TempDir(), "ledger.db")
	l, err := state.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	run := func(l *state.Ledger, mode Mode) *Report {
		ledger := path
		if l != nil {
			ledger = l.Path()
		}
		s, err := New(benchConfig(dir, base, ledger), l, linkback.NewClient(linkback.ClientOptions{}), Options{Mode: mode})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := s.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return rep
	}
	run(l, ModeBaseline)
	// Wall time, and the process's CPU time, which other processes' load
	// on a shared machine disturbs less.
	type cost struct{ wall, cpu time.Duration }
	timed := func(c *cost, fn func()) {
		runtime.GC()
		start, cpu := time.Now(), testenv.CPUTime()
		fn()
		c.wall += time.Since(start)
		c.cpu += testenv.CPUTime() - cpu
	}
	var floor, first, rerun, baseline cost
	for b.Loop() {
		timed(&floor, func() { tokenizeAll(b, files) })
		timed(&first, func() { run(nil, ModeDryRun) })
		timed(&rerun, func() {
			if rep := run(l, ModeSend); rep.Unchanged != rep.Pages {
				b.Fatalf("re-run parsed %d pages", rep.Pages-rep.Unchanged)
			}
		})
		fresh, err := state.Open(filepath.Join(b.TempDir(), "ledger.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		timed(&baseline, func() { run(fresh, ModeBaseline) })
		fresh.Close()
	}
	for _, m := range []struct {
		name string
		c    cost
	}{{"first", first}, {"rerun", rerun}, {"baseline", baseline}} {
		b.ReportMetric(float64(m.c.wall)/float64(floor.wall), m.name+"-x-floor")
		if floor.cpu > 0 {
			b.ReportMetric(float64(m.c.cpu)/float64(floor.cpu), m.name+"-x-floor-cpu")
		}
	}
	b.ReportMetric(float64(floor.wall.Milliseconds())/float64(b.N), "floor-ms/op")
	reportPeak(b)
}

// tokenizeAll is the floor: read every page and tokenize it once, in
// parallel like the scan, doing nothing else.
func tokenizeAll(b *testing.B, files []site.File) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, f := range files {
		g.Go(func() error {
			src, err := os.ReadFile(f.Path)
			if err != nil {
				return err
			}
			z := html.NewTokenizer(bytes.NewReader(src))
			for z.Next() != html.ErrorToken {
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// benchConfig is the default Config for a built site at dir served at base.
func benchConfig(dir, base, ledger string) config.Config {
	c := config.Default()
	c.PublishDir, c.BaseURL, c.Ledger = dir, base, ledger
	return c
}
