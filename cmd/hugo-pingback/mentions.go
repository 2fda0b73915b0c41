package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

const mentionsUsage = `Usage: hugo-pingback mentions COMMAND [flags]

Moderate and display the mentions hugo-pingback serve received: on the local mention
store (--data, default SITE/.hugo-pingback/mentions.db), or on a running receiver
through its admin API (--server URL, token from --token-file FILE or HUGO_PINGBACK_TOKEN).

Commands:
  list [--state S]... [--json]        the mentions, newest last (default: all states)
  approve ID...                       show them under their pages
  spam ID...                          hide them as spam
  delete ID...                        hide them as deleted (kept in the store)
  block HOST                          refuse the host from now on; its pending mentions become spam
  export                              write the approved mentions into DATA/mentions/*.json (jf2)
  pull --server URL | --webmention-io the same from a running receiver, or from webmention.io

Run "hugo-pingback mentions COMMAND --help" for the flags of each, with examples.
`

// mentionsCommands are the subcommands of mentions: synopsis, examples and
// how many positional arguments each takes (-1 any number, at least one).
var mentionsCommands = map[string]struct {
	synopsis, examples, args string
	maxArgs                  int
}{
	"list": {`List the mentions of the store or receiver, oldest first, as an aligned table or with --json
as one JSON array (id, source, target, protocol, state, type, received, author, name, excerpt,
reason, ...).`, `  hugo-pingback mentions list --state pending
  hugo-pingback mentions list --json | jq '.[] | select(.state=="spam") | .source'
  HUGO_PINGBACK_TOKEN=... hugo-pingback mentions list --server https://mentions.example.net
`, "", 0},
	"approve": {`Approve mentions: they appear in the next export under their target pages, and their source
hosts are trusted from then on (--moderate unknown).`, `  hugo-pingback mentions approve 12 15
`, "ID...", -1},
	"spam": {`Mark mentions as spam: hidden, kept with the reason.`, `  hugo-pingback mentions spam 13 --reason "link farm"
`, "ID...", -1},
	"delete": {`Mark mentions as deleted: hidden, kept in the store (a later request from the source is
verified again).`, `  hugo-pingback mentions delete 14
`, "ID...", -1},
	"block": {`Block a host: its pending mentions become spam ("blocked host"), and new ones from it are
spam at once.`, `  hugo-pingback mentions block spam.example
`, "HOST", 1},
	"export": {`Write the approved mentions into the Hugo site's data dir as jf2, one file per page:
https://blog.example.net/posts/hello/ -> DATA/mentions/posts/hello.json, the home page ->
DATA/mentions/_index.json. Unchanged files are not written; files of pages with no approved
mention left are removed (only files hugo-pingback wrote).`, `  hugo-pingback mentions export --site .
  hugo-pingback mentions export --site . --data /var/lib/hugo-pingback/mentions.db
`, "", 0},
	"pull": {`Fetch approved mentions into the same data files as export: from a running receiver
(--server URL, before a CI build), or from webmention.io (--webmention-io, token from
WEBMENTION_IO_TOKEN; only mentions newer than the last pull are fetched).`, `  HUGO_PINGBACK_TOKEN=${{ secrets.MENTIONS_TOKEN }} hugo-pingback mentions pull --server https://mentions.example.net
  WEBMENTION_IO_TOKEN=... hugo-pingback mentions pull --webmention-io
`, "", 0},
}

// webmentionIOEndpointEnv overrides webmention.io's API URL, for tests
// against a local fake only.
const webmentionIOEndpointEnv = "HUGO_PINGBACK_WEBMENTION_IO_ENDPOINT"

// mentionsFlags are the command line of one mentions subcommand.
type mentionsFlags struct {
	c                   *command
	dataDir             *string
	tokenFile, reason   *string
	jsonOut, wmio, full *bool
	states              stateFlags
	sub                 string
	cfg                 config.Config
	dataGiven, explicit bool
}

// stateFlags is the repeatable --state of list.
type stateFlags []mention.State

func (s *stateFlags) String() string { return "" }
func (s *stateFlags) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		st, err := mention.ParseState(p)
		if err != nil {
			return err
		}
		*s = append(*s, st)
	}
	return nil
}

func runMentions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// No command: the usage on stderr and a usage error; help: on stdout
	// (as dispatch does for the top level and ledger).
	if len(args) == 0 {
		fmt.Fprint(stderr, mentionsUsage)
		return usagef("mentions: no command given")
	}
	if args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, mentionsUsage)
		return nil
	}
	sub := args[0]
	spec, ok := mentionsCommands[sub]
	if !ok {
		names := make([]string, 0, len(mentionsCommands))
		for name := range mentionsCommands {
			names = append(names, name)
		}
		return unknownCommand("mentions", sub, names)
	}
	f := &mentionsFlags{sub: sub}
	f.c = newCommand("mentions "+sub, config.Mentions, spec.synopsis, spec.examples, stdout)
	f.c.HugoConfigFlags()
	c := f.c
	c.Args(spec.maxArgs, spec.args)
	f.tokenFile = c.String("token-file", "FILE", "with --server: the file holding the admin token (default $HUGO_PINGBACK_TOKEN)")
	switch sub {
	case "list":
		c.fs.Var(&f.states, "state", "only mentions in this state (repeatable: pending, approved, spam, deleted)")
		c.options = append(c.options, option{"state", "STATE", "only mentions in this state (repeatable, or comma-separated: pending, approved, spam, deleted)"})
		f.jsonOut = c.Bool("json", "print one JSON array of the mentions")
	case "approve", "spam", "delete":
		f.reason = c.String("reason", "TEXT", "the reason recorded with the new state")
	case "export", "pull":
		f.dataDir = c.String("data-dir", "DIR", "the Hugo data dir the files go under (default SITE/data)")
		if sub == "pull" {
			f.wmio = c.Bool("webmention-io", "pull from webmention.io's API with the token in $WEBMENTION_IO_TOKEN")
			f.full = c.Bool("full", "with --webmention-io: pull every mention again, not only the newer ones, so that edits and deletions made there show (run it now and then, e.g. weekly)")
		}
	}
	if err := c.parse(args[1:]); err != nil {
		return err
	}
	if spec.maxArgs != 0 && len(c.args) == 0 {
		return usagef("mentions %s: want %s (see --help)", sub, spec.args)
	}
	ld, err := c.load(ctx, false, false, newLogger(stderr, false))
	if err != nil {
		return err
	}
	f.cfg = ld.cfg
	_, f.dataGiven = c.value("data")
	_, f.explicit = c.value("server")

	switch sub {
	case "export":
		return f.export(ctx, stdout)
	case "pull":
		return f.pull(ctx, stdout)
	}
	m, closeFn, err := f.moderator(sub == "list")
	if err != nil {
		return err
	}
	defer closeFn()
	switch sub {
	case "list":
		return f.list(ctx, m, stdout)
	case "block":
		if err := m.Block(ctx, c.args[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "blocked %s: its pending mentions are spam, new ones will be\n", mention.NormaliseHost(c.args[0]))
		return nil
	}
	ids, err := parseIDs(c.args)
	if err != nil {
		return err
	}
	st := map[string]mention.State{"approve": mention.Approved, "spam": mention.Spam, "delete": mention.Deleted}[sub]
	reason := *f.reason
	if reason == "" && st != mention.Approved {
		reason = "marked " + string(st) + " by a moderator"
	}
	ms, err := m.Moderate(ctx, ids, st, reason)
	if err != nil {
		return err
	}
	for _, x := range ms {
		fmt.Fprintf(stdout, "%d %s: %s -> %s\n", x.ID, x.State, printable(x.Source, 80), printable(x.Target, 80))
	}
	return nil
}

func parseIDs(args []string) ([]mention.ID, error) {
	ids := make([]mention.ID, 0, len(args))
	for _, a := range args {
		n, err := strconv.ParseInt(strings.TrimPrefix(a, "#"), 10, 64)
		if err != nil || n <= 0 {
			return nil, usagef("mentions: %q is not a mention ID (see mentions list)", a)
		}
		ids = append(ids, mention.ID(n))
	}
	return ids, nil
}

// remote reports whether the command talks to a receiver: --server given,
// or params.pingback.server set and no --data given.
func (f *mentionsFlags) remote() bool {
	return f.explicit || (f.cfg.Server != "" && !f.dataGiven)
}

// moderator opens the local store or the receiver's admin API.
func (f *mentionsFlags) moderator(readOnly bool) (mention.Moderator, func(), error) {
	if f.remote() {
		r, err := f.newRemote()
		return r, func() {}, err
	}
	s, err := openMentionStore(f.cfg.Receive.Data, readOnly, "moderate through the receiver with --server URL")
	if err != nil {
		return nil, nil, err
	}
	return s, func() { _ = s.Close() }, nil
}

func (f *mentionsFlags) newRemote() (*mention.Remote, error) {
	token, err := adminToken(*f.tokenFile, f.cfg.Receive.AdminTokenFile)
	if err != nil {
		return nil, err
	}
	client := linkback.NewClient(linkback.ClientOptions{Timeout: f.cfg.Timeout, AllowPrivate: f.cfg.AllowPrivate})
	return mention.NewRemote(f.cfg.Server, token, client)
}

// adminToken reads the admin token: --token-file, else HUGO_PINGBACK_TOKEN,
// else the receiver's own token file when the config names one.
func adminToken(file, serveFile string) (string, error) {
	if file == "" {
		if t := strings.TrimSpace(os.Getenv("HUGO_PINGBACK_TOKEN")); t != "" {
			return t, nil
		}
		file = serveFile
	}
	if file == "" {
		return "", usagef("mentions: --server needs the admin token: --token-file FILE or HUGO_PINGBACK_TOKEN")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("read admin token: %s is empty", file)
	}
	return t, nil
}

// openMentionStore opens the local store, failing at once when a running
// serve holds it; hint says what to do then.
func openMentionStore(path string, readOnly bool, hint string) (*mention.BoltStore, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no mention store at %s: nothing was received yet (run hugo-pingback serve, pass --data FILE, or --server URL for a receiver elsewhere)", path)
	}
	s, err := mention.Open(path, &mention.Options{ReadOnly: readOnly, Timeout: 200 * time.Millisecond})
	switch {
	case errors.Is(err, mention.ErrLocked):
		return nil, fmt.Errorf("%w\n(a running hugo-pingback serve holds it: %s, with --token-file FILE or HUGO_PINGBACK_TOKEN)", err, hint)
	case errors.Is(err, mention.ErrCorrupt):
		return nil, fmt.Errorf("%w\n(the file was left as it is)", err)
	}
	return s, err
}

func (f *mentionsFlags) list(ctx context.Context, m mention.Moderator, stdout io.Writer) error {
	ms, err := m.Mentions(ctx, mention.Filter{States: f.states})
	if err != nil {
		return err
	}
	if *f.jsonOut {
		rows := make([]listRow, len(ms))
		for i, x := range ms {
			rows[i] = listRow{Mention: x, Name: x.Name, Excerpt: x.Excerpt, Reason: x.Reason}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(ms) == 0 {
		fmt.Fprintln(stdout, "no mentions")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tTYPE\tPROTOCOL\tRECEIVED\tSOURCE → TARGET\tAUTHOR / NAME\tREASON")
	for _, x := range ms {
		who := x.Author.Name
		if x.Name != "" {
			if who != "" {
				who += " / "
			}
			who += x.Name
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s → %s\t%s\t%s\n", x.ID, x.State, x.Type, x.Protocol,
			x.Received.Local().Format("2006-01-02"), printable(x.Source, 60), printable(x.Target, 60),
			printable(who, 40), printable(x.Reason, 60))
	}
	return tw.Flush()
}

// listRow is a mention as list --json prints it: the admin API's form,
// with name, excerpt and reason always present (empty rather than left
// out), so `jq .reason` never meets a missing key.
type listRow struct {
	mention.Mention
	Name    string `json:"name"`
	Excerpt string `json:"excerpt"`
	Reason  string `json:"reason"`
}

func (f *mentionsFlags) dataDirPath() string {
	if *f.dataDir != "" {
		return f.cfg.Path(*f.dataDir)
	}
	return f.cfg.Path("data")
}

func (f *mentionsFlags) export(ctx context.Context, stdout io.Writer) error {
	s, err := openMentionStore(f.cfg.Receive.Data, true, "use hugo-pingback mentions pull --server URL instead")
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := mention.Export(ctx, s, f.dataDirPath())
	printExport(stdout, "export", res)
	return err
}

func (f *mentionsFlags) pull(ctx context.Context, stdout io.Writer) error {
	var (
		res *mention.ExportResult
		err error
	)
	switch {
	case *f.full && !*f.wmio:
		return usagef("mentions pull: --full goes with --webmention-io (a pull from the receiver is always whole)")
	case *f.wmio && f.explicit:
		return usagef("mentions pull: --server or --webmention-io, not both")
	case *f.wmio:
		res, err = mention.PullWebmentionIO(ctx, mention.WebmentionIO{
			Token:    os.Getenv("WEBMENTION_IO_TOKEN"),
			Endpoint: os.Getenv(webmentionIOEndpointEnv),
			Client:   linkback.NewClient(linkback.ClientOptions{Timeout: f.cfg.Timeout, AllowPrivate: f.cfg.AllowPrivate}),
			Full:     *f.full,
		}, f.dataDirPath())
		printExport(stdout, "pull from webmention.io", res)
	case f.cfg.Server != "":
		r, rerr := f.newRemote()
		if rerr != nil {
			return rerr
		}
		res, err = mention.Export(ctx, r, f.dataDirPath())
		printExport(stdout, "pull from "+r.Server(), res)
	default:
		return usagef("mentions pull: want --server URL (or params.pingback.server) or --webmention-io")
	}
	return err
}

func printExport(w io.Writer, what string, res *mention.ExportResult) {
	if res == nil {
		return
	}
	fmt.Fprintf(w, "%s: %d mentions of %d pages in %s: %d written, %d removed, %d unchanged\n",
		what, res.Mentions, res.Files, res.Dir, len(res.Written), len(res.Removed), res.Unchanged)
	for _, p := range res.Written {
		fmt.Fprintf(w, "  wrote   %s\n", p)
	}
	for _, p := range res.Removed {
		fmt.Fprintf(w, "  removed %s\n", p)
	}
	for _, t := range res.Skipped {
		fmt.Fprintf(w, "  skipped %s (no data file name for this URL)\n", printable(t, 100))
	}
}

// printable makes text from a source safe for a terminal: control
// characters (escape sequences included) become spaces, and it is cut to n
// runes.
func printable(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}
