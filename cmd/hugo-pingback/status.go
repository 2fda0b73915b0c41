package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/state"
)

const statusSynopsis = `Show what the ledger knows: how many notifications were sent, failed, found no endpoint,
or wait for a retry, and why, in words, with the protocol and endpoint of each. Read-only:
it can run while nothing else holds the ledger.`

const statusExamples = `  hugo-pingback status
  hugo-pingback status --all                 # every notification, not only the open ones
  hugo-pingback status --json | jq '.notifications[] | select(.status=="failed")'
`

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("status", config.Status, statusSynopsis, statusExamples, stdout)
	c.HugoConfigFlags()
	jsonOut := c.Bool("json", "print every notification as JSON")
	all := c.Bool("all", "list every notification, including those sent")
	if err := c.parse(args); err != nil {
		return err
	}
	ld, err := c.load(ctx, false, false, newLogger(stderr, false))
	if err != nil {
		return err
	}
	ledgerPath := ld.cfg.Ledger
	if _, err := os.Stat(ledgerPath); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no ledger at %s: nothing was sent yet (run `hugo-pingback send`, or pass --ledger)", ledgerPath)
	}
	l, err := state.Open(ledgerPath, &state.Options{ReadOnly: true})
	if err != nil {
		return ledgerError(ledgerPath, err)
	}
	defer l.Close()

	var ns []state.Notification
	if err := l.ForEachNotification(func(n state.Notification) error {
		ns = append(ns, n)
		return nil
	}); err != nil {
		return err // state's errors name the ledger
	}
	// Pages are counted as send scans them (every HTML file of the last
	// build it saw); the deleted ones it remembers are counted apart.
	records, err := l.Pages()
	if err != nil {
		return err
	}
	pages, deleted := 0, 0
	for _, p := range records {
		if p.Deleted {
			deleted++
		} else {
			pages++
		}
	}
	run, hasRun, err := l.LastRun()
	if err != nil {
		return err
	}
	counts := map[state.Status]int{}
	for _, n := range ns {
		counts[n.Status]++
	}

	if *jsonOut {
		out := statusJSON{Ledger: ledgerPath, Pages: pages, Deleted: deleted, Counts: counts, Notifications: ns}
		if hasRun {
			out.LastRun = &run
		}
		if out.Notifications == nil {
			out.Notifications = []state.Notification{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}

	fmt.Fprintf(stdout, "ledger %s: %d pages", ledgerPath, pages)
	if deleted > 0 {
		fmt.Fprintf(stdout, " (and %d deleted)", deleted)
	}
	fmt.Fprintf(stdout, ", %d notifications\n", len(ns))
	if hasRun {
		fmt.Fprintf(stdout, "last run: %s, %s", run.Command, run.Finished.Local().Format("2006-01-02 15:04"))
		switch {
		case run.Stopped == state.StoppedBudget:
			fmt.Fprint(stdout, " (stopped: its time budget ran out)")
		case run.Stopped == state.StoppedSignal:
			fmt.Fprint(stdout, " (stopped: interrupted)")
		case run.Interrupted:
			fmt.Fprint(stdout, " (stopped early)")
		}
		fmt.Fprintln(stdout)
	}
	for _, st := range []state.Status{state.StatusNotified, state.StatusRetry, state.StatusDeferred, state.StatusPending, state.StatusInFlight, state.StatusFailed, state.StatusNoEndpoint, state.StatusSkipped, state.StatusBaseline} {
		if counts[st] > 0 {
			fmt.Fprintf(stdout, "  %-12s %6d  %s\n", st, counts[st], statusMeaning[st])
		}
	}
	sort.SliceStable(ns, func(i, j int) bool { return statusOrder(ns[i].Status) < statusOrder(ns[j].Status) })
	header := state.Status("")
	for _, n := range ns {
		if !*all && (n.Status == state.StatusNotified || n.Status == state.StatusBaseline || n.Status == state.StatusSkipped) {
			continue
		}
		if n.Status != header {
			header = n.Status
			fmt.Fprintf(stdout, "\n%s:\n", header)
		}
		fmt.Fprintf(stdout, "  %s -> %s\n      %s\n", n.Source, n.Target, explainNotification(n))
	}
	return nil
}

type statusJSON struct {
	Ledger        string               `json:"ledger"`
	Pages         int                  `json:"pages"`
	Deleted       int                  `json:"deleted_pages"`
	Counts        map[state.Status]int `json:"counts"`
	LastRun       *state.Run           `json:"last_run,omitempty"`
	Notifications []state.Notification `json:"notifications"`
}

var statusMeaning = map[state.Status]string{
	state.StatusNotified:   "sent and accepted",
	state.StatusRetry:      "failed for a passing reason; retried by a later run",
	state.StatusDeferred:   "source page was not live yet; retried by the next run",
	state.StatusPending:    "planned, not sent yet (a run ran out of time)",
	state.StatusInFlight:   "sent when a run stopped, answer unknown; re-sent by the next run",
	state.StatusFailed:     "failed for good",
	state.StatusNoEndpoint: "target accepts no linkbacks",
	state.StatusSkipped:    "not sent by choice (self-ping, excluded)",
	state.StatusBaseline:   "recorded as handled by --baseline or a date limit",
}

func statusOrder(s state.Status) int {
	for i, st := range []state.Status{state.StatusFailed, state.StatusRetry, state.StatusDeferred, state.StatusInFlight, state.StatusPending, state.StatusNoEndpoint, state.StatusNotified, state.StatusSkipped, state.StatusBaseline} {
		if s == st {
			return i
		}
	}
	return 99
}

// explainNotification says in words what happened and what comes next.
func explainNotification(n state.Notification) string {
	via := ""
	if n.Protocol != "" {
		via = fmt.Sprintf(" via %s (%s)", n.Protocol, n.Endpoint)
	}
	switch n.Status {
	case state.StatusNotified:
		s := "notified" + via + " " + n.NotifiedAt.Local().Format("2006-01-02 15:04")
		if n.Answer != "" {
			s += ": " + oneLine(n.Answer, 120)
		}
		return s
	case state.StatusRetry, state.StatusDeferred:
		return fmt.Sprintf("%s%s; attempt %d, retry after %s", n.LastError, via, n.Attempts, when(n.NextAttempt))
	case state.StatusFailed:
		return fmt.Sprintf("%s%s (after %d attempts)", n.LastError, via, n.Attempts)
	case state.StatusNoEndpoint:
		return n.LastError
	case state.StatusInFlight:
		if n.LastError != "" { // why the run stopped, as the sender recorded it
			return n.LastError + via
		}
		return "was being sent" + via + " when a run was killed; the next run re-sends it"
	case state.StatusPending:
		return "waits for the next run"
	case state.StatusBaseline:
		if n.LastError == "" {
			return "recorded as handled by --baseline, not sent"
		}
	}
	return n.LastError
}

func when(t time.Time) string {
	if t.IsZero() {
		return "the next run"
	}
	lt := t.Local()
	if lt.Format("2006-01-02") == time.Now().Format("2006-01-02") {
		return lt.Format("15:04")
	}
	return lt.Format("2006-01-02 15:04")
}

func oneLine(s string, n int) string {
	b := []rune(s)
	for i, r := range b {
		if r == '\n' || r == '\r' || r == '\t' {
			b[i] = ' '
		}
	}
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
