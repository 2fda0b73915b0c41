package sender

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// The test binary doubles as a one-run sender for the memory benchmark:
// with helperEnv set it runs one send (the mode the variable names) on the
// site and ledger the other variables name, prints its report's counts,
// and exits. The benchmark reads the child's peak RSS from the kernel,
// which a benchmark in the same process cannot measure.
const (
	helperEnv       = "HP_SEND_HELPER"
	helperSiteEnv   = "HP_SEND_HELPER_SITE"
	helperBaseEnv   = "HP_SEND_HELPER_BASE"
	helperLedgerEnv = "HP_SEND_HELPER_LEDGER"
	// helperPagesEnv names a pages file to send with, read as a stream;
	// with helperPagesMapEnv set too, it is loaded whole, as before.
	helperPagesEnv    = "HP_SEND_HELPER_PAGES"
	helperPagesMapEnv = "HP_SEND_HELPER_PAGES_MAP"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(sendHelper(mode))
	}
	os.Exit(m.Run())
}

// helperCounts is what the helper prints of its run, and its peak RSS in
// kB (VmHWM: the kernel's rusage of a child would also count its parent's
// memory at the fork).
type helperCounts struct {
	Pages, Unchanged, NewLinks, Baseline, Planned int
	PeakKB                                        int
}

// peakKB is this process's peak resident set size, from /proc.
func peakKB() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb
		}
	}
	return 0
}

func sendHelper(mode string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "send helper:", err)
		return 1
	}
	modes := map[string]Mode{"baseline": ModeBaseline, "send": ModeSend, "dry-run": ModeDryRun}
	m, ok := modes[mode]
	if !ok {
		return fail(fmt.Errorf("unknown mode %q", mode))
	}
	cfg := benchConfig(os.Getenv(helperSiteEnv), os.Getenv(helperBaseEnv), os.Getenv(helperLedgerEnv))
	var l *state.Ledger
	if m != ModeDryRun {
		var err error
		if l, err = state.Open(cfg.Ledger, nil); err != nil {
			return fail(err)
		}
		defer l.Close()
	}
	opts := Options{Mode: m}
	if path := os.Getenv(helperPagesEnv); path != "" {
		want := site.BuildFor(cfg, "production")
		pf, err := site.OpenPages(path, want)
		if pf == nil {
			return fail(fmt.Errorf("pages file %s not taken: %v", path, err))
		}
		opts.Pages = pf
		if os.Getenv(helperPagesMapEnv) != "" {
			if opts.Pages, err = site.LoadPages(path, want); err != nil {
				return fail(err)
			}
		}
	}
	s, err := New(cfg, l, linkback.NewClient(linkback.ClientOptions{}), opts)
	if err != nil {
		return fail(err)
	}
	rep, err := s.Run(context.Background())
	if err != nil {
		return fail(err)
	}
	json.NewEncoder(os.Stdout).Encode(helperCounts{rep.Pages, rep.Unchanged, rep.NewLinks, rep.Baseline, rep.Planned, peakKB()})
	return 0
}

// runHelper runs one send in a child process and returns its counts and
// peak resident set size in MB.
func runHelper(b *testing.B, mode, dir, base, ledger string, env ...string) (helperCounts, float64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperSiteEnv+"="+dir, helperBaseEnv+"="+base, helperLedgerEnv+"="+ledger)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v", mode, err)
	}
	var c helperCounts
	if err := json.Unmarshal(out, &c); err != nil {
		b.Fatalf("%s: %v: %s", mode, err, out)
	}
	if c.PeakKB == 0 {
		b.Fatal("the helper could not read its peak RSS (/proc/self/status)")
	}
	return c, float64(c.PeakKB) / 1024
}

// BenchmarkPeakRSS measures, in child processes, the peak RSS of a
// --baseline on an empty ledger, of an unchanged re-run after it, and of a
// dry run without a ledger, and the ledger's size after the baseline per
// content link recorded (B/link) and per content link of the site
// (B/content-link, skipped ones included). The sender runs alone in the
// child, without the embedded Hugo of the hugo-pingback binary (whose idle
// RSS the CLI adds; `hugo-pingback version` shows it).
//
//	HP_BENCH_PAGES=10000 go test ./sender -run '^$' -bench PeakRSS -benchtime 1x
func BenchmarkPeakRSS(b *testing.B) {
	dir, base := benchPublic(b)
	var baseRSS, rerunRSS, dryRSS, perLink, perContentLink float64
	for i := 0; i < b.N; i++ {
		ledger := filepath.Join(b.TempDir(), "ledger.db")
		c, rss := runHelper(b, "baseline", dir, base, ledger)
		baseRSS = max(baseRSS, rss)
		fi, err := os.Stat(ledger)
		if err != nil {
			b.Fatal(err)
		}
		perLink = float64(fi.Size()) / float64(c.Baseline)
		if benchSite.stats.ContentLinks > 0 {
			perContentLink = float64(fi.Size()) / float64(benchSite.stats.ContentLinks)
		}
		rc, rss := runHelper(b, "send", dir, base, ledger)
		if rc.Unchanged != rc.Pages {
			b.Fatalf("re-run parsed %d pages", rc.Pages-rc.Unchanged)
		}
		rerunRSS = max(rerunRSS, rss)
		_, rss = runHelper(b, "dry-run", dir, base, filepath.Join(b.TempDir(), "none.db"))
		dryRSS = max(dryRSS, rss)
	}
	b.ReportMetric(baseRSS, "MB-baseline-rss")
	b.ReportMetric(rerunRSS, "MB-rerun-rss")
	b.ReportMetric(dryRSS, "MB-dryrun-rss")
	b.ReportMetric(perLink, "B/link")
	if perContentLink > 0 {
		b.ReportMetric(perContentLink, "B/content-link")
	}
}

// BenchmarkPeakRSSPagesFile is BenchmarkPeakRSS's baseline and unchanged
// re-run with the Hugo site's page data, as `send` after `hugo-pingback
// build` has it: from the pages file read beside the walk (stream), and
// loaded whole into memory (map, what send did before). The pages file
// is made from the built pages (their URLs, files and content links).
//
//	HP_BENCH_PAGES=10000 go test ./sender -run '^$' -bench PeakRSSPagesFile -benchtime 1x
func BenchmarkPeakRSSPagesFile(b *testing.B) {
	dir, base := benchPublic(b)
	cfg := benchConfig(dir, base, "")
	pagesFile := filepath.Join(b.TempDir(), "pages.json")
	if err := writeBenchPages(pagesFile, cfg); err != nil {
		b.Fatal(err)
	}
	for _, variant := range []struct {
		name string
		env  []string
	}{
		{"stream", []string{helperPagesEnv + "=" + pagesFile}},
		{"map", []string{helperPagesEnv + "=" + pagesFile, helperPagesMapEnv + "=1"}},
	} {
		b.Run(variant.name, func(b *testing.B) {
			var baseRSS, rerunRSS float64
			for i := 0; i < b.N; i++ {
				ledger := filepath.Join(b.TempDir(), "ledger.db")
				c, rss := runHelper(b, "baseline", dir, base, ledger, variant.env...)
				if c.Baseline == 0 {
					b.Fatal("the baseline recorded no link")
				}
				baseRSS = max(baseRSS, rss)
				rc, rss := runHelper(b, "send", dir, base, ledger, variant.env...)
				if rc.Unchanged != rc.Pages {
					b.Fatalf("re-run parsed %d pages", rc.Pages-rc.Unchanged)
				}
				rerunRSS = max(rerunRSS, rss)
			}
			b.ReportMetric(baseRSS, "MB-baseline-rss")
			b.ReportMetric(rerunRSS, "MB-rerun-rss")
		})
	}
}

// writeBenchPages writes the pages file of the built site of cfg: every
// page with its URL, file and content links.
func writeBenchPages(path string, cfg config.Config) error {
	pages := site.Pages{}
	opts := &renderer.Options{Content: cfg.Content, SkipRels: cfg.SkipRels, SkipClasses: cfg.SkipClasses}
	err := site.WalkContents(cfg.SiteRoots(), func(f site.File, feed bool) error {
		if feed || site.SkipReason(f.Rel) != "" {
			return nil
		}
		src, err := os.ReadFile(f.Path)
		if err != nil {
			return err
		}
		ex, err := renderer.Extract(src, linkurl.Parse(f.URL), opts)
		if err != nil || ex.Kind != renderer.KindSingle {
			return err
		}
		root, err := filepath.Abs(f.Root.Dir)
		if err != nil {
			return err
		}
		links := []string{}
		for _, l := range ex.Links {
			if l.Skip == "" {
				links = append(links, l.URL)
			}
		}
		pages[f.URL] = site.PageInfo{URL: f.URL, File: f.Rel, Root: root, Title: ex.Title, Links: links}
		return nil
	})
	if err != nil {
		return err
	}
	return site.SavePages(path, site.BuildFor(cfg, "production"), pages)
}
