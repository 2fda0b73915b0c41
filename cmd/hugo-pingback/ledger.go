package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/state"
)

const ledgerUsage = `Usage: hugo-pingback ledger COMMAND [flags]

Work on the ledger file itself:

  export   write the ledger as sorted JSON Lines (deterministic: commit it to your repository
           instead of caching the ledger in CI)
  import   merge such an export into the ledger; the newer record wins
  compact  rewrite the ledger without its free pages (send does when a third is free)

Run "hugo-pingback ledger COMMAND --help" for the flags of each.
`

// ledgerCommands are the subcommands of ledger.
var ledgerCommands = map[string]runFunc{
	"export":  runLedgerExport,
	"import":  runLedgerImport,
	"compact": runLedgerCompact,
}

func runLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "ledger", ledgerCommands, ledgerUsage, args, stdout, stderr)
}

const ledgerExportSynopsis = `Write the ledger as JSON Lines: a header with the format's version, then one record per
page, notification, discovery entry, feed and service call, each kind sorted by its URLs.
The same ledger always gives the same bytes, so the file can live in your repository: a
commit happens only when something was sent or recorded. "send --ledger-export FILE" keeps
such a file current after each run. The run log is not exported.`

const ledgerExportExamples = `  hugo-pingback ledger export --out linkbacks.jsonl
  hugo-pingback ledger export | jq 'select(.type == "notification" and .status == "failed")'
`

func runLedgerExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("ledger export", config.Ledger, ledgerExportSynopsis, ledgerExportExamples, stdout)
	c.HugoConfigFlags()
	out := c.String("out", "FILE", "write the export to FILE (relative to --site), rewritten only when it changed, instead of to stdout")
	if err := c.parse(args); err != nil {
		return err
	}
	ld, l, err := c.openExisting(ctx, stderr, &state.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer l.Close()
	if *out == "" {
		return l.Export(stdout)
	}
	path := ld.cfg.Path(*out)
	changed, err := l.ExportFile(path)
	if err != nil {
		return err
	}
	if changed {
		fmt.Fprintf(stdout, "exported %s to %s\n", l.Path(), path)
	} else {
		fmt.Fprintf(stdout, "%s is up to date\n", path)
	}
	return nil
}

const ledgerImportSynopsis = `Merge a JSON Lines export (from "ledger export" or "send --ledger-export") into the ledger,
creating the ledger when there is none: a record the ledger lacks is added, one it has is
replaced when the export's is newer, and a page keeps every target either knew. Importing
the same file again changes nothing.`

const ledgerImportExamples = `  # A CI job without a cache: the export committed to the repository is the ledger
  hugo-pingback ledger import linkbacks.jsonl
`

func runLedgerImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("ledger import", config.Ledger, ledgerImportSynopsis, ledgerImportExamples, stdout)
	c.HugoConfigFlags()
	c.Args(1, "FILE")
	if err := c.parse(args); err != nil {
		return err
	}
	if len(c.args) != 1 {
		return usagef("ledger import: want the FILE to import")
	}
	ld, err := c.load(ctx, false, false, newLogger(stderr, false))
	if err != nil {
		return err
	}
	file := c.args[0]
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("import %w", err)
	}
	defer f.Close()
	// Without a ledger, the import seeds a new one, which appears whole or
	// not at all: a failed import leaves no empty ledger behind (which
	// would keep send --ledger-export from seeding it later).
	l, err := state.Open(ld.cfg.Ledger, &state.Options{Seed: file})
	if err != nil {
		return ledgerError(ld.cfg.Ledger, err)
	}
	defer l.Close()
	st, seeded := l.Seeded()
	if !seeded {
		if st, err = l.Import(f); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	fmt.Fprintf(stdout, "imported %s into %s: %d added, %d newer, %d unchanged\n", file, l.Path(), st.Added, st.Updated, st.Unchanged)
	return nil
}

const ledgerCompactSynopsis = `Rewrite the ledger into a new file holding only its records, every page filled, and rename
it over the old one: killed at any moment, the ledger is the old file or the new one. bbolt
reuses the pages a run frees but never gives them back; send compacts by itself when a third
of the ledger's pages hold nothing.`

const ledgerCompactExamples = `  hugo-pingback ledger compact
`

func runLedgerCompact(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("ledger compact", config.Ledger, ledgerCompactSynopsis, ledgerCompactExamples, stdout)
	c.HugoConfigFlags()
	if err := c.parse(args); err != nil {
		return err
	}
	_, l, err := c.openExisting(ctx, stderr, nil)
	if err != nil {
		return err
	}
	defer l.Close()
	r, err := l.Compact()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "compacted %s: %d -> %d bytes\n", l.Path(), r.Before, r.After)
	return nil
}

// openExisting loads the command's config and opens its ledger, which
// must exist.
func (c *command) openExisting(ctx context.Context, stderr io.Writer, opts *state.Options) (*loaded, *state.Ledger, error) {
	ld, err := c.load(ctx, false, false, newLogger(stderr, false))
	if err != nil {
		return nil, nil, err
	}
	path := ld.cfg.Ledger
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("no ledger at %s (pass --ledger, or run `hugo-pingback send` first)", path)
	}
	l, err := state.Open(path, opts)
	if err != nil {
		return nil, nil, ledgerError(path, err)
	}
	return ld, l, nil
}
