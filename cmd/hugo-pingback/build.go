package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
	"github.com/hugo-pingback/hugo-pingback/site"
)

const buildSynopsis = `Build the Hugo site in-process with the embedded Hugo (v0.165.0), no hugo install needed:
render into publishDir (static files included), inject the receiver's link tags into every
page (as "inject" does), and record the build's pages for "send". The output is what hugo
gives for the same site, plus the injected tags.`

const buildExamples = `  # In the site's root: build for production, inject params.pingback.receiver
  hugo-pingback build --minify

  # A preview build with drafts into another dir (its page data is never used by send)
  hugo-pingback build --environment staging --buildDrafts --destination /tmp/preview
`

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("build", config.Build, buildSynopsis, buildExamples, stdout)
	destination := c.String("destination", "DIR", "write the site to DIR instead of publishDir, like hugo --destination")
	minify := c.Bool("minify", "minify the output, like hugo --minify")
	drafts := c.Bool("buildDrafts", "include drafts, like hugo --buildDrafts (for previews)")
	noInject := c.Bool("no-inject", "build only; do not inject link tags")
	jsonOut := c.Bool("json", "print a JSON report")
	verbose := c.Bool("verbose", "show Hugo's log")
	if err := c.parse(args); err != nil {
		return err
	}
	logger := newLogger(stderr, *verbose)
	pre := config.Default()
	if err := c.apply(&pre); err != nil {
		return err
	}
	baseURL, _ := c.value("baseURL")
	// The tags are injected as Hugo writes each page, not by rewriting the
	// built files afterwards; the injector is set once the config is known,
	// before the build starts.
	var injector *site.Injector
	transform := func(path string, data []byte) []byte {
		if injector == nil {
			return data
		}
		return injector.Transform(path, data)
	}
	s, err := hugosite.Load(ctx, hugosite.Options{
		Dir: pre.SiteDir, Environment: pre.Environment, BaseURL: baseURL, Destination: *destination,
		BuildDrafts: *drafts, Minify: *minify, Logger: logger, Transform: transform,
	})
	if err != nil {
		return err // hugosite's errors name the site
	}
	cfg := config.Default()
	warnings, err := s.Apply(&cfg, config.Build)
	for _, w := range warnings {
		logger.Warn(w)
	}
	if err != nil {
		return fmt.Errorf("config of %s: %w", pre.SiteDir, err)
	}
	if err := c.apply(&cfg); err != nil {
		return err
	}
	cfg = cfg.Resolved()
	if err := cfg.Validate(); err != nil {
		return &usageError{err.Error()}
	}
	siteDir := cfg.SiteDir
	inject := !*noInject && (cfg.Receiver != "" || cfg.Webmention != "")
	if inject {
		injector = site.NewInjector(tags(cfg))
		injector.Root = cfg.PublishDir
	}

	br, err := s.Build(ctx)
	if err != nil {
		return err
	}
	// Before any file of ours is written: a killed run's temporary files
	// must not ship with this build.
	swept, err := site.Sweep(cfg.SiteRoots())
	if err != nil {
		return err
	}
	pages, err := s.Pages(ctx, cfg.LinkRules())
	if err != nil {
		return err
	}
	out := buildReport{Build: br, Sweep: swept}
	if inject {
		// Front matter is known only now: take the tags out of opted-out pages.
		optedOut := slices.Sorted(maps.Keys(pages.NoReceive()))
		if err := injector.Undo(optedOut); err != nil {
			return err
		}
		host, err := writeHostFiles(cfg, false)
		if err != nil {
			return err
		}
		out.Inject = &injectReport{InjectReport: injector.Report(), HostReport: host}
	}
	binfo := site.BuildFor(cfg, s.Environment())
	binfo.Drafts = *drafts
	if err := site.SavePages(site.PagesPath(cfg.Ledger), binfo, pages); err != nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "build: %d pages and %d other files into %s in %s", br.Pages, br.Files, relOrAbs(siteDir, cfg.PublishDir), br.Duration.Round(time.Millisecond))
	if br.Warnings > 0 {
		fmt.Fprintf(stdout, ", %d warnings", br.Warnings)
	}
	fmt.Fprintln(stdout)
	printRemoved(stdout, swept.Removed)
	if out.Inject != nil {
		if err := printInject(stdout, out.Inject, false, *verbose, false); err != nil {
			return err
		}
	} else if !*noInject {
		fmt.Fprintln(stdout, noReceiverNote)
	}
	return nil
}

type buildReport struct {
	Build  *hugosite.BuildResult `json:"build"`
	Sweep  *site.SweepReport     `json:"sweep"`
	Inject *injectReport         `json:"inject,omitempty"`
}
