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

	BudgetExhausted bool     `json:"budget_exhausted"`
	Interrupted     bool     `json:"interrupted"`        // stopped by a signal
	Items           []Item   `json:"items"`              // never null: an empty run has []
	Services        []Item   `json:"services,omitempty"` // update services and WebSub hubs
	Warnings        []string `json:"warnings,omitempty"`

	mu sync.Mutex
}

func (r *Report) add(it Item) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Items = append(r.Items, it)
	switch state.Status(it.Status) {
	case state.StatusNotified:
		r.Notified++
	case state.StatusNoEndpoint:
		r.NoEndpoint++
	case state.StatusFailed:
		r.Failed++
	case state.StatusRetry:
		r.Retry++
	case state.StatusDeferred:
		r.Deferred++
	}
	if it.Status == "planned" {
		r.Planned++
	}
}

func (r *Report) unsent() {
	r.mu.Lock()
	r.Unsent++
	r.mu.Unlock()
}

func (r *Report) alreadyRegistered() {
	r.mu.Lock()
	r.AlreadyRegistered++
	r.mu.Unlock()
}

// count tallies a link that is not notified at all.
func (r *Report) count(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if why == reasonSelfPing {
		r.SelfPing++
	} else {
		r.Excluded++
	}
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
	switch r.Mode {
	case "dry-run":
		fmt.Fprintf(w, "dry run: %d notifications would be sent; nothing was sent or written\n", r.Planned)
	case "baseline":
		fmt.Fprintf(w, "baseline: links recorded as handled; nothing was sent\n")
	default:
		var parts []string
		parts = append(parts, fmt.Sprintf("%d notified", r.Notified))
		if r.AlreadyRegistered > 0 {
			parts = append(parts, fmt.Sprintf("(%d already registered)", r.AlreadyRegistered))
		}
		parts = append(parts,
			fmt.Sprintf("%d no endpoint", r.NoEndpoint),
			fmt.Sprintf("%d failed", r.Failed),
			fmt.Sprintf("%d waiting for retry", r.Retry),
			fmt.Sprintf("%d deferred (source not live)", r.Deferred))
		if r.Unsent > 0 {
			parts = append(parts, fmt.Sprintf("%d left for the next run", r.Unsent))
		}
		fmt.Fprintf(w, "notifications: %s\n", strings.Join(parts, ", "))
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
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
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
