package sender

import (
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// The decision of what one page means for its notifications is a pure
// function of the page as the ledger knew it, the page as this build has
// it, and the run's rules: no ledger, no network, no clock of its own. The
// planner (plan.go) feeds it and commits what it decides.

// Job kinds: why a notification is due in this run.
const (
	KindNew    = "new"    // a link the ledger never saw
	KindRetry  = "retry"  // a transient failure whose next attempt is due
	KindResend = "resend" // left in flight by a run that died
	KindUpdate = "update" // Webmention: the source page changed
	KindDelete = "delete" // Webmention: the source page left the site
)

// job is one notification due in this run.
type job struct {
	n    state.Notification
	kind string
}

// before is what the ledger knew of a page when the run began.
type before struct {
	known   bool // the ledger has a record of the page
	deleted bool // ... marked deleted
	// notifications are the page's notifications, sorted by target.
	notifications []state.Notification
}

// rules are the run's settings as the decision needs them.
type rules struct {
	mode Mode
	now  time.Time
	// since, when not zero, baselines the new links of pages published
	// before it (or without a date); sinceWhy says why in the record.
	since    time.Time
	sinceWhy string
	// excluded returns why a new link is never notified (self-ping, an
	// exclude pattern), or "".
	excluded func(target string) string
}

// decision is what a page means for the ledger and the delivery.
type decision struct {
	// page is the page's new record; nil when the page left the site.
	page *state.Page
	// gone is the URL of a page that left the site (marked deleted).
	gone string
	// records are the notifications to write: new ones (pending, baseline,
	// skipped), updates and deletes due (pending again), and waiting ones
	// cancelled because their link or page went away (skipped).
	records []state.Notification
	// jobs are the notifications due now.
	jobs []*job
	// skipped are the new links not notified, with why (self-ping, exclude).
	skipped []Item
	// Counts for the report and the flood guard.
	newLinks  int // new links to notify now
	baselined int // new links recorded as handled, not sent
	datedOut  int // ... of them because of the date limit
	selfPings int // new links skipped as self-pings
	excluded  int // new links skipped by an exclude pattern
	updates   int // Webmention updates and deletes due
}

// sending reports whether the page sends new links; updating whether it
// re-sends Webmentions.
func (d *decision) sending() bool  { return d.newLinks > 0 }
func (d *decision) updating() bool { return d.updates > 0 }

// Why a waiting notification is not sent after all.
const (
	whyLinkRemoved = "the link was removed before it was sent"
	whyPageDeleted = "the page was deleted before it was sent"
)

// decide is the decision for a page of this build whose bytes or settings
// changed since the ledger saw it (p.changed).
func decide(p *scannedPage, b before, r rules) decision {
	var d decision
	// The title is not kept: nothing reads it back, and the ledger keeps
	// what later runs need.
	rec := &state.Page{URL: p.file.URL, File: p.file.Rel, Hash: p.hash, Links: p.links, Published: p.published, LastSeen: r.now}
	d.page = rec
	if !p.source {
		// Opted out or no longer a single page: nothing more is sent from it.
		for _, n := range b.notifications {
			if isOpen(n) && !isResend(n) {
				d.cancel(n, "the page no longer sends ("+p.skip+")", r.now)
			}
		}
		return d
	}
	// A page new to the ledger (the common case of a first run) needs no
	// index of what it had.
	var existing map[string]state.Notification
	var current map[string]bool
	if len(b.notifications) > 0 {
		existing = make(map[string]state.Notification, len(b.notifications))
		for _, n := range b.notifications {
			existing[n.Target] = n
		}
		current = make(map[string]bool, len(p.links))
	}
	d.records = make([]state.Notification, 0, len(p.links)+len(b.notifications))
	for _, target := range p.links {
		if current != nil {
			current[target] = true
		}
		if n, ok := existing[target]; ok {
			if r.mode != ModeBaseline && needsUpdate(n, p.version) {
				d.update(n, p.version, KindUpdate)
			}
			continue
		}
		n := state.Notification{Source: p.file.URL, Target: target, Status: state.StatusPending, Version: p.version, Created: r.now, Updated: r.now}
		switch why := r.excluded(target); {
		case why != "":
			n.Status, n.LastError = state.StatusSkipped, why
			d.skipped = append(d.skipped, Item{Source: n.Source, Target: target, Kind: KindNew, Status: string(state.StatusSkipped), Error: why})
			if why == reasonSelfPing {
				d.selfPings++
			} else {
				d.excluded++
			}
		case r.mode == ModeBaseline:
			// The status says it all: no reason is stored with each link.
			n.Status = state.StatusBaseline
			d.baselined++
		case !r.since.IsZero() && (p.published.IsZero() || p.published.Before(r.since)):
			n.Status, n.LastError = state.StatusBaseline, r.sinceWhy
			d.baselined++
			d.datedOut++
		default:
			d.newLinks++
			d.jobs = append(d.jobs, &job{n: n, kind: KindNew})
			// The page's record keeps every target it ever tried.
			rec.Targets = append(rec.Targets, target)
		}
		d.records = append(d.records, n)
	}
	// A removed link: Webmention targets hear of it (the spec's update 2);
	// a notification still waiting for it is not sent any more.
	for _, n := range b.notifications {
		switch {
		case current[n.Target] || r.mode == ModeBaseline:
		case needsUpdate(n, p.version) || maybeDelivered(n):
			d.update(n, p.version, KindUpdate)
		case isOpen(n) && !isResend(n):
			d.cancel(n, whyLinkRemoved, r.now)
		}
	}
	return d
}

// decideGone is the decision for a page that left the site: its record is
// marked deleted and every target it told by Webmention hears again.
func decideGone(url string, b before, r rules) decision {
	d := decision{gone: url}
	for _, n := range b.notifications {
		switch {
		case r.mode == ModeBaseline:
		case needsUpdate(n, deletedVersion) || maybeDelivered(n):
			d.update(n, deletedVersion, KindDelete)
		case isOpen(n) && !isResend(n):
			d.cancel(n, whyPageDeleted, r.now)
		}
	}
	return d
}

// update makes n due again as a Webmention update or delete.
func (d *decision) update(n state.Notification, version, kind string) {
	n.Status, n.Version, n.Attempts, n.LastError, n.DeferredSince = state.StatusPending, version, 0, "", time.Time{}
	d.records = append(d.records, n)
	d.jobs = append(d.jobs, &job{n: n, kind: kind})
	d.updates++
}

// cancel records that a waiting notification is not sent after all.
func (d *decision) cancel(n state.Notification, why string, now time.Time) {
	n.Status, n.LastError, n.NextAttempt, n.Updated = state.StatusSkipped, why, time.Time{}, now
	d.records = append(d.records, n)
}

// isOpen reports whether a notification is still waiting to be sent.
func isOpen(n state.Notification) bool {
	switch n.Status {
	case state.StatusPending, state.StatusInFlight, state.StatusRetry, state.StatusDeferred:
		return true
	}
	return false
}

// isResend reports an open update or delete: those must still reach the
// target, whatever became of the link since.
func isResend(n state.Notification) bool {
	return linkback.ResendsUpdates(n.Protocol) && (!n.NotifiedAt.IsZero() || n.Version == deletedVersion)
}

// maybeDelivered reports whether an open notification may have reached its
// receiver: a run killed during its request left it in flight after a
// send. With update semantics the receiver must then hear that the link
// or the page went (it checks the source again, so hearing twice is
// harmless); cancelled, it would keep a mention the page no longer makes.
func maybeDelivered(n state.Notification) bool {
	return linkback.ResendsUpdates(n.Protocol) && n.Status == state.StatusInFlight && n.Sends > 0
}

// deletedVersion is the Version of a Webmention re-sent for a deleted page.
const deletedVersion = "deleted"

// needsUpdate reports whether a notification must be re-sent because its
// source moved on to version v: only protocols with update semantics.
func needsUpdate(n state.Notification, v string) bool {
	return linkback.ResendsUpdates(n.Protocol) && n.Status == state.StatusNotified && n.Version != v
}

// openKind tells, for an open record from an earlier run, what it is: an
// update or delete keeps its nature through retries and crashes (it is
// never live-checked or rediscovered like a first notification).
func openKind(n state.Notification) string {
	switch {
	case linkback.ResendsUpdates(n.Protocol) && n.Version == deletedVersion:
		return KindDelete
	case linkback.ResendsUpdates(n.Protocol) && !n.NotifiedAt.IsZero():
		return KindUpdate
	case n.Status == state.StatusInFlight:
		return KindResend
	case n.Status == state.StatusPending:
		return KindNew
	default:
		return KindRetry
	}
}
