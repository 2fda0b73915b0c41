package sender

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// commitEvery bounds the size of one plan transaction; a page's record and
// its notifications always go in the same one. (A variable: tests make
// runs of a few pages commit as they go.)
var commitEvery = 10000

// planResult is what the plan decided, for the delivery and the report.
type planResult struct {
	// jobs are the notifications due now, in a stable order; in a dry
	// run, Planned lists them instead.
	jobs    []*job
	Planned []Item
	// sources are the pages the jobs send from.
	sources map[string]*source

	NewLinks      int // new links to notify
	SendingPages  int // pages with new links to notify
	UpdatingPages int // pages re-sending Webmentions (changed links, deleted)
	Deleted       int // known pages gone from the build
	SelfPing      int // new links skipped as self-pings
	Excluded      int // new links skipped by an exclude pattern
	Baseline      int // new links recorded as handled, not sent
	FirstRun      *FirstRun
	Warnings      []string
	Skipped       []Item
}

// source is what the delivery needs of a page it sends from.
type source struct {
	// links are the targets this build's page links to, which the live
	// check expects to find on the live page.
	links []string
	// path is the built file, for a Trackback's title and excerpt when
	// this run did not parse the page.
	path           string
	title, excerpt string
	parsed         bool
}

// planner turns changed pages, as the scan hands them over, into ledger
// records and jobs. Records that cannot change what the flood guard decides
// (a page with new hashes but no new sends, links baselined by date,
// excluded links) are committed as the scan goes, so memory does not grow
// with the site; the records of pages that send, re-send or left the site
// are held until the guard has passed, so a run it stops leaves the next
// run the same decision.
type planner struct {
	s     *Sender
	rules rules
	fresh bool
	write bool // commit anything at all (not a dry run)
	hold  bool // the flood guard may stop the run: hold what it weighs
	// trackback is whether Trackback is among the protocols: only then are
	// the pages' titles and excerpts kept until delivery.
	trackback bool
	res       *planResult

	now  state.Batch   // committed whenever it is full
	held []state.Batch // committed once the guard passed
	// committing is the commit of the last full batch, under way while
	// the scan goes on; nil when none is. That batch is spare, whose
	// storage the next full one takes over once its commit is done.
	committing chan error
	spare      state.Batch

	// decided are the notifications this run decided (jobs, cancelled),
	// which the open ones of earlier runs must not repeat: kept only when
	// the ledger holds open ones.
	decided       map[pair]bool
	notifications int // new notifications and updates due
}

func (s *Sender) newPlanner(fresh bool, now time.Time) *planner {
	// Whole seconds: the ledger stores the times of one scan in a byte or
	// two each when they have no fraction.
	r := rules{mode: s.opts.Mode, now: now.Truncate(time.Second), excluded: s.excluded}
	res := &planResult{sources: map[string]*source{}}
	if since := s.dateLimit(now); !since.IsZero() {
		r.since, r.sinceWhy = since, "page published before "+since.Format("2006-01-02")+", not sent"
	} else if s.firstRunCutoff(fresh) {
		// Losing the ledger must not flood: on a first run, only pages
		// published recently send (they may be the reason for this run).
		cut := now.Add(-s.cfg.FirstRunMaxAge)
		r.since = cut
		r.sinceWhy = "first run without a ledger: page published before " + cut.Format("2006-01-02") + " (firstRunMaxAge), not sent"
		res.FirstRun = &FirstRun{Cutoff: cut, MaxAge: age(s.cfg.FirstRunMaxAge)}
	}
	return &planner{
		s: s, rules: r, fresh: fresh,
		write:     s.opts.Mode != ModeDryRun,
		hold:      s.opts.Mode == ModeSend && !s.opts.All,
		trackback: slices.Contains(s.cfg.Protocols, "trackback"),
		res:       res,
	}
}

// age writes a duration the way a user gives an age: "14d", "36h".
func age(d time.Duration) string {
	const day = 24 * time.Hour
	if d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// firstRunCutoff reports whether a run baselines the pages published
// before FirstRunMaxAge: a first run, with page dates from the Hugo site
// (without them nothing tells old pages from new, and the flood guard
// stands alone), no date limit of the user's own, and not asked to send
// everything (--all) or nothing (--baseline).
func (s *Sender) firstRunCutoff(fresh bool) bool {
	return fresh && s.cfg.FirstRunMaxAge > 0 && s.opts.Pages != nil && !s.opts.All && s.opts.Mode != ModeBaseline
}

// page decides one changed page of the build.
func (pl *planner) page(p *scannedPage) error {
	b, err := pl.before(p.file.URL, p.head)
	if err != nil {
		return err
	}
	if p.goneFromHugo && p.head.Known && !p.head.Deleted && p.head.HasLinks {
		// Hugo no longer lists it (now a draft, expired, removed), but its
		// stale file is still in the publish dir: it left the site.
		return pl.take(decideGone(p.file.URL, b, pl.rules), nil)
	}
	return pl.take(decide(p, b, pl.rules), p)
}

// before reads what the ledger knew of a page.
func (pl *planner) before(url string, head state.PageHead) (before, error) {
	b := before{known: head.Known, deleted: head.Deleted}
	if !head.Known || pl.s.ledger == nil {
		return b, nil
	}
	ns, err := pl.s.ledger.NotificationsFor(url)
	if err != nil {
		return b, err // names the ledger already
	}
	b.notifications = ns
	return b, nil
}

// take adds a decision to the plan: its counts, its jobs, and its records
// to the batch they are committed in.
func (pl *planner) take(d decision, p *scannedPage) error {
	r := pl.res
	r.NewLinks += d.newLinks
	r.Baseline += d.baselined
	r.SelfPing += d.selfPings
	r.Excluded += d.excluded
	if pl.s.opts.Verbose {
		r.Skipped = append(r.Skipped, d.skipped...)
	}
	pl.notifications += d.newLinks + d.updates
	if d.datedOut > 0 && r.FirstRun != nil {
		r.FirstRun.Links += d.datedOut
		r.FirstRun.Pages++
	}
	if d.sending() {
		r.SendingPages++
	}
	if d.updating() {
		r.UpdatingPages++
	}
	if d.gone != "" {
		r.Deleted++
	}
	if pl.decided != nil {
		for _, n := range d.records {
			if n.Status == state.StatusSkipped { // cancelled, or never to be sent
				pl.decided[key(n)] = true
			}
		}
	}
	for _, j := range d.jobs {
		if pl.decided != nil {
			pl.decided[key(j.n)] = true
		}
		if !pl.write {
			// A dry run reports the plan and keeps nothing else of it.
			r.Planned = append(r.Planned, Item{Source: j.n.Source, Target: j.n.Target, Kind: j.kind, Status: "planned", Protocol: j.n.Protocol, Endpoint: j.n.Endpoint})
			continue
		}
		r.jobs = append(r.jobs, j)
		if _, ok := r.sources[j.n.Source]; !ok && p != nil {
			src := &source{links: p.links, path: p.file.Path, parsed: true}
			if pl.trackback {
				src.title, src.excerpt = p.title, p.excerpt
			}
			r.sources[j.n.Source] = src
		}
	}
	if !pl.write {
		return nil
	}
	b := &pl.now
	if pl.hold && (d.sending() || d.updating() || d.gone != "") {
		if len(pl.held) == 0 || pl.held[len(pl.held)-1].Len() >= commitEvery {
			pl.held = append(pl.held, state.Batch{})
		}
		b = &pl.held[len(pl.held)-1]
	}
	if d.page != nil {
		b.Pages = append(b.Pages, *d.page)
	}
	if d.gone != "" {
		b.DeletePages = append(b.DeletePages, d.gone)
	}
	b.Notifications = append(b.Notifications, d.records...)
	if pl.now.Len() >= commitEvery {
		return pl.commitAsync()
	}
	return nil
}

// commitAsync hands the full batch to a commit of its own, which runs
// while the scan goes on (a commit waits for the disk; the scan does not
// have to), after the previous one finished.
func (pl *planner) commitAsync() error {
	if err := pl.wait(); err != nil {
		return err
	}
	pl.now, pl.spare = pl.spare, pl.now
	pl.now.Reset()
	b := &pl.spare
	done := make(chan error, 1)
	pl.committing = done
	go func() { done <- pl.s.ledger.Commit(b) }()
	return nil
}

// wait waits for the commit under way, if any, and returns its error.
func (pl *planner) wait() error {
	if pl.committing == nil {
		return nil
	}
	err := <-pl.committing
	pl.committing = nil
	return err // names the ledger already
}

func (pl *planner) commit(b *state.Batch) error {
	if err := pl.wait(); err != nil {
		return err
	}
	if err := pl.s.ledger.Commit(b); err != nil {
		return err // names the ledger already
	}
	b.Reset()
	return nil
}

// finish completes the plan once every page was scanned: the known pages
// that left the site (whose records were not scanned; nil when the ledger
// knew no page), the flood
// guard, the held records, and the notifications left open by earlier runs
// that are due now.
func (pl *planner) finish(ctx context.Context, scanned func(record uint64) bool) (*planResult, error) {
	s, r := pl.s, pl.res
	if err := pl.wait(); err != nil {
		return nil, err
	}
	if scanned != nil {
		gone, err := s.ledger.PagesNotIn(scanned)
		if err != nil {
			return nil, err
		}
		for _, url := range gone {
			b, err := pl.before(url, state.PageHead{Known: true})
			if err != nil {
				return nil, err
			}
			if err := pl.take(decideGone(url, b, pl.rules), nil); err != nil {
				return nil, err
			}
		}
	}

	if err := s.floodGuard(pl.flood()); err != nil {
		if s.opts.Mode != ModeDryRun {
			return nil, err
		}
		r.Warnings = append(r.Warnings, "a real run would stop here: "+strings.SplitN(err.Error(), "\n", 2)[0])
	}
	if pl.write {
		for i := range pl.held {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := pl.commit(&pl.held[i]); err != nil {
				return nil, err
			}
		}
		pl.held = nil
		if err := pl.commit(&pl.now); err != nil {
			return nil, err
		}
	}

	// Due from earlier runs: never-started, in-flight, and retries whose time has come.
	if pl.decided != nil {
		open, err := s.ledger.NotificationsWith(openStatuses...)
		if err != nil {
			return nil, err
		}
		for _, n := range open {
			if pl.decided[key(n)] {
				continue
			}
			if n.Status == state.StatusPending || n.Status == state.StatusInFlight || !n.NextAttempt.After(pl.rules.now) {
				j := &job{n: n, kind: openKind(n)}
				if !pl.write {
					r.Planned = append(r.Planned, Item{Source: n.Source, Target: n.Target, Kind: j.kind, Status: "planned", Protocol: n.Protocol, Endpoint: n.Endpoint})
					continue
				}
				r.jobs = append(r.jobs, j)
				if err := pl.sourceFromLedger(n.Source); err != nil {
					return nil, err
				}
			}
		}
	}
	return r, nil
}

// openStatuses are the statuses of notifications still waiting to be sent.
var openStatuses = []state.Status{state.StatusPending, state.StatusInFlight, state.StatusRetry, state.StatusDeferred}

// watchOpen makes the planner remember what it decides when the ledger
// holds notifications left open by earlier runs (a baseline sends none).
func (pl *planner) watchOpen() error {
	if pl.s.ledger == nil || pl.s.opts.Mode == ModeBaseline {
		return nil
	}
	stats, err := pl.s.ledger.Stats()
	if err != nil {
		return err
	}
	for _, st := range openStatuses {
		if stats[st] > 0 {
			pl.decided = map[pair]bool{}
			break
		}
	}
	return nil
}

// sourceFromLedger fills in what the delivery needs of a source page this
// run did not parse, from its ledger record.
func (pl *planner) sourceFromLedger(url string) error {
	if _, ok := pl.res.sources[url]; ok {
		return nil
	}
	p, ok, err := pl.s.ledger.Page(url)
	if err != nil {
		return err
	}
	src := &source{}
	if ok {
		src.links, src.path = p.Links, pl.s.fileOf(url, p.File)
	}
	pl.res.sources[url] = src
	return nil
}

// fileOf is the built file of a page: its file under the root whose base
// URL it is published under.
func (s *Sender) fileOf(pageURL, rel string) string {
	best := -1
	roots := s.cfg.SiteRoots()
	for i, r := range roots {
		if strings.HasPrefix(pageURL, r.BaseURL) && (best < 0 || len(r.BaseURL) > len(roots[best].BaseURL)) {
			best = i
		}
	}
	if best < 0 || rel == "" {
		return ""
	}
	return filepath.Join(roots[best].Dir, filepath.FromSlash(rel))
}

// flood is what the flood guard weighs.
type flood struct {
	fresh         bool // no run was ever recorded in the ledger
	sinceGiven    bool // the user limited sending by date
	sendingPages  int  // pages with new links to send
	newLinks      int  // new links to send
	updatingPages int  // pages re-sending Webmention updates
	deleted       int  // known pages gone from the build
	notifications int  // new notifications, updates and deletes due
}

func (pl *planner) flood() flood {
	return flood{
		fresh: pl.fresh, sinceGiven: !pl.s.cfg.Since.IsZero() || pl.s.cfg.MaxAge > 0,
		sendingPages: pl.res.SendingPages, newLinks: pl.res.NewLinks, updatingPages: pl.res.UpdatingPages,
		deleted: pl.res.Deleted, notifications: pl.notifications,
	}
}

// floodGuard stops a run, before any request, that would notify more pages
// than FloodLimit, or send more notifications than FloodNotifications, in
// one go without being asked to: a first run on an existing blog, one page
// with thousands of links, or a run on a known site that suddenly deletes
// or updates many pages (a mistyped --base-url, a wrong --public, a theme
// change).
func (s *Sender) floodGuard(f flood) error {
	if s.opts.All || s.opts.Mode == ModeBaseline {
		return nil
	}
	pages, notes := s.cfg.FloodLimit, s.cfg.FloodNotifications
	switch {
	case f.fresh && !f.sinceGiven && f.sendingPages > pages, f.fresh && f.notifications > notes:
		return fmt.Errorf("%w: %d pages with %d links to notify, and no run recorded yet in %s.\n"+
			"This looks like the first run on an existing site. Choose one:\n"+
			"  --baseline          record every current link as already notified, send nothing (then only new links are sent)\n"+
			"  --since YYYY-MM-DD  send only for pages published after a date (or --max-age 30d)\n"+
			"  --all               notify every link on every page now\n"+
			"  --dry-run           see the full plan first",
			ErrFlood, f.sendingPages, f.newLinks, s.ledgerPath())
	case !f.fresh && f.deleted > pages:
		return fmt.Errorf("%w: %d pages the ledger knows are gone from the build, and each would send Webmention deletes.\n"+
			"Is --public or --base-url right? If the pages really left the site, run again with --all",
			ErrFlood, f.deleted)
	case !f.fresh && (f.sendingPages+f.updatingPages > pages || f.notifications > notes):
		return fmt.Errorf("%w: %d pages would send %d notifications (%d pages with new links, %d re-sending Webmention updates).\n"+
			"If that is expected (a large import, a changed base URL), run again with --all; --dry-run shows the plan",
			ErrFlood, f.sendingPages+f.updatingPages, f.notifications, f.sendingPages, f.updatingPages)
	}
	return nil
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
	u := linkurl.Parse(target)
	if u == nil {
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
	origin := linkurl.Key(&url.URL{Scheme: u.Scheme, Host: u.Host})
	for _, r := range s.cfg.SiteRoots() {
		if b := linkurl.Parse(r.BaseURL); b != nil && linkurl.Key(&url.URL{Scheme: b.Scheme, Host: b.Host}) == origin {
			return true
		}
	}
	for _, h := range s.cfg.SelfHosts {
		if strings.EqualFold(h, u.Host) || strings.EqualFold(h, linkurl.Host(u)) {
			return true
		}
	}
	return false
}

func (s *Sender) ledgerPath() string {
	if s.ledger != nil {
		return s.ledger.Path()
	}
	return s.cfg.Ledger
}
