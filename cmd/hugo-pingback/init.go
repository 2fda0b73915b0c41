package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/scaffold"
)

const initSynopsis = `Set a Hugo site up for hugo-pingback, asking nothing: add a commented [params.pingback]
block with every setting and its default to the site's config (TOML, YAML or JSON; the
rest of the file is left byte for byte), and with --github, --netlify or --gitlab the CI
recipe of the README. It never overwrites a file: an existing workflow is left alone and
the recipe printed; netlify.toml gets the plugin entry only if it has none. A second run
changes nothing.`

const initExamples = `  hugo-pingback init                      # the settings block only
  hugo-pingback init --github             # and .github/workflows/pages.yml, linkbacks-retry.yml
  hugo-pingback init --netlify --dry-run  # show the changes as a diff, write nothing
`

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("init", 0, initSynopsis, initExamples, stdout)
	site := c.String("site", "DIR", "the Hugo site (default: the current directory)")
	github := c.Bool("github", "also write the GitHub Pages workflow and the daily retry (.github/workflows/)")
	netlify := c.Bool("netlify", "also add the Netlify build plugin to netlify.toml")
	gitlab := c.Bool("gitlab", "also write .gitlab-ci.yml")
	dryRun := c.Bool("dry-run", "print the changes as a unified diff; write nothing")
	if err := c.parse(args); err != nil {
		return err
	}
	plan, err := scaffold.PlanInit(scaffold.Options{
		Dir: *site, GitHub: *github, Netlify: *netlify, GitLab: *gitlab,
		Version: currentVersion().Version,
	})
	if err != nil {
		return err
	}
	if *dryRun {
		for _, ch := range plan.Changes {
			fmt.Fprint(stdout, ch.Diff())
		}
	} else if err := plan.Apply(); err != nil {
		return err
	}
	verb := ""
	if *dryRun {
		verb = "would have "
	}
	out := stdout
	if *dryRun {
		out = stderr // the diff alone on stdout, for patch
	}
	for _, ch := range plan.Changes {
		fmt.Fprintf(out, "init: %s%s\n", verb, ch.What)
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(out, "init: %s\n", strings.TrimRight(n, "\n"))
	}
	if len(plan.Changes) == 0 {
		fmt.Fprintln(out, "init: nothing to change; the site is set up")
	}
	return nil
}
