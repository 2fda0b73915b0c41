package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/sender"
	"github.com/hugo-pingback/hugo-pingback/state"
)

const sendSynopsis = `Notify the pages your content newly links to: for each page of the built site, take the
links of its content (not nav, header, footer or sidebars), compare them with the ledger of
what was already notified, and send a Webmention, pingback (or Trackback, when asked) to each
new target, in the first protocol it advertises. Each link is notified once.

In a Hugo site the flags default to the site's config ([params.pingback]); without one,
--public and --base-url describe any static site. A first run (no run recorded in the ledger)
sends only for pages published in the last 14 days (--first-run-max-age), recording the links
of older ones as handled; one that would still notify more than 100 pages stops before any
request: choose --baseline, --since or --all.

Exit status: 0 when the run completed (receivers' answers are recorded, not fatal);
1 on config, site or ledger errors; 2 on a bad command line; 3 with --strict when a
notification failed permanently.`

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

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("send", config.Send, sendSynopsis, sendExamples, stdout)
	c.HugoConfigFlags()
	dryRun := c.Bool("dry-run", "print the full plan of what would be sent; make no request and write nothing")
	baseline := c.Bool("baseline", "record every current link as already handled, send nothing, make no request\n(the safe first run on an existing blog)")
	all := c.Bool("all", "lift the flood guards: notify although the run would notify more pages than\nfloodLimit (100) or more links than floodNotifications (1000), or delete as many;\non a first run, send for pages older than firstRunMaxAge too")
	strict := c.Bool("strict", "exit 3 when a notification failed permanently")
	force := c.Bool("force", "send although the Hugo environment is not production or baseURL is a placeholder")
	noHugo := c.Bool("no-hugo", "do not load the Hugo site; read only the built files")
	jsonOut := c.Bool("json", "print a machine-readable JSON report on stdout")
	verbose := c.Bool("verbose", "print one line per notification, and each link skipped and why")
	summaryFile := c.String("summary", "FILE", "append a Markdown report of the run to FILE (e.g. \"$GITHUB_STEP_SUMMARY\")")
	outputsFile := c.String("outputs", "FILE", "append the run's counts as key=value lines to FILE (e.g. \"$GITHUB_OUTPUT\", a GitLab dotenv report)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *dryRun && *baseline {
		return usagef("send: --dry-run and --baseline exclude each other")
	}
	logger := newLogger(stderr, *verbose)

	ld, err := c.load(ctx, *noHugo, true, logger)
	if err != nil {
		return err
	}
	cfg := ld.cfg
	if err := ld.mistypedKeys(config.Send); err != nil {
		return err
	}
	if err := ld.validate(); err != nil {
		return err
	}
	if (!cfg.Since.IsZero() || cfg.MaxAge > 0) && ld.pages == nil {
		return usagef("send: --since and --max-age need page dates from the Hugo site, which did not load here; use --baseline to start without a flood")
	}

	mode := sender.ModeSend
	switch {
	case *dryRun:
		mode = sender.ModeDryRun
	case *baseline:
		mode = sender.ModeBaseline
	}
	if mode == sender.ModeSend && !*force {
		if err := ld.productionGuard(c.set("base-url")); err != nil {
			return err
		}
	}

	if err := checkPublishDirs(cfg); err != nil {
		return err
	}
	ledger, err := openLedger(cfg.Ledger, cfg.LedgerExport, mode == sender.ModeDryRun)
	if err != nil {
		return err
	}
	if ledger != nil {
		defer ledger.Close()
		if st, ok := ledger.Seeded(); ok {
			fmt.Fprintf(stderr, "no ledger at %s: started it from %s (%d records)\n", cfg.Ledger, cfg.LedgerExport, st.Added)
		}
	}

	linkback.Version = currentVersion().Version
	client := linkback.NewClient(linkback.ClientOptions{Timeout: cfg.Timeout, AllowPrivate: cfg.AllowPrivate, Logger: logger})
	prog := newProgress(stderr, "sending")
	s, err := sender.New(cfg, ledger, client, sender.Options{
		Mode: mode, All: *all, Verbose: *verbose, Pages: ld.pages, Logger: logger, Progress: prog.update,
	})
	if err != nil {
		return &usageError{err.Error()}
	}
	rep, err := s.Run(ctx)
	prog.done()
	if rep == nil {
		return err
	}
	if mode == sender.ModeDryRun {
		for _, r := range cfg.SiteRoots() {
			if hugosite.PlaceholderBaseURL(r.BaseURL) {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseURL %q is a placeholder: this plan names pages at URLs that can never be live, and a real send refuses to run (set baseURL, or pass --base-url)", r.BaseURL))
			}
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		if *verbose || mode == sender.ModeDryRun {
			for _, it := range rep.Items {
				fmt.Fprintln(stdout, it.Line())
			}
		}
		for _, it := range rep.Skipped {
			fmt.Fprintln(stdout, it.Line())
		}
		rep.Summary(stdout)
	}
	if cfg.LedgerExport != "" && mode != sender.ModeDryRun {
		// Kept current after every run that got to record something, an
		// interrupted one included; rewritten only when it changed.
		changed, xerr := ledger.ExportFile(cfg.LedgerExport)
		if xerr != nil {
			return xerr
		}
		if changed && !*jsonOut {
			fmt.Fprintf(stdout, "ledger exported to %s\n", cfg.LedgerExport)
		}
	}
	if werr := writeReports(rep, *summaryFile, *outputsFile); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil { // interrupted: the report above says what was done
		return err
	}
	if *strict && rep.Failed > 0 {
		return &strictError{failed: rep.Failed}
	}
	return nil
}

// openLedger opens the ledger for a run. A dry run never creates one: with
// no ledger yet it plans as if every link were new. A missing ledger
// starts from the export (ledgerExport) when there is one; for a dry run,
// in a temporary copy.
func openLedger(path, export string, dryRun bool) (*state.Ledger, error) {
	if dryRun {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !fileExists(export) {
			return nil, nil
		}
	}
	l, err := state.Open(path, &state.Options{ReadOnly: dryRun, Seed: export})
	if err != nil {
		return nil, ledgerError(path, err)
	}
	return l, nil
}

func fileExists(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return err == nil
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

// checkPublishDirs says, before any work, that the site has not been
// built (or --public is wrong), naming the dir.
func checkPublishDirs(cfg config.Config) error {
	for _, r := range cfg.SiteRoots() {
		if fi, err := os.Stat(r.Dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("publish dir %s: not found (build the site first, or pass --public)", r.Dir)
		}
	}
	return nil
}
