package sender

import (
	"context"
	"fmt"
	"net/url"
	"path"
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
	KindLive   = "deferred"
)

// job is one notification due in this run.
type job struct {
	n    state.Notification
	kind string
}

// planned is the outcome of plan: the jobs to deliver, in a stable order.
type planned struct {
	jobs  []*job
	pages map[string]*scannedPage
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
		newLinks int
	)
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
	for _, sp := range pages {
		p.pages[sp.file.URL] = sp
		if !sp.changed {
			continue
		}
		old, seen := known[sp.file.URL]
		rec := state.Page{
			URL: sp.file.URL, File: sp.file.Rel, Hash: sp.hash, Links: sp.links,
			Title: sp.title, Published: sp.published, FirstSeen: now, LastSeen: now,
		}
		if seen {
			rec.FirstSeen = old.FirstSeen
		}
		if write {
			cur.Pages = append(cur.Pages, rec)
		}
		if !sp.source {
			continue
		}
		for _, h := range sp.hidden {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: link to %s is in the page's content but not in the published file; not sent", sp.file.URL, h))
		}
		var existing map[string]state.Notification
		if seen && s.ledger != nil {
			list, err := s.ledger.NotificationsFor(sp.file.URL)
			if err != nil {
				return nil, fmt.Errorf("read ledger %s: %w", s.ledger.Path(), err)
			}
			existing = make(map[string]state.Notification, len(list))
			for _, n := range list {
				existing[n.Target] = n
			}
		}
		current := make(map[string]bool, len(sp.links))
		for _, target := range sp.links {
			current[target] = true
			if n, ok := existing[target]; ok {
				if needsUpdate(n, sp.hash) && s.opts.Mode != ModeBaseline {
					addJob(s.update(n, sp.hash, KindUpdate, cur))
				}
				continue
			}
			n := state.Notification{Source: sp.file.URL, Target: target, Status: state.StatusPending, Version: sp.hash, Created: now, Updated: now}
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
			}
			if write {
				cur.Notifications = append(cur.Notifications, n)
			}
		}
		// Webmention updates reach targets whose link was removed too.
		for _, target := range sortedKeys(existing) {
			if n := existing[target]; !current[target] && needsUpdate(n, sp.hash) && s.opts.Mode != ModeBaseline {
				addJob(s.update(n, sp.hash, KindUpdate, cur))
			}
		}
		if cur.Len() >= commitEvery {
			flush()
		}
	}
	for _, url := range sortedKeys(known) {
		old := known[url]
		if old.Deleted || p.pages[url] != nil || isFeedRecord(old) {
			continue
		}
		rep.Deleted++
		if write {
			cur.DeletePages = append(cur.DeletePages, url)
		}
		if s.ledger == nil || s.opts.Mode == ModeBaseline {
			continue
		}
		list, err := s.ledger.NotificationsFor(url)
		if err != nil {
			return nil, fmt.Errorf("read ledger %s: %w", s.ledger.Path(), err)
		}
		for _, n := range list {
			if needsUpdate(n, deletedVersion) {
				addJob(s.update(n, deletedVersion, KindDelete, cur))
			}
		}
	}
	flush()
	rep.NewLinks = newLinks
	rep.SendingPages = len(sending)

	if fresh && s.opts.Mode == ModeSend && !s.opts.All && since.IsZero() && len(sending) > s.cfg.FloodLimit {
		return nil, fmt.Errorf("%w: %d pages with %d links and no ledger yet at %s.\n"+
			"This looks like the first run on an existing site. Choose one:\n"+
			"  --baseline          record every current link as already notified, send nothing (then only new links are sent)\n"+
			"  --since YYYY-MM-DD  send only for pages published after a date (or --max-age 30d)\n"+
			"  --all               notify every link on every page now\n"+
			"  --dry-run           see the full plan first",
			ErrFlood, len(sending), newLinks, s.ledgerPath())
	}
	if fresh && len(sending) > s.cfg.FloodLimit && s.opts.Mode == ModeDryRun && !s.opts.All && since.IsZero() {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("a real run would stop here: %d pages would send on a first run (more than %d); use --baseline, --since or --all", len(sending), s.cfg.FloodLimit))
	}

	// Due from earlier runs: never-started, in-flight, and retries whose time has come.
	if s.ledger != nil && s.opts.Mode != ModeBaseline {
		open, err := s.ledger.NotificationsWith(state.StatusPending, state.StatusInFlight, state.StatusRetry, state.StatusDeferred)
		if err != nil {
			return nil, fmt.Errorf("read ledger %s: %w", s.ledger.Path(), err)
		}
		for _, n := range open {
			if inPlan[key(n)] {
				continue
			}
			switch {
			case n.Status == state.StatusPending:
				addJob(&job{n: n, kind: pendingKind(n)})
			case n.Status == state.StatusInFlight:
				addJob(&job{n: n, kind: KindResend})
			case !n.NextAttempt.After(now):
				addJob(&job{n: n, kind: KindRetry})
			}
		}
	}
	if s.opts.Mode != ModeDryRun {
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

// deletedVersion is the Version of a Webmention re-sent for a deleted page.
const deletedVersion = "deleted"

// needsUpdate reports whether a notification must be re-sent because its
// source moved on to version v. Only Webmention has update semantics.
func needsUpdate(n state.Notification, v string) bool {
	return n.Protocol == "webmention" && n.Status == state.StatusNotified && n.Version != v
}

func (s *Sender) update(n state.Notification, version, kind string, b *state.Batch) *job {
	n.Status, n.Version, n.Attempts, n.LastError = state.StatusPending, version, 0, ""
	b.Notifications = append(b.Notifications, n)
	return &job{n: n, kind: kind}
}

// pendingKind tells, for a pending record from an earlier run, why it waits.
func pendingKind(n state.Notification) string {
	switch {
	case n.Version == deletedVersion:
		return KindDelete
	case !n.NotifiedAt.IsZero():
		return KindUpdate
	default:
		return KindNew
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
	if !s.cfg.NoSelfPing && len(s.cfg.Exclude) == 0 {
		return ""
	}
	u, err := url.Parse(target)
	if err != nil {
		return "excluded: unparsable URL"
	}
	if s.cfg.NoSelfPing && s.isSelf(u) {
		return reasonSelfPing
	}
	bare := strings.TrimPrefix(strings.TrimPrefix(target, "https://"), "http://")
	for _, pat := range s.cfg.Exclude {
		if ok, _ := path.Match(pat, bare); ok || strings.HasPrefix(bare, strings.TrimSuffix(pat, "*")) && strings.HasSuffix(pat, "/*") {
			return "excluded by " + pat
		}
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
