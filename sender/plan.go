package sender

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/state"
)

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

// planned is the outcome of plan: the jobs to deliver, in a stable order.
type planned struct {
	jobs      []*job
	pages     map[string]*scannedPage
	cancelled map[pair]bool
}

// commitEvery bounds the size of one plan transaction; a page's record and
// its notifications always go in the same one.
const commitEvery = 1000

// plan diffs the scanned pages against the ledger, records the plan and
// returns the jobs due now.
func (s *Sender) plan(ctx context.Context, pages []*scannedPage, known map[string]state.Page, rep *Report) (*planned, error) {
	now := s.opts.Now()
	p := &planned{pages: make(map[string]*scannedPage, len(pages))}
	fresh := len(known) == 0
	if fresh && s.ledger != nil {
		if _, ok, err := s.ledger.LastRun(); err != nil {
			return nil, fmt.Errorf("read ledger %s: %w", s.ledger.Path(), err)
		} else if ok {
			fresh = false
		}
	}
	since := s.dateLimit(now)

	var (
		batches  []*state.Batch
		write    = s.opts.Mode != ModeDryRun
		cur      = &state.Batch{}
		inPlan   = map[pair]bool{}   // the keys of p.jobs
		sending  = map[string]bool{} // source pages with new links to send
		updating = map[string]bool{} // source pages whose Webmentions are re-sent
		newLinks int
	)
	if !write {
		cur = nil
	}
	addJob := func(j *job) {
		inPlan[key(j.n)] = true
		p.jobs = append(p.jobs, j)
	}
	flush := func() {
		if write && cur.Len() > 0 {
			batches = append(batches, cur)
			cur = &state.Batch{}
		}
	}
	p.cancelled = map[pair]bool{}
	cancelJob := func(n state.Notification, why string) {
		p.cancelled[key(n)] = true
		n.Status, n.LastError, n.NextAttempt, n.Updated = state.StatusSkipped, why, time.Time{}, now
		if write {
			cur.Notifications = append(cur.Notifications, n)
		}
	}
	notificationsFor := func(url string) (map[string]state.Notification, error) {
		if s.ledger == nil {
			return nil, nil
		}
		list, err := s.ledger.NotificationsFor(url)
		if err != nil {
			return nil, fmt.Errorf("read ledger %s: %w", s.ledger.Path(), err)
		}
		m := make(map[string]state.Notification, len(list))
		for _, n := range list {
			m[n.Target] = n
		}
		return m, nil
	}
	// gone handles a page that left the site: its record is marked deleted
	// and every target it told by Webmention hears again.
	gone := func(url string) error {
		rep.Deleted++
		if write {
			cur.DeletePages = append(cur.DeletePages, url)
		}
		existing, err := notificationsFor(url)
		if err != nil {
			return err
		}
		for _, target := range sortedKeys(existing) {
			n := existing[target]
			switch {
			case s.opts.Mode == ModeBaseline:
			case needsUpdate(n, deletedVersion):
				updating[url] = true
				addJob(s.update(n, deletedVersion, KindDelete, cur))
			case isOpen(n) && !isWebmentionResend(n):
				cancelJob(n, "the page was deleted before it was sent")
			}
		}
		return nil
	}

	for _, sp := range pages {
		p.pages[sp.file.URL] = sp
		if !sp.changed {
			continue
		}
		old, seen := known[sp.file.URL]
		if sp.goneFromHugo && seen && !old.Deleted && len(old.Links) > 0 {
			// Hugo no longer lists it (now a draft, expired, removed), but
			// its stale file is still in the publish dir: it left the site.
			if err := gone(sp.file.URL); err != nil {
				return nil, err
			}
			continue
		}
		rec := state.Page{
			URL: sp.file.URL, File: sp.file.Rel, Hash: sp.hash, Links: sp.links,
			Title: sp.title, Published: sp.published, FirstSeen: now, LastSeen: now,
		}
		if seen {
			rec.FirstSeen = old.FirstSeen
		}
		recAt := -1
		if write {
			cur.Pages = append(cur.Pages, rec)
			recAt = len(cur.Pages) - 1
		}
		var existing map[string]state.Notification
		if seen {
			var err error
			if existing, err = notificationsFor(sp.file.URL); err != nil {
				return nil, err
			}
		}
		if !sp.source {
			// Opted out or no longer a single page: nothing more is sent from it.
			for _, target := range sortedKeys(existing) {
				if n := existing[target]; isOpen(n) && !isWebmentionResend(n) {
					cancelJob(n, "the page no longer sends ("+sp.skip+")")
				}
			}
			continue
		}
		for _, h := range sp.hidden {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: link to %s is in the page's content but not in the published file; not sent", sp.file.URL, h))
		}
		current := make(map[string]bool, len(sp.links))
		for _, target := range sp.links {
			current[target] = true
			if n, ok := existing[target]; ok {
				if needsUpdate(n, sp.version) && s.opts.Mode != ModeBaseline {
					updating[sp.file.URL] = true
					addJob(s.update(n, sp.version, KindUpdate, cur))
				}
				continue
			}
			n := state.Notification{Source: sp.file.URL, Target: target, Status: state.StatusPending, Version: sp.version, Created: now, Updated: now}
			switch why := s.excluded(target); {
			case why != "":
				n.Status, n.LastError = state.StatusSkipped, why
				rep.count(why)
			case s.opts.Mode == ModeBaseline:
				n.Status, n.LastError = state.StatusBaseline, "recorded by --baseline, not sent"
				rep.Baseline++
			case !since.IsZero() && (sp.published.IsZero() || sp.published.Before(since)):
				n.Status, n.LastError = state.StatusBaseline, "page published before "+since.Format("2006-01-02")+", not sent"
				rep.Baseline++
			default:
				newLinks++
				sending[sp.file.URL] = true
				addJob(&job{n: n, kind: KindNew})
				if recAt >= 0 {
					// The page's record keeps every target it ever tried
					// (the ledger merges this with the stored set).
					cur.Pages[recAt].Targets = append(cur.Pages[recAt].Targets, target)
				}
			}
			if write {
				cur.Notifications = append(cur.Notifications, n)
			}
		}
		// A removed link: Webmention targets hear of it (the spec's update
		// 2); a notification still waiting for it is not sent any more.
		for _, target := range sortedKeys(existing) {
			n := existing[target]
			switch {
			case current[target] || s.opts.Mode == ModeBaseline:
			case needsUpdate(n, sp.version):
				updating[sp.file.URL] = true
				addJob(s.update(n, sp.version, KindUpdate, cur))
			case isOpen(n) && !isWebmentionResend(n):
				cancelJob(n, "the link was removed before it was sent")
			}
		}
		if write && cur.Len() >= commitEvery {
			flush()
		}
	}
	for _, url := range sortedKeys(known) {
		old := known[url]
		if old.Deleted || p.pages[url] != nil || isFeedRecord(old) {
			continue
		}
		if err := gone(url); err != nil {
			return nil, err
		}
	}
	flush()
	rep.NewLinks = newLinks
	rep.SendingPages = len(sending)
	rep.UpdatingPages = len(updating)

	if err := s.floodGuard(fresh, since, len(sending), newLinks, len(updating), rep); err != nil {
		return nil, err
	}

	// Due from earlier runs: never-started, in-flight, and retries whose time has come.
	if s.ledger != nil && s.opts.Mode != ModeBaseline {
		open, err := s.ledger.NotificationsWith(state.StatusPending, state.StatusInFlight, state.StatusRetry, state.StatusDeferred)
		if err != nil {
			return nil, fmt.Errorf("read ledger %s: %w", s.ledger.Path(), err)
		}
		for _, n := range open {
			if inPlan[key(n)] || p.cancelled[key(n)] {
				continue
			}
			if n.Status == state.StatusPending || n.Status == state.StatusInFlight || !n.NextAttempt.After(now) {
				addJob(&job{n: n, kind: openKind(n)})
			}
		}
	}
	if write {
		for _, b := range batches {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := s.ledger.Commit(b); err != nil {
				return nil, fmt.Errorf("write ledger %s: %w", s.ledger.Path(), err)
			}
		}
	}
	if !write {
		rep.Items = make([]Item, 0, len(p.jobs))
		for _, j := range p.jobs {
			rep.Items = append(rep.Items, Item{Source: j.n.Source, Target: j.n.Target, Kind: j.kind, Status: "planned", Protocol: j.n.Protocol, Endpoint: j.n.Endpoint})
		}
		rep.Planned = len(p.jobs)
	}
	return p, nil
}

// floodGuard stops a run, before any request, that would notify more pages
// than FloodLimit in one go without being asked to: a first run on an
// existing blog, or a run on a known site that suddenly deletes or updates
// many pages (a mistyped --base-url, a wrong --public, a theme change).
func (s *Sender) floodGuard(fresh bool, since time.Time, sending, newLinks, updating int, rep *Report) error {
	if s.opts.All || s.opts.Mode == ModeBaseline {
		return nil
	}
	limit := s.cfg.FloodLimit
	var err error
	switch {
	case fresh && since.IsZero() && sending > limit:
		err = fmt.Errorf("%w: %d pages with %d links and no ledger yet at %s.\n"+
			"This looks like the first run on an existing site. Choose one:\n"+
			"  --baseline          record every current link as already notified, send nothing (then only new links are sent)\n"+
			"  --since YYYY-MM-DD  send only for pages published after a date (or --max-age 30d)\n"+
			"  --all               notify every link on every page now\n"+
			"  --dry-run           see the full plan first",
			ErrFlood, sending, newLinks, s.ledgerPath())
	case !fresh && rep.Deleted > limit:
		err = fmt.Errorf("%w: %d pages the ledger knows are gone from the build, and each would send Webmention deletes.\n"+
			"Is --public or --base-url right? If the pages really left the site, run again with --all",
			ErrFlood, rep.Deleted)
	case !fresh && sending+updating > limit:
		err = fmt.Errorf("%w: %d pages would send (%d with new links, %d re-sending Webmention updates).\n"+
			"If that is expected (a large import, a changed base URL), run again with --all; --dry-run shows the plan",
			ErrFlood, sending+updating, sending, updating)
	}
	if err == nil {
		return nil
	}
	if s.opts.Mode == ModeDryRun {
		rep.Warnings = append(rep.Warnings, "a real run would stop here: "+strings.SplitN(err.Error(), "\n", 2)[0])
		return nil
	}
	return err
}

// isOpen reports whether a notification is still waiting to be sent.
func isOpen(n state.Notification) bool {
	switch n.Status {
	case state.StatusPending, state.StatusInFlight, state.StatusRetry, state.StatusDeferred:
		return true
	}
	return false
}

// isWebmentionResend reports an open Webmention update or delete: those must
// still reach the target, whatever became of the link since.
func isWebmentionResend(n state.Notification) bool {
	return n.Protocol == "webmention" && (!n.NotifiedAt.IsZero() || n.Version == deletedVersion)
}

// deletedVersion is the Version of a Webmention re-sent for a deleted page.
const deletedVersion = "deleted"

// needsUpdate reports whether a notification must be re-sent because its
// source moved on to version v. Only Webmention has update semantics.
func needsUpdate(n state.Notification, v string) bool {
	return n.Protocol == "webmention" && n.Status == state.StatusNotified && n.Version != v
}

func (s *Sender) update(n state.Notification, version, kind string, b *state.Batch) *job {
	n.Status, n.Version, n.Attempts, n.LastError, n.DeferredSince = state.StatusPending, version, 0, "", time.Time{}
	if b != nil {
		b.Notifications = append(b.Notifications, n)
	}
	return &job{n: n, kind: kind}
}

// openKind tells, for an open record from an earlier run, what it is: a
// Webmention delete or update keeps its nature through retries and crashes
// (it is never live-checked or rediscovered like a first notification).
func openKind(n state.Notification) string {
	switch {
	case n.Protocol == "webmention" && n.Version == deletedVersion:
		return KindDelete
	case n.Protocol == "webmention" && !n.NotifiedAt.IsZero():
		return KindUpdate
	case n.Status == state.StatusInFlight:
		return KindResend
	case n.Status == state.StatusPending:
		return KindNew
	default:
		return KindRetry
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pair identifies a notification: one source, one target.
type pair struct{ source, target string }

func key(n state.Notification) pair { return pair{n.Source, n.Target} }

// dateLimit is the earliest publish date that may send, or zero.
func (s *Sender) dateLimit(now time.Time) time.Time {
	limit := s.cfg.Since
	if s.cfg.MaxAge > 0 {
		if a := now.Add(-s.cfg.MaxAge); a.After(limit) {
			limit = a
		}
	}
	return limit
}

// excluded returns why a new link is not notified at all, or "".
func (s *Sender) excluded(target string) string {
	if s.cfg.SelfPing && len(s.exclude) == 0 {
		return ""
	}
	u, err := url.Parse(target)
	if err != nil {
		return "excluded: unparsable URL"
	}
	if !s.cfg.SelfPing && s.isSelf(u) {
		return reasonSelfPing
	}
	if p := s.exclude.Match(u); p != nil {
		return "excluded by " + p.String()
	}
	return ""
}

const reasonSelfPing = "self-ping (--no-self-ping)"

// isSelf reports whether u points at the site itself: the scheme, host and
// port of a base URL, or one of the configured self hosts.
func (s *Sender) isSelf(u *url.URL) bool {
	for _, r := range s.cfg.SiteRoots() {
		b, err := url.Parse(r.BaseURL)
		if err == nil && strings.EqualFold(b.Scheme, u.Scheme) && strings.EqualFold(hostPort(b), hostPort(u)) {
			return true
		}
	}
	for _, h := range s.cfg.SelfHosts {
		if strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname()) {
			return true
		}
	}
	return false
}

// hostPort is the host with its port made explicit, so that
// https://a.example and https://a.example:443 are the same origin.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch u.Scheme {
	case "https":
		return u.Host + ":443"
	case "http":
		return u.Host + ":80"
	}
	return u.Host
}

func (s *Sender) ledgerPath() string {
	if s.ledger != nil {
		return s.ledger.Path()
	}
	return s.cfg.Ledger
}
