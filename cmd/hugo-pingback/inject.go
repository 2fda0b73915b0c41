package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/sender"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

const injectSynopsis = `Advertise your receiver in every built page: add <link rel="pingback" href="RECEIVER"> (and
<link rel="webmention" href="WEBMENTION">) inside <head>, written exactly as WordPress needs
it (rel before href, quotes kept, also after hugo --minify). Only those bytes change; a second
run changes nothing; a tag naming another URL is updated. Pages with front matter
pingbackReceive: false are left alone. Run it after the Hugo build and before deploying.`

const injectExamples = `  # webmention.io hosts both endpoints for your domain
  hugo-pingback inject --receiver https://webmention.io/blog.example.net/xmlrpc \
                       --webmention https://webmention.io/blog.example.net/webmention

  # Netlify or Cloudflare Pages: also send X-Pingback and Link headers via _headers
  hugo-pingback inject --receiver https://webmention.io/blog.example.net/xmlrpc --headers

  # What would change, without writing
  hugo-pingback inject --dry-run --verbose

  # A shared CI step (the Netlify plugin): a site with no receiver yet is not an error
  hugo-pingback inject --headers --if-configured
`

func runInject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("inject", config.Inject, injectSynopsis, injectExamples, stdout)
	c.HugoConfigFlags()
	dryRun := c.Bool("dry-run", "report what would change; write nothing")
	noHugo := c.Bool("no-hugo", "do not load the Hugo site (front matter opt-outs are then unknown)")
	jsonOut := c.Bool("json", "print a machine-readable JSON report on stdout")
	verbose := c.Bool("verbose", "print each page changed")
	ifConfigured := c.Bool("if-configured", "with no receiver configured, say so and exit 0 instead of failing\n(CI steps shared by sites that may not have a receiver, such as the Netlify plugin)")
	if err := c.parse(args); err != nil {
		return err
	}
	logger := newLogger(stderr, *verbose)
	ld, err := c.load(ctx, *noHugo, true, logger)
	if err != nil {
		return err
	}
	cfg := ld.cfg
	if ld.pages != nil {
		if cfg.NoReceive, err = site.NoReceive(ld.pages); err != nil {
			return err
		}
	}
	if cfg.Receiver == "" && cfg.Webmention == "" {
		if *ifConfigured {
			return printInject(stdout, &injectReport{InjectReport: &site.InjectReport{}, HostReport: &site.HostReport{}, NoReceiver: true}, *jsonOut, false, *dryRun)
		}
		return usagef("inject: no receiver: pass --server, --receiver or --webmention (or set server or receiver under [params.pingback])")
	}
	if err := ld.validate(); err != nil {
		return err
	}
	if err := checkPublishDirs(cfg); err != nil {
		return err
	}
	rep, err := injectSite(ctx, cfg, *dryRun, logger)
	if err != nil {
		return err
	}
	return printInject(stdout, rep, *jsonOut, *verbose, *dryRun)
}

// injectReport is what inject (and build's inject step) did: the pages, and
// the host files.
type injectReport struct {
	*site.InjectReport
	*site.HostReport
	// NoReceiver is set when --if-configured found no receiver: nothing was injected.
	NoReceiver bool `json:"no_receiver,omitempty"`
}

// noReceiverNote is what build and inject --if-configured say when the site
// names no receiver.
const noReceiverNote = "inject: skipped, no receiver configured (params.pingback.server or receiver, or --server, --receiver or --webmention)"

// injectSite runs inject over every root of cfg, then writes its host files.
func injectSite(ctx context.Context, cfg config.Config, dryRun bool, logger *slog.Logger) (*injectReport, error) {
	rep, err := site.Inject(ctx, cfg.SiteRoots(), site.InjectOptions{
		Tags:   tags(cfg),
		DryRun: dryRun,
		Skip:   cfg.NoReceive,
		Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	host, err := writeHostFiles(cfg, dryRun)
	if err != nil {
		return nil, err
	}
	return &injectReport{InjectReport: rep, HostReport: host}, nil
}

func tags(cfg config.Config) renderer.Tags {
	return renderer.Tags{Pingback: cfg.Receiver, Webmention: cfg.Webmention}
}

// writeHostFiles writes what cfg asks of the host files (site.WriteHostFiles,
// for build and inject alike): the headers, and with tombstones the 410
// rules of the pages the ledger knows were deleted.
func writeHostFiles(cfg config.Config, dryRun bool) (*site.HostReport, error) {
	// Headers without an endpoint would take the block out: leave it be.
	hf := site.HostFiles{Headers: cfg.Headers && (cfg.Receiver != "" || cfg.Webmention != ""), Tags: tags(cfg), DryRun: dryRun}
	if cfg.Tombstones {
		if _, err := os.Stat(cfg.Ledger); err == nil { // no ledger: nothing was ever sent, so nothing was deleted
			l, err := state.Open(cfg.Ledger, &state.Options{ReadOnly: true})
			if err != nil {
				return nil, ledgerError(cfg.Ledger, err)
			}
			hf.Gone, err = sender.DeletedPages(l)
			l.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	return site.WriteHostFiles(cfg.SiteRoots(), hf)
}

func printInject(stdout io.Writer, rep *injectReport, jsonOut, verbose, dryRun bool) error {
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if rep.NoReceiver {
		fmt.Fprintln(stdout, noReceiverNote)
		return nil
	}
	if verbose || dryRun {
		for _, f := range rep.Files {
			fmt.Fprintf(stdout, "changed %s\n", f)
		}
	}
	for _, r := range rep.Replaced {
		fmt.Fprintf(stdout, "replaced %s\n", r)
	}
	printRemoved(stdout, rep.Removed)
	verb := "changed"
	if dryRun {
		verb = "would change"
	}
	fmt.Fprintf(stdout, "inject: %d pages, %d %s, %d already carried the tags, %d opted out", rep.Pages, rep.Changed, verb, rep.Unchanged, rep.Skipped)
	if rep.Headers != "" {
		fmt.Fprintf(stdout, "; _headers %s", rep.Headers)
	}
	fmt.Fprintln(stdout)
	printHostFiles(stdout, rep.HostReport, dryRun)
	return nil
}

// printHostFiles says what was written to _redirects, and which of the
// user's _headers rules clash with ours.
func printHostFiles(stdout io.Writer, rep *site.HostReport, dryRun bool) {
	if rep == nil {
		return
	}
	for _, f := range rep.Tombstones {
		fmt.Fprintf(stdout, "tombstones: %s %s\n", map[bool]string{true: "would write", false: "wrote"}[dryRun], f)
	}
	for _, c := range rep.HeaderConflicts {
		fmt.Fprintf(stdout, "warning: %s: this rule of yours sets a header hugo-pingback writes too; hosts join both values into one header\n", c)
	}
}

// printRemoved names the temporary files of a killed run that were removed.
func printRemoved(stdout io.Writer, removed []string) {
	for _, f := range removed {
		fmt.Fprintf(stdout, "removed %s (a temporary file left by a killed run)\n", f)
	}
}
