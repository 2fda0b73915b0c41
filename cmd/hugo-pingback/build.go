package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
	"github.com/hugo-pingback/hugo-pingback/site"
)

const buildSynopsis = `Build the Hugo site in-process with the embedded Hugo (v0.165.0), no hugo install needed:
render into publishDir (static files included), inject the receiver's link tags into every
page (as "inject" does), and record the build's pages for "send". The output is what hugo
gives for the same site, plus the injected tags. It takes hugo's build flags with hugo's
meaning, so it can replace hugo in a build command as it is.`

const buildExamples = `  # In the site's root: build for production, inject params.pingback.receiver
  hugo-pingback build --minify

  # Netlify's and GitHub Pages' hugo commands, as they are
  hugo-pingback build --gc --minify
  hugo-pingback build --gc --minify --baseURL "https://blog.example.net/"

  # A preview build with drafts into another dir (its page data is never used by send)
  hugo-pingback build --environment staging --buildDrafts --destination /tmp/preview
`

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("build", config.Build, buildSynopsis, buildExamples, stdout)
	hugoFlags := c.HugoFlags()
	noInject := c.Bool("no-inject", "build only; do not inject link tags")
	jsonOut := c.Bool("json", "print a JSON report")
	verbose := c.Bool("verbose", "show Hugo's info log, and each page changed")
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
	// Hugo's own reports (--templateMetrics, --printMemoryUsage) go to
	// stdout, as with hugo, unless stdout is for the JSON report.
	hugoOut := stdout
	if *jsonOut {
		hugoOut = stderr
	}
	s, err := hugosite.Load(ctx, hugosite.Options{
		Dir: pre.SiteDir, Environment: pre.Environment, BaseURL: baseURL, Flags: hugoFlags,
		Logger: logger, Stderr: stderr, Stdout: hugoOut, Transform: transform,
	})
	if err != nil {
		return err // hugosite's errors name the site
	}
	defer s.Close()
	cfg := config.Default()
	unknown, err := s.Apply(&cfg, config.Build)
	if err != nil {
		return fmt.Errorf("config of %s: %w", pre.SiteDir, err)
	}
	siteCfg := cfg
	if err := c.apply(&cfg); err != nil {
		return err
	}
	cfg = cfg.Resolved()
	if err := invalid(cfg, siteCfg); err != nil {
		return err
	}
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
	out := buildReport{Build: br, Pages: swept.Pages, Removed: swept.Removed}
	for _, p := range pages {
		if p.NoSend {
			out.NoSend++
		} else {
			out.Sources++
		}
	}
	for _, u := range unknown {
		out.Warnings = append(out.Warnings, u.String())
	}
	if inject {
		// Front matter is known only now: take the tags out of opted-out pages.
		optedOut := slices.Sorted(maps.Keys(pages.NoReceive()))
		if err := injector.Undo(optedOut); err != nil {
			return err
		}
		out.Inject = &injectReport{InjectReport: injector.Report()}
	}
	if !*noInject {
		host, err := writeHostFiles(cfg, false)
		if err != nil {
			return err
		}
		if out.Inject == nil {
			out.Inject = &injectReport{InjectReport: &site.InjectReport{}, NoReceiver: true}
		}
		out.Inject.HostReport = host
	}
	binfo := site.BuildFor(cfg, s.Environment())
	binfo.Drafts = hugoFlags.Bool("buildDrafts")
	out.Preview = binfo.Drafts
	if err := site.SavePages(site.PagesPath(cfg.Ledger), binfo, pages); err != nil {
		return err
	}

	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if hugoFlags.Bool("quiet") {
		return nil // as hugo --quiet: nothing but errors
	}
	return out.print(stdout, relOrAbs(cfg.SiteDir, cfg.PublishDir), unknown, *verbose)
}

// buildReport is what build did.
type buildReport struct {
	Build *hugosite.BuildResult `json:"build"`
	// Pages counts the HTML files in the publish dirs after the build: the
	// pages inject and send count.
	Pages int `json:"pages"`
	// Sources are the regular pages of the site that send from; NoSend
	// those whose front matter says pingback: false.
	Sources int `json:"sources"`
	NoSend  int `json:"no_send"`
	// Preview is a build with drafts, whose page data send never uses.
	Preview bool `json:"preview,omitempty"`
	// Removed are the temporary files of a killed run, removed.
	Removed []string `json:"removed_temp_files,omitempty"`
	// Warnings are the keys under [params.pingback] that are no setting.
	Warnings []string      `json:"warnings,omitempty"`
	Inject   *injectReport `json:"inject,omitempty"`
}

func (r *buildReport) print(w io.Writer, publishDir string, unknown []config.UnknownKey, verbose bool) error {
	br := r.Build
	fmt.Fprintf(w, "build: %d pages and %d other files into %s in %s", r.Pages, br.Files, publishDir, br.Duration.Round(time.Millisecond))
	if br.Warnings > 0 {
		fmt.Fprintf(w, ", %d %s from Hugo (above)", br.Warnings, plural(br.Warnings, "warning"))
	}
	if br.Cleaned > 0 {
		fmt.Fprintf(w, ", %d unused cache files cleaned", br.Cleaned)
	}
	fmt.Fprintf(w, "; %d regular pages can send", r.Sources)
	if r.NoSend > 0 {
		fmt.Fprintf(w, " (%d more with pingback: false)", r.NoSend)
	}
	if r.Preview {
		fmt.Fprint(w, " (a preview with drafts: send never uses its page data)")
	}
	fmt.Fprintln(w)
	printRemoved(w, r.Removed)
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	switch {
	case r.Inject == nil:
	case r.Inject.NoReceiver:
		fmt.Fprintln(w, noReceiverNote+missedReceiverKeys(unknown))
		printHostFiles(w, r.Inject.HostReport, false)
	default:
		return printInject(w, r.Inject, false, verbose, false)
	}
	return nil
}

// missedReceiverKeys names the unknown keys that were meant to configure
// the receiver: a typo there silently leaves the tags out of every page.
func missedReceiverKeys(unknown []config.UnknownKey) string {
	var keys []string
	for _, u := range unknown {
		switch u.Closest {
		case "server", "receiver", "webmention":
			keys = append(keys, fmt.Sprintf("params.pingback.%s is not a setting (did you mean %s?)", u.Key, u.Closest))
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return ": " + strings.Join(keys, "; ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
