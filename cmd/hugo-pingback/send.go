package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/sender"
	"github.com/hugo-pingback/hugo-pingback/state"
)

const sendSynopsis = `Notify the pages your content newly links to: for each page of the built site, take the
links of its content (not nav, header, footer or sidebars), compare them with the ledger of
what was already notified, and send a Webmention, pingback (or Trackback, when asked) to each
new target, in the first protocol it advertises. Each link is notified once.

In a Hugo site the flags default to the site's config ([params.pingback]); without one,
--public and --base-url describe any static site. A first run on a site with no ledger and
more than 100 pages to notify stops before any request: choose --baseline, --since or --all.

Exit status: 0 when the run completed (receivers' answers are recorded, not fatal);
1 on usage, config, site or ledger errors; 3 with --strict when a notification failed
permanently.`

const sendExamples = `  # In CI, after deploying: notify what is new since the last run
  hugo-pingback send

  # First run on an existing blog: record today's links, send nothing
  hugo-pingback send --baseline

  # Any static site, no Hugo config: see the plan without sending
  hugo-pingback send --public dist --base-url https://blog.example.net/ --dry-run

  # Machine-readable report, fail the job on permanent failures
  hugo-pingback send --json --strict > linkbacks.json

  # GitHub Actions: a Markdown report in the job summary, counts as step outputs
  hugo-pingback send --summary "$GITHUB_STEP_SUMMARY" --outputs "$GITHUB_OUTPUT"
`

// siteFlags are the flags every command that reads a site shares.
type siteFlags struct {
	site, public, baseURL, ledger, environment string
	jsonOut, verbose                           bool
}

func (f *siteFlags) register(fs *flag.FlagSet, withLedger bool) {
	fs.StringVar(&f.site, "site", ".", "the Hugo site `dir` (its config is read when present)")
	fs.StringVar(&f.public, "public", "", "the built site `dir` (default: the site's publishDir, else SITE/public)")
	fs.StringVar(&f.baseURL, "base-url", "", "the live `URL` of the built site (default: the site's baseURL)")
	if withLedger {
		fs.StringVar(&f.ledger, "ledger", "", "the ledger `file` (default SITE/.hugo-pingback/ledger.db)")
	}
	fs.StringVar(&f.environment, "environment", "", "the Hugo `environment` whose config is read (default production)")
	fs.BoolVar(&f.jsonOut, "json", false, "print a machine-readable JSON report on stdout")
	fs.BoolVar(&f.verbose, "verbose", false, "print one line per page or notification")
}

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("send [flags]", sendSynopsis, sendExamples, stdout)
	var (
		sf                             siteFlags
		dryRun, baseline, all, noSelf  bool
		strict, allowPrivate, noVerify bool
		force, noHugo                  bool
		selfHosts, exclude, protocols  listFlag
		pingServices                   listFlag
		content, websubHub             string
		concurrency                    int
		timeout, hostInterval, maxTime time.Duration
		since                          dateFlag
		maxAge                         ageFlag
		tombstones                     bool
		summaryFile, outputsFile       string
	)
	sf.register(fs, true)
	fs.BoolVar(&dryRun, "dry-run", false, "print the full plan of what would be sent; make no request and write nothing")
	fs.BoolVar(&baseline, "baseline", false, "record every current link as already handled, send nothing, make no request\n(the safe first run on an existing blog)")
	fs.BoolVar(&all, "all", false, "lift the flood guards: notify although a first run, or a run on a known site,\nwould notify more than 100 pages (or delete as many)")
	fs.Var(&since, "since", "send only for pages published on or after `date` (2026-01-31); older pages' links are\nrecorded as handled (needs page dates from the Hugo site)")
	fs.Var(&maxAge, "max-age", "send only for pages published within `age` (30d, 2w, 36h)")
	fs.BoolVar(&noSelf, "no-self-ping", false, "skip links to the site's own origin (scheme, host and port of the base URL) and --self-host")
	fs.Var(&selfHosts, "self-host", "another `host` that counts as this site for --no-self-ping (repeatable)")
	fs.Var(&exclude, "exclude", "never notify targets matching `glob` (host/path, e.g. 'twitter.com/*'; repeatable)")
	fs.Var(&protocols, "protocols", "ordered `list` of protocols to try per target (default webmention,pingback; add trackback to opt in)")
	fs.StringVar(&content, "content", "", "CSS `selector` of a page's content (default: .h-entry .e-content, .e-content, article,\nmain, else body without nav/header/footer/aside)")
	fs.BoolVar(&strict, "strict", false, "exit 3 when a notification failed permanently")
	fs.BoolVar(&allowPrivate, "allow-private", false, "allow requests to loopback and private addresses (tests, intranets)")
	fs.BoolVar(&noVerify, "no-verify-live", false, "do not check that the live source page links to the target before notifying")
	fs.IntVar(&concurrency, "concurrency", config.DefaultConcurrency, "how many hosts are served at once")
	fs.DurationVar(&timeout, "timeout", config.DefaultTimeout, "per-request `timeout`")
	fs.DurationVar(&hostInterval, "host-interval", config.DefaultHostInterval, "least `time` between two notifications to one host")
	fs.DurationVar(&maxTime, "max-time", config.DefaultMaxTime, "budget of the whole run; what is left waits for the next run")
	fs.Var(&pingServices, "ping-service", "weblogUpdates XML-RPC `URL` to ping when pages changed (repeatable)")
	fs.StringVar(&websubHub, "websub-hub", "", "WebSub hub `URL` to notify of changed feeds (default: the hub the feed names)")
	fs.BoolVar(&tombstones, "tombstones", false, "write 410 Gone lines to _redirects for deleted pages")
	fs.BoolVar(&force, "force", false, "send although the Hugo environment is not production or baseURL is a placeholder")
	fs.BoolVar(&noHugo, "no-hugo", false, "do not load the Hugo site; read only the built files")
	fs.StringVar(&summaryFile, "summary", "", "append a Markdown report of the run to `file` (e.g. \"$GITHUB_STEP_SUMMARY\")")
	fs.StringVar(&outputsFile, "outputs", "", "append the run's counts as key=value lines to `file` (e.g. \"$GITHUB_OUTPUT\", a GitLab dotenv report)")
	set, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if dryRun && baseline {
		return usagef("--dry-run and --baseline exclude each other")
	}
	logger := newLogger(stderr, sf.verbose)

	ld, err := loadSite(ctx, sf, set, noHugo, true, logger)
	if err != nil {
		return err
	}
	cfg := ld.cfg
	if set["content"] {
		cfg.Content = content
	}
	if set["no-self-ping"] {
		cfg.NoSelfPing = noSelf
	}
	if set["self-host"] {
		cfg.SelfHosts = selfHosts
	}
	if set["exclude"] {
		cfg.Exclude = exclude
	}
	if set["protocols"] {
		cfg.Protocols = protocols
	}
	if set["allow-private"] {
		cfg.AllowPrivate = allowPrivate
	}
	if set["no-verify-live"] {
		cfg.NoVerifyLive = noVerify
	}
	if set["concurrency"] {
		cfg.Concurrency = concurrency
	}
	if set["timeout"] {
		cfg.Timeout = timeout
	}
	if set["host-interval"] {
		cfg.HostInterval = hostInterval
		if hostInterval == 0 {
			cfg.HostInterval = -1 // explicit zero: no spacing
		}
	}
	if set["max-time"] {
		cfg.MaxTime = maxTime
	}
	if set["since"] {
		cfg.Since = since.t
	}
	if set["max-age"] {
		cfg.MaxAge = maxAge.d
	}
	if set["ping-service"] {
		cfg.PingServices = pingServices
	}
	if set["websub-hub"] {
		cfg.WebSubHub = websubHub
	}
	if set["tombstones"] {
		cfg.Tombstones = tombstones
	}
	switch {
	case set["concurrency"] && concurrency < 1:
		return usagef("--concurrency must be at least 1, got %d", concurrency)
	case set["timeout"] && timeout <= 0:
		return usagef("--timeout must be positive, got %s", timeout)
	case set["max-time"] && maxTime <= 0:
		return usagef("--max-time must be positive, got %s", maxTime)
	case set["host-interval"] && hostInterval < 0:
		return usagef("--host-interval must not be negative, got %s", hostInterval)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return &usageError{err.Error()}
	}
	if cfg.Content != "" {
		if err := checkSelector(cfg.Content); err != nil {
			return usagef("--content: %v", err)
		}
	}
	if (!cfg.Since.IsZero() || cfg.MaxAge > 0) && ld.pages == nil {
		return usagef("--since and --max-age need page dates from the Hugo site, which did not load here; use --baseline to start without a flood")
	}

	mode := sender.ModeSend
	switch {
	case dryRun:
		mode = sender.ModeDryRun
	case baseline:
		mode = sender.ModeBaseline
	}
	if mode == sender.ModeSend && !force {
		if err := ld.productionGuard(set["base-url"]); err != nil {
			return err
		}
	}

	for _, r := range cfg.SiteRoots() {
		if fi, err := os.Stat(r.Dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("publish dir %s: not found (build the site first, or pass --public)", r.Dir)
		}
	}
	ledger, err := openLedger(cfg.Ledger, mode == sender.ModeDryRun)
	if err != nil {
		return err
	}
	if ledger != nil {
		defer ledger.Close()
	}

	linkback.Version = currentVersion().Version
	client := linkback.NewClient(linkback.ClientOptions{Timeout: cfg.Timeout, AllowPrivate: cfg.AllowPrivate, Logger: logger})
	prog := newProgress(stderr, "sending")
	s, err := sender.New(cfg, ledger, client, sender.Options{
		Mode: mode, All: all, Pages: ld.pages, Logger: logger, Progress: prog.update,
	})
	if err != nil {
		return &usageError{err.Error()}
	}
	rep, err := s.Run(ctx)
	prog.done()
	if rep == nil {
		return err
	}
	if sf.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		if sf.verbose || mode == sender.ModeDryRun {
			for _, it := range rep.Items {
				fmt.Fprintln(stdout, it.Line())
			}
		}
		rep.Summary(stdout)
	}
	if werr := writeReports(rep, summaryFile, outputsFile); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil { // interrupted: the report above says what was done
		return err
	}
	if strict && rep.Failed > 0 {
		return &strictError{failed: rep.Failed}
	}
	return nil
}

// openLedger opens the ledger for a run. A dry run never creates one: with no
// ledger yet it plans as if every link were new.
func openLedger(path string, dryRun bool) (*state.Ledger, error) {
	if dryRun {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		l, err := state.Open(path, &state.Options{ReadOnly: true})
		if err != nil {
			return nil, ledgerError(path, err)
		}
		return l, nil
	}
	l, err := state.Open(path, nil)
	if err != nil {
		return nil, ledgerError(path, err)
	}
	return l, nil
}

func ledgerError(path string, err error) error {
	switch {
	case errors.Is(err, state.ErrLocked):
		return fmt.Errorf("%w\n(another hugo-pingback is running on %s; wait for it, or give each job its own --ledger)", err, path)
	case errors.Is(err, state.ErrCorrupt):
		return fmt.Errorf("%w\n(the file was left as it is; restore it from your CI cache or move it away to start over with --baseline)", err)
	}
	return err
}

func newLogger(stderr io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// absJoin resolves p against dir unless it is absolute.
func absJoin(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
