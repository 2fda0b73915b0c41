package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints usage (with examples) to stdout on --help.
func newFlagSet(name, synopsis, examples string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: hugo-pingback %s\n\n%s\n\nFlags:\n", name, synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			kind, usage := flag.UnquoteUsage(f)
			if kind != "" {
				kind = " " + kind
			}
			fmt.Fprintf(stdout, "  --%s%s\n      %s", f.Name, kind, strings.ReplaceAll(usage, "\n", "\n      "))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0s" {
				fmt.Fprintf(stdout, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(stdout)
		})
		fmt.Fprintf(stdout, "\nExamples:\n%s", examples)
	}
	return fs
}

// parseFlags parses args and returns the names of the flags the user set,
// so that only those override the site's config.
func parseFlags(fs *flag.FlagSet, args []string) (map[string]bool, error) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.Usage()
			return nil, errHelp
		}
		return nil, usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set, nil
}

// listFlag is a repeatable flag that also accepts comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// dateFlag is a day (2006-01-02) or an RFC 3339 time.
type dateFlag struct{ t time.Time }

func (d *dateFlag) String() string {
	if d.t.IsZero() {
		return ""
	}
	return d.t.Format(time.RFC3339)
}
func (d *dateFlag) Set(v string) error {
	t, err := parseDate(v)
	if err != nil {
		return err
	}
	d.t = t
	return nil
}

func parseDate(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want a date like 2026-01-31 or 2026-01-31T12:00:00Z, got %q", v)
}

// ageFlag is a duration that also takes days and weeks: 30d, 2w, 36h.
type ageFlag struct{ d time.Duration }

func (a *ageFlag) String() string {
	if a.d == 0 {
		return ""
	}
	return a.d.String()
}
func (a *ageFlag) Set(v string) error {
	d, err := parseAge(v)
	if err != nil {
		return err
	}
	a.d = d
	return nil
}

func parseAge(v string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(v, suffix); ok {
			if f, err := strconv.ParseFloat(n, 64); err == nil && f >= 0 {
				return time.Duration(f * float64(unit)), nil
			}
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration like 30d, 2w or 36h, got %q", v)
	}
	return d, nil
}
