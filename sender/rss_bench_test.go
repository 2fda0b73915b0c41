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

	"github.com/hugo-pingback/hugo-pingback/linkback"
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
	s, err := New(cfg, l, linkback.NewClient(linkback.ClientOptions{}), Options{Mode: m})
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
func runHelper(b *testing.B, mode, dir, base, ledger string) (helperCounts, float64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperSiteEnv+"="+dir, helperBaseEnv+"="+base, helperLedgerEnv+"="+ledger)
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
