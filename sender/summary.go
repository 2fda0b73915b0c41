package sender

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hugo-pingback/hugo-pingback/state"
)

// MaxSummaryItems bounds how many notifications Markdown lists, so that a
// huge run still fits a CI summary (GitHub takes at most 1 MiB per step); the
// rest are counted, not listed.
const MaxSummaryItems = 200

// maxCell bounds one table cell in runes: a receiver's answer can be a page.
const maxCell = 300

// summarySection is one group of items in the Markdown summary. Failures come
// first: they are what a reader must act on, and the bound cuts the tail.
type summarySection struct {
	status string
	title  string
}

var summarySections = []summarySection{
	{string(state.StatusFailed), "Failed"},
	{string(state.StatusRetry), "Waiting for a retry"},
	{string(state.StatusDeferred), "Deferred: source page not live yet"},
	{string(state.StatusNotified), "Notified"},
	{string(state.StatusNoEndpoint), "No endpoint"},
	{"planned", "Planned"},
}

// Markdown writes the run as a Markdown report (GitHub's job summary, a
// GitLab or Gitea comment): a table of counts, then the failed, retried,
// deferred, notified and endpoint-less notifications with their source,
// target, protocol and reason in words, at most MaxSummaryItems of them.
func (r *Report) Markdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	title := "hugo-pingback send"
	switch r.Mode {
	case "dry-run":
		title += " (dry run: nothing was sent)"
	case "baseline":
		title += " --baseline (nothing was sent)"
	}
	fmt.Fprintf(bw, "### %s\n\n", title)

	fmt.Fprintf(bw, "| outcome | count |\n|---|--:|\n")
	row := func(label string, n int, always bool) {
		if n != 0 || always {
			fmt.Fprintf(bw, "| %s | %d |\n", label, n)
		}
	}
	row("pages scanned", r.Pages, true)
	row("pages new or changed", r.NewPages+r.Changed, true)
	row("pages deleted", r.Deleted, false)
	row("new links", r.NewLinks, true)
	switch r.Mode {
	case "dry-run":
		row("would be sent", r.Planned, true)
	case "baseline":
		row("recorded as handled", r.Baseline, true)
	default:
		row("notified", r.Notified, true)
		row("of which already registered", r.AlreadyRegistered, false)
		row("failed", r.Failed, true)
		row("waiting for a retry", r.Retry, true)
		row("deferred (source not live)", r.Deferred, true)
		row("no endpoint", r.NoEndpoint, true)
		row("left for the next run", r.Unsent, false)
		row("recorded as handled (date limit)", r.Baseline, false)
	}
	row("skipped as self-ping", r.SelfPing, false)
	row("excluded", r.Excluded, false)
	bw.WriteString("\n")

	if r.BudgetExhausted {
		bw.WriteString("The run's time budget (`--max-time`) ran out; the rest waits for the next run.\n\n")
	}
	if r.Interrupted {
		bw.WriteString("The run was interrupted; notifications in flight are re-sent by the next run.\n\n")
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(bw, "> **warning:** %s\n\n", mdText(warn))
	}

	budget := MaxSummaryItems
	for _, sec := range summarySections {
		var items []Item
		for _, it := range r.Items {
			if it.Status == sec.status {
				items = append(items, it)
			}
		}
		if len(items) == 0 {
			continue
		}
		fmt.Fprintf(bw, "#### %s (%d)\n\n", sec.title, len(items))
		if budget == 0 {
			fmt.Fprintf(bw, "%d not listed (the summary lists at most %d); `hugo-pingback status` shows them all.\n\n", len(items), MaxSummaryItems)
			continue
		}
		bw.WriteString("| source | target | protocol | reason |\n|---|---|---|---|\n")
		shown := min(len(items), budget)
		for _, it := range items[:shown] {
			fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", mdCode(it.Source), mdCode(it.Target), mdText(it.Protocol), mdText(itemReason(it)))
		}
		budget -= shown
		if left := len(items) - shown; left > 0 {
			fmt.Fprintf(bw, "\n%d more not listed (the summary lists at most %d); `hugo-pingback status` shows them all.\n", left, MaxSummaryItems)
		}
		bw.WriteString("\n")
	}
	for _, it := range r.Services {
		fmt.Fprintf(bw, "- %s %s: %s", mdText(it.Protocol), mdCode(it.Endpoint), mdText(it.Status))
		if it.Error != "" {
			fmt.Fprintf(bw, " (%s)", mdText(it.Error))
		}
		bw.WriteString("\n")
	}
	if len(r.Services) > 0 {
		bw.WriteString("\n")
	}
	return bw.Flush()
}

// itemReason says in words why an item ended as it did; Error already holds
// linkback's explanation of a failure.
func itemReason(it Item) string {
	reason := it.Error
	if reason == "" {
		switch {
		case it.Status == string(state.StatusNotified) && it.Answer != "":
			reason = "accepted: " + it.Answer
		case it.Status == string(state.StatusNotified):
			reason = "accepted"
		case it.Status == "planned":
			reason = "would be sent"
		}
	}
	if it.Kind != "" && it.Kind != KindNew {
		reason = "(" + it.Kind + ") " + reason
	}
	return strings.TrimSpace(reason)
}

// OutputKeys are the keys Outputs writes, in order.
var OutputKeys = []string{
	"mode", "pages", "changed", "deleted", "new_links", "planned",
	"notified", "already_registered", "failed", "retry", "deferred", "no_endpoint",
	"unsent", "self_ping", "excluded", "baseline", "budget_exhausted", "interrupted",
}

// Outputs writes the run's counts as key=value lines (notified=3), the
// format of GitHub's $GITHUB_OUTPUT and of GitLab's dotenv reports; the keys
// are OutputKeys.
func (r *Report) Outputs(w io.Writer) error {
	counts := r.Counts()
	counts["planned"] = r.Planned
	var b strings.Builder
	for _, k := range OutputKeys {
		switch k {
		case "mode":
			fmt.Fprintf(&b, "mode=%s\n", r.Mode)
		case "budget_exhausted":
			fmt.Fprintf(&b, "budget_exhausted=%t\n", r.BudgetExhausted)
		case "interrupted":
			fmt.Fprintf(&b, "interrupted=%t\n", r.Interrupted)
		default:
			fmt.Fprintf(&b, "%s=%d\n", k, counts[k])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCode writes s as a code span in a table cell: nothing in it is Markdown,
// so a URL is shown as written. A backtick cannot close the span early: it
// is percent-encoded, which names the same URL.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(oneLine(s), "`", "%60")
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// mdText escapes s for a table cell: receivers' answers are text chosen by
// someone else and must not become links, images or HTML in the summary.
func mdText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune("\\`*_[]<>|&~", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// oneLine folds s onto one line of at most maxCell runes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxCell {
		s = string([]rune(s)[:maxCell]) + "…"
	}
	return s
}
