package sender

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hugo-pingback/hugo-pingback/state"
)

// Item is one notification's outcome in this run, or its plan in a dry run.
type Item struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	Kind     string `json:"kind"`   // new, retry, resend, update, delete
	Status   string `json:"status"` // planned, or a state.Status
	Protocol string `json:"protocol,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Code     int    `json:"code,omitempty"`
	Answer   string `json:"answer,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Report is what a run did; it is printed as the summary and as --json.
// Each stage of the run (scan, plan, deliver, services) returns its own
// counts, and Run puts them together here.
type Report struct {
	Mode     string    `json:"mode"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`

	Pages      int `json:"pages"`       // HTML files scanned
	NewPages   int `json:"new_pages"`   // not in the ledger before
	Changed    int `json:"changed"`     // bytes or settings changed
	Unchanged  int `json:"unchanged"`   // not parsed again
	Deleted    int `json:"deleted"`     // in the ledger, gone from the build
	NotSources int `json:"not_sources"` // changed pages that never send: lists, aliases, 404, opted out

	SendingPages  int `json:"sending_pages"`  // pages with new links to notify
	NewLinks      int `json:"new_links"`      // new links to notify
	UpdatingPages int `json:"updating_pages"` // pages re-sending Webmentions (changed links, deleted)

	Notified          int `json:"notified"`
	AlreadyRegistered int `json:"already_registered"` // part of Notified: fault 48 or 409
	NoEndpoint        int `json:"no_endpoint"`
	Failed            int `json:"failed"`
	Retry             int `json:"retry"`
	Deferred          int `json:"deferred"` // source not live yet
	SelfPing          int `json:"self_ping"`
	Excluded          int `json:"excluded"`
	Baseline          int `json:"baseline"`
	Unsent            int `json:"unsent"` // left for the next run when the budget ran out
	Planned           int `json:"planned,omitempty"`

	// Waiting is what the ledger holds open after the run (this run's
	// outcomes and earlier ones): nil in a dry run.
	Waiting *Waiting `json:"waiting,omitempty"`
	// FirstRun, on a first run with page dates, is what the
	// firstRunMaxAge cut-off recorded as handled.
	FirstRun *FirstRun `json:"first_run,omitempty"`
	// Compacted is the ledger's size before and after the run compacted
	// it (when a third of the file held nothing).
	Compacted *Compaction `json:"compacted,omitempty"`

	BudgetExhausted bool     `json:"budget_exhausted"`
	Interrupted     bool     `json:"interrupted"`        // stopped by a signal
	Items           []Item   `json:"items"`              // never null: an empty run has []
	Skipped         []Item   `json:"skipped,omitempty"`  // links of changed pages not notified, and why (Options.Verbose)
	Services        []Item   `json:"services,omitempty"` // update services and WebSub hubs
	Warnings        []string `json:"warnings,omitempty"`
}

// FirstRun is what a first run (no run recorded in the ledger) recorded as
// handled without sending: the links of pages published before Cutoff.
type FirstRun struct {
	Cutoff time.Time `json:"cutoff"`
	MaxAge string    `json:"max_age"` // firstRunMaxAge, as a duration
	Links  int       `json:"links"`   // links recorded as handled
	Pages  int       `json:"pages"`   // pages they are on
}

// Compaction is a ledger file's size, in bytes, before and after it was
// compacted.
type Compaction struct {
	Before int64 `json:"before"`
	After  int64 `json:"after"`
}

// Waiting counts the notifications the ledger holds open, by why they wait.
type Waiting struct {
	NotLive  int `json:"source_not_live"` // the source page was not live yet (deferred)
	Retry    int `json:"retry"`           // failed for a passing reason; tried again later
	NotSent  int `json:"not_sent"`        // planned and not sent yet (a run's time budget ran out)
	InFlight int `json:"in_flight"`       // sent when a run stopped, answer unknown; sent again next run
}

// Total is every notification waiting.
func (w *Waiting) Total() int { return w.NotLive + w.Retry + w.NotSent + w.InFlight }

func waitingFrom(stats map[state.Status]int) *Waiting {
	return &Waiting{
		NotLive: stats[state.StatusDeferred], Retry: stats[state.StatusRetry],
		NotSent: stats[state.StatusPending], InFlight: stats[state.StatusInFlight],
	}
}

// deliverResult is what the delivery did; its workers add to it at once.
type deliverResult struct {
	mu                sync.Mutex
	items             []Item
	notified          int
	alreadyRegistered int
	noEndpoint        int
	failed            int
	retry             int
	deferred          int
	unsent            int
	budgetExhausted   bool
	interrupted       bool
}

func (r *deliverResult) add(it Item) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = append(r.items, it)
	switch state.Status(it.Status) {
	case state.StatusNotified:
		r.notified++
	case state.StatusNoEndpoint:
		r.noEndpoint++
	case state.StatusFailed:
		r.failed++
	case state.StatusRetry:
		r.retry++
	case state.StatusDeferred:
		r.deferred++
	}
}

func (r *deliverResult) addUnsent() {
	r.mu.Lock()
	r.unsent++
	r.mu.Unlock()
}

func (r *deliverResult) addAlreadyRegistered() {
	r.mu.Lock()
	r.alreadyRegistered++
	r.mu.Unlock()
}

// setScan, setPlan and setDelivery put a stage's counts into the report.
func (r *Report) setScan(s *scanResult) {
	r.Pages, r.NewPages, r.Changed, r.Unchanged, r.NotSources = s.Pages, s.NewPages, s.Changed, s.Unchanged, s.NotSources
	r.Warnings = append(r.Warnings, s.Warnings...)
	r.Skipped = append(r.Skipped, s.Skipped...)
}

func (r *Report) setPlan(p *planResult) {
	r.SendingPages, r.NewLinks, r.UpdatingPages, r.Deleted = p.SendingPages, p.NewLinks, p.UpdatingPages, p.Deleted
	r.SelfPing, r.Excluded, r.Baseline, r.FirstRun = p.SelfPing, p.Excluded, p.Baseline, p.FirstRun
	r.Warnings = append(r.Warnings, p.Warnings...)
	r.Skipped = append(r.Skipped, p.Skipped...)
}

func (r *Report) setDelivery(d *deliverResult) {
	r.Items = append(r.Items, d.items...)
	r.Notified, r.AlreadyRegistered, r.NoEndpoint = d.notified, d.alreadyRegistered, d.noEndpoint
	r.Failed, r.Retry, r.Deferred, r.Unsent = d.failed, d.retry, d.deferred, d.unsent
	r.BudgetExhausted, r.Interrupted = d.budgetExhausted, d.interrupted
}

// Counts is the report's tallies by name, as kept in the ledger's run log.
func (r *Report) Counts() map[string]int {
	return map[string]int{
		"pages": r.Pages, "changed": r.Changed + r.NewPages, "deleted": r.Deleted, "new_links": r.NewLinks,
		"notified": r.Notified, "already_registered": r.AlreadyRegistered, "no_endpoint": r.NoEndpoint,
		"failed": r.Failed, "retry": r.Retry, "deferred": r.Deferred, "self_ping": r.SelfPing,
		"excluded": r.Excluded, "baseline": r.Baseline, "unsent": r.Unsent,
	}
}

// Summary writes the human summary of the run.
func (r *Report) Summary(w io.Writer) {
	fmt.Fprintf(w, "pages: %d scanned, %d new, %d changed, %d unchanged, %d deleted\n",
		r.Pages, r.NewPages, r.Changed, r.Unchanged, r.Deleted)
	fmt.Fprintf(w, "links: %d new on %d pages", r.NewLinks, r.SendingPages)
	if r.SelfPing > 0 {
		fmt.Fprintf(w, ", %d skipped as self-ping", r.SelfPing)
	}
	if r.Excluded > 0 {
		fmt.Fprintf(w, ", %d excluded", r.Excluded)
	}
	if r.Baseline > 0 {
		fmt.Fprintf(w, ", %d recorded as baseline (not sent)", r.Baseline)
	}
	fmt.Fprintln(w)
	if f := r.FirstRun; f != nil {
		fmt.Fprintf(w, "first run (no run recorded in the ledger): %d links on %d pages published before %s recorded as handled, not sent (firstRunMaxAge %s; --all sends them)\n",
			f.Links, f.Pages, f.Cutoff.Format("2006-01-02"), f.MaxAge)
	}
	switch r.Mode {
	case "dry-run":
		fmt.Fprintf(w, "dry run: %d notifications would be sent; nothing was sent or written\n", r.Planned)
	case "baseline":
		fmt.Fprintf(w, "baseline: links recorded as handled; nothing was sent\n")
	default:
		parts := []string{fmt.Sprintf("%d notified", r.Notified)}
		if r.AlreadyRegistered > 0 {
			parts = append(parts, fmt.Sprintf("(%d already registered)", r.AlreadyRegistered))
		}
		parts = append(parts, fmt.Sprintf("%d no endpoint", r.NoEndpoint), fmt.Sprintf("%d failed", r.Failed))
		if r.Retry > 0 {
			parts = append(parts, fmt.Sprintf("%d to retry", r.Retry))
		}
		if r.Deferred > 0 {
			parts = append(parts, fmt.Sprintf("%d deferred (source not live)", r.Deferred))
		}
		if r.Unsent > 0 {
			parts = append(parts, fmt.Sprintf("%d left for the next run", r.Unsent))
		}
		fmt.Fprintf(w, "notifications: %s\n", strings.Join(parts, ", "))
		if r.Waiting != nil && r.Waiting.Total() > 0 {
			fmt.Fprintf(w, "%d waiting: %s\n", r.Waiting.Total(), r.Waiting.String())
		}
		if r.BudgetExhausted {
			fmt.Fprintln(w, "the run's time budget (--max-time) ran out; the rest waits for the next run")
		}
	}
	for _, it := range r.Services {
		fmt.Fprintf(w, "%s %s: %s", it.Protocol, it.Endpoint, it.Status)
		if it.Error != "" {
			fmt.Fprintf(w, " (%s)", it.Error)
		}
		fmt.Fprintln(w)
	}
	if c := r.Compacted; c != nil {
		fmt.Fprintf(w, "ledger compacted: %.1f MB -> %.1f MB\n", float64(c.Before)/1e6, float64(c.After)/1e6)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// stopped is why the run stopped early, as state.Run.Stopped has it.
func (r *Report) stopped() string {
	switch {
	case r.Interrupted:
		return state.StoppedSignal
	case r.BudgetExhausted:
		return state.StoppedBudget
	}
	return ""
}

// String says why the notifications wait, largest reason first when there
// are several: "19 source not live, 2 retry after a failure".
func (w *Waiting) String() string {
	var parts []string
	add := func(n int, why string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, why))
		}
	}
	add(w.NotLive, "source not live")
	add(w.Retry, "retry after a failure")
	add(w.NotSent, "not sent yet (the run stopped before them)")
	add(w.InFlight, "re-sent next run (a run stopped mid-send)")
	if len(parts) == 1 {
		// "19 waiting: source not live" rather than "19 waiting: 19 source not live".
		_, why, _ := strings.Cut(parts[0], " ")
		return why
	}
	return strings.Join(parts, ", ")
}

// Line is the one-line form of an item, for --verbose and the dry-run plan.
func (it Item) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-11s %s -> %s", it.Status, it.Source, it.Target)
	if it.Kind != KindNew && it.Kind != "" {
		fmt.Fprintf(&b, " [%s]", it.Kind)
	}
	if it.Protocol != "" {
		fmt.Fprintf(&b, " via %s", it.Protocol)
	}
	if it.Error != "" {
		fmt.Fprintf(&b, ": %s", it.Error)
	}
	return b.String()
}
