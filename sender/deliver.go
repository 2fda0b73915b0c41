package sender

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/state"
	"golang.org/x/net/idna"
)

// Retry policy for notifications that failed for a passing reason.
const (
	retryBase        = 15 * time.Minute
	retryCap         = 24 * time.Hour
	maxAttempts      = 8 // transient failures: HTTP 5xx, timeouts, faults 16 and 50
	maxAttemptsFew   = 3 // fault 0, garbage answers: WordPress says 0 for almost everything
	deferAfter       = 10 * time.Minute
	defaultBackoff   = 15 * time.Second // a 429 or a flood answer without Retry-After
	maxBackoffsInRun = 3
	discoveryTTL     = 7 * 24 * time.Hour
	maxDeferral      = 7 * 24 * time.Hour // how long a source may stay "not live yet"
)

// deliver runs the jobs. Each goes through up to three steps, each a task
// on the host it contacts: the live check of its source page (our own
// host), the discovery of its target's endpoints (the target's host), and
// the notification (the endpoint's host). The scheduler runs the tasks with
// Concurrency workers, one request in flight per host and requests to one
// host HostInterval apart.
func (s *Sender) deliver(ctx context.Context, p *planResult) (*deliverResult, error) {
	res := &deliverResult{}
	if len(p.jobs) == 0 {
		return res, nil
	}
	runCtx, cancel := context.WithTimeout(ctx, s.cfg.MaxTime)
	defer cancel()

	rec := newRecorder(s.ledger)
	defer rec.close()
	d := &delivery{
		s: s, res: res, rec: rec, sources: p.sources,
		sched: newScheduler(s.cfg.HostInterval),
		live:  map[string]*liveCheck{},
		disc:  map[string]*discovered{},
		total: len(p.jobs),
	}
	d.byPage = map[string][]string{}
	for _, j := range p.jobs {
		d.byPage[j.n.Source] = append(d.byPage[j.n.Source], j.n.Target)
	}
	for _, j := range p.jobs {
		d.sched.add(d.first(&delivJob{j: j, n: j.n, prev: j.n, item: Item{Source: j.n.Source, Target: j.n.Target, Kind: j.kind}}))
	}
	err := d.sched.run(runCtx, s.cfg.Concurrency)
	if cerr := rec.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err // a ledger error; it names the ledger
	}
	res.budgetExhausted = runCtx.Err() != nil && ctx.Err() == nil
	res.interrupted = ctx.Err() != nil
	return res, nil
}

// delivery is the shared state of one deliver call.
type delivery struct {
	s       *Sender
	res     *deliverResult
	rec     *recorder
	sched   *scheduler
	sources map[string]*source

	mu   sync.Mutex
	live map[string]*liveCheck
	// byPage lists each source's job targets, so one live check covers them.
	byPage map[string][]string
	disc   map[string]*discovered
	done   int
	total  int
}

// delivJob is one job on its way through the steps.
type delivJob struct {
	j        *job
	n        state.Notification // as it is to be recorded
	prev     state.Notification // the record before it was marked in flight
	item     Item
	marked   bool // marked in flight, durably
	backoffs int  // pauses a host asked for in this run
}

type liveCheck struct {
	once   sync.Once
	linked map[string]bool // targets this build links to from the page
	stale  string          // why the live page is not this build's version, or ""
	err    error
}

type discovered struct {
	once sync.Once
	ep   *linkback.Endpoints
	err  error
}

// markWindow is how many notifications to one endpoint host are marked in
// flight in one transaction before the first of them is sent. A run killed
// meanwhile re-sends at most these (a pingback re-send is answered 48, a
// Webmention re-send is harmless), and a host with many links costs a
// commit per window, not one per link.
const markWindow = 8

// first is the first step of a job: the live check, unless it is a delete
// (the page is gone on purpose) or checks are off; the discovery, unless it
// is an update or delete (they go where the first Webmention went).
func (d *delivery) first(dj *delivJob) *task {
	switch {
	case dj.j.kind != KindDelete && d.s.cfg.VerifyLive:
		return d.verifyTask(dj)
	case dj.j.kind != KindUpdate && dj.j.kind != KindDelete:
		return d.discoverTask(dj)
	}
	return d.sendTask(dj)
}

// task makes a step of dj on host; a step the run's end leaves queued puts
// dj back where it stood.
func (d *delivery) task(dj *delivJob, host string, run func(ctx context.Context) taskResult) *task {
	return &task{host: host, run: run, abandon: func() error { return d.abandon(dj) }}
}

// verifyTask checks that the source is live and shows what the receiver is
// to see (the link, or for an update of a removed link, no link) before it
// checks.
func (d *delivery) verifyTask(dj *delivJob) *task {
	return d.task(dj, hostOf(dj.n.Source), func(ctx context.Context) taskResult {
		why, requested := d.verifyLive(ctx, dj.n.Source, dj.n.Target)
		r := taskResult{requested: requested}
		switch {
		case why != "" && ctx.Err() != nil:
			r.err = d.abandon(dj)
		case why != "":
			r.err = d.deferJob(dj, why)
		case dj.j.kind == KindUpdate:
			dj.n.DeferredSince = time.Time{}
			r.next = []*task{d.sendTask(dj)}
		default:
			dj.n.DeferredSince = time.Time{}
			r.next = []*task{d.discoverTask(dj)}
		}
		return r
	})
}

// deferJob records that the source was not live yet; a page that was not
// live for maxDeferral is given up.
func (d *delivery) deferJob(dj *delivJob, why string) error {
	n, now := &dj.n, d.s.opts.Now()
	if n.DeferredSince.IsZero() {
		n.DeferredSince = now
	}
	n.Status, n.LastError, n.NextAttempt = state.StatusDeferred, why, now.Add(deferAfter)
	if now.Sub(n.DeferredSince) > maxDeferral {
		// A page that was not live for a week will not be: stop checking.
		n.Status, n.NextAttempt = state.StatusFailed, time.Time{}
		n.LastError = why + fmt.Sprintf(" (gave up: not live for %s)", maxDeferral)
	}
	dj.item.Status, dj.item.Error = string(n.Status), n.LastError
	d.res.add(dj.item)
	return d.record(dj)
}

// discoverTask finds the target's endpoints and chooses the protocol.
func (d *delivery) discoverTask(dj *delivJob) *task {
	return d.task(dj, hostOf(dj.n.Target), func(ctx context.Context) taskResult {
		ep, requested, err := d.discover(ctx, dj.n.Target)
		r := taskResult{requested: requested, spaced: true}
		var lerr *ledgerError
		switch {
		case errors.As(err, &lerr):
			r.err = lerr.err // the ledger could not be read: stop the run
		case err != nil && ctx.Err() != nil:
			r.err = d.abandon(dj)
		case err != nil:
			if linkback.Classify(err) == linkback.ClassBackoff {
				// The host asked for a pause (429, 503): its other targets
				// wait too, as after a notification's 429.
				wait := linkback.RetryAfter(err)
				if wait <= 0 {
					wait = defaultBackoff
				}
				r.hold = time.Now().Add(wait)
			}
			d.settle(&dj.n, &dj.item, err, d.s.opts.Now())
			r.err = d.record(dj)
		default:
			protocol, endpoint, cerr := ep.Choose(d.s.cfg.Protocols)
			if cerr != nil { // linkback.ErrNoEndpoint: an outcome, not a failure
				n := &dj.n
				n.Status, n.Protocol, n.Endpoint, n.LastError = state.StatusNoEndpoint, "", "", "target does not accept "+strings.Join(d.s.cfg.Protocols, " or ")
				dj.item.Status, dj.item.Error = string(n.Status), n.LastError
				d.res.add(dj.item)
				r.err = d.record(dj)
				break
			}
			dj.n.Protocol, dj.n.Endpoint = protocol, endpoint
			r.next = []*task{d.sendTask(dj)}
		}
		return r
	})
}

// sendTask notifies the endpoint. Before the first request it marks the
// notification in flight, durably, together with the next ones queued for
// the same host (up to markWindow): Sends counts every delivery that may
// have happened.
func (d *delivery) sendTask(dj *delivJob) *task {
	host := hostOf(dj.n.Endpoint)
	t := d.task(dj, host, nil)
	t.send = dj
	t.run = func(ctx context.Context) taskResult {
		if !dj.marked {
			window := append([]*delivJob{dj}, d.unmarked(host)...)
			if err := d.mark(window); err != nil {
				return taskResult{err: err}
			}
		}
		n := dj.n
		dj.item.Protocol, dj.item.Endpoint = n.Protocol, n.Endpoint
		res, err := d.send(ctx, n, n.Protocol, n.Endpoint)
		now := d.s.opts.Now()
		r := taskResult{requested: true, spaced: true}
		if ctx.Err() != nil && err != nil {
			// The run ended mid-request: whether it arrived is unknown, so
			// it stays in flight, saying so, and is re-sent next run.
			d.res.addUnsent()
			n.LastError = "the run " + d.stopped(ctx) + " during the request, so whether it arrived is unknown; the next run sends it again"
			dj.n = n
			r.err = d.record(dj)
			return r
		}
		if linkback.Classify(err) == linkback.ClassBackoff && dj.backoffs < maxBackoffsInRun {
			wait := linkback.RetryAfter(err)
			if wait <= 0 {
				wait = defaultBackoff
			}
			if dl, ok := ctx.Deadline(); !ok || time.Now().Add(wait).Before(dl) {
				// Refused, not delivered: the in-flight mark (one possible
				// delivery) still covers the next try.
				dj.backoffs++
				r.hold, r.again = time.Now().Add(wait), true
				return r
			}
		}
		if res != nil {
			n.Answer, n.Location, n.Code = res.Answer, res.Location, res.Status
		}
		d.settle(&n, &dj.item, err, now)
		dj.n = n
		r.err = d.record(dj)
		return r
	}
	return t
}

// unmarked lists the notifications queued for host that are not marked
// in flight yet, up to a window's worth.
func (d *delivery) unmarked(host string) []*delivJob {
	var out []*delivJob
	for _, t := range d.sched.queued(host, markWindow-1, func(t *task) bool { return t.send != nil && !t.send.marked }) {
		out = append(out, t.send)
	}
	return out
}

// mark marks the notifications in flight in one commit.
func (d *delivery) mark(jobs []*delivJob) error {
	marks := make([]state.Notification, len(jobs))
	for i, dj := range jobs {
		dj.n.Status, dj.n.Sends = state.StatusInFlight, dj.n.Sends+1
		marks[i] = dj.n
	}
	if err := d.rec.putAll(marks); err != nil {
		return err
	}
	for _, dj := range jobs {
		dj.marked = true
	}
	return nil
}

// record writes a job's outcome (not waiting for the commit) and counts
// the job done.
func (d *delivery) record(dj *delivJob) error {
	d.progress()
	return d.rec.put(dj.n, false)
}

// abandon counts a job the run's end left unsent; one marked in flight but
// never sent goes back to where it stood, for the next run.
func (d *delivery) abandon(dj *delivJob) error {
	d.res.addUnsent()
	d.progress()
	if !dj.marked {
		return nil
	}
	dj.marked = false
	return d.rec.put(dj.prev, false)
}

func (d *delivery) progress() {
	d.mu.Lock()
	d.done++
	done := d.done
	d.mu.Unlock()
	if d.s.opts.Progress != nil {
		d.s.opts.Progress(done, d.total)
	}
}

// send speaks the chosen protocol.
func (d *delivery) send(ctx context.Context, n state.Notification, protocol, endpoint string) (*linkback.Result, error) {
	c := d.s.client
	switch protocol {
	case "webmention":
		return c.Webmention(ctx, endpoint, n.Source, n.Target)
	case "trackback":
		title, excerpt := d.describe(n.Source)
		return c.Trackback(ctx, endpoint, linkback.TrackbackPing{URL: n.Source, Title: title, Excerpt: excerpt, BlogName: d.s.cfg.SiteTitle})
	default:
		return c.Pingback(ctx, endpoint, n.Source, n.Target)
	}
}

// settle records the outcome of an attempt (err nil is success).
func (d *delivery) settle(n *state.Notification, item *Item, err error, now time.Time) {
	n.Updated = now
	var fe *linkback.FaultError
	if errors.As(err, &fe) {
		n.Code = fe.Code
	}
	var he *linkback.HTTPError
	if errors.As(err, &he) {
		n.Code = he.StatusCode
	}
	switch class := linkback.Classify(err); class {
	case linkback.ClassDone:
		n.Status, n.NotifiedAt, n.NextAttempt, n.LastError = state.StatusNotified, now, time.Time{}, ""
		if err != nil { // fault 48 or 409: the receiver has it already
			n.Answer = "already registered"
			d.res.addAlreadyRegistered()
		}
	case linkback.ClassPermanent:
		n.Status, n.LastError, n.NextAttempt = state.StatusFailed, linkback.Explain(err), time.Time{}
		n.Attempts++
	default:
		n.Attempts++
		limit := maxAttempts
		if class == linkback.ClassRetryFew {
			limit = maxAttemptsFew
		}
		n.LastError = linkback.Explain(err)
		if n.Attempts >= limit {
			n.Status, n.NextAttempt = state.StatusFailed, time.Time{}
			n.LastError += fmt.Sprintf(" (gave up after %d attempts)", n.Attempts)
		} else {
			// The receiver's Retry-After, when it asked for longer, holds
			// across runs too.
			n.Status, n.NextAttempt = state.StatusRetry, now.Add(max(backoff(n.Attempts), linkback.RetryAfter(err)))
		}
	}
	item.Status, item.Error, item.Code, item.Answer = string(n.Status), n.LastError, n.Code, n.Answer
	item.Protocol, item.Endpoint = n.Protocol, n.Endpoint
	d.res.add(*item)
}

// stopped says why the run's context ended.
func (d *delivery) stopped(ctx context.Context) string {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return "ran out of its time budget (--max-time)"
	}
	return "was interrupted"
}

// ledgerError is a failure to read the ledger, which stops the run, as
// opposed to a failure of the target, which is the notification's outcome.
type ledgerError struct{ err error }

func (e *ledgerError) Error() string { return e.err.Error() }
func (e *ledgerError) Unwrap() error { return e.err }

// backoff is the wait before attempt n+1: 15 min, 30 min, 1 h, … up to a day.
func backoff(attempts int) time.Duration {
	w := retryBase
	for i := 1; i < attempts && w < retryCap; i++ {
		w *= 2
	}
	return min(w, retryCap)
}

// discover finds a target's endpoints once per run, from the ledger's cache
// when it is fresh; requested reports whether this call fetched the
// target. A ledger that cannot be read comes back as a *ledgerError.
func (d *delivery) discover(ctx context.Context, target string) (ep *linkback.Endpoints, requested bool, err error) {
	d.mu.Lock()
	c, ok := d.disc[target]
	if !ok {
		c = &discovered{}
		d.disc[target] = c
	}
	d.mu.Unlock()
	c.once.Do(func() {
		now := d.s.opts.Now()
		cached, ok, err := d.s.ledger.Discovery(target, now)
		if err != nil {
			c.err = &ledgerError{err}
			return
		}
		if ok {
			c.ep = &linkback.Endpoints{Target: target, Final: cached.Final, Pingback: cached.Pingback, Webmention: cached.Webmention, Trackback: cached.Trackback}
			return
		}
		requested = true
		if c.ep, c.err = d.s.client.Discover(ctx, target, d.s.cfg.Protocols); c.err != nil {
			return
		}
		d.rec.putDiscovery(state.Discovery{
			Target: target, Final: c.ep.Final,
			Pingback: c.ep.Pingback, Webmention: c.ep.Webmention, Trackback: c.ep.Trackback,
			Fetched: now, Expires: now.Add(discoveryTTL),
		})
	})
	return c.ep, requested, c.err
}

// verifyLive checks once per run and page that the live source page answers
// 200 without a redirect and shows this build's links: each target it links
// to must be there, and a target whose link was removed (a Webmention update)
// must be gone, or the receiver would see the old version. It returns why the
// page is not live yet, or "", and whether this call fetched the page.
func (d *delivery) verifyLive(ctx context.Context, source, target string) (why string, requested bool) {
	d.mu.Lock()
	c, ok := d.live[source]
	if !ok {
		c = &liveCheck{}
		d.live[source] = c
	}
	d.mu.Unlock()
	c.once.Do(func() {
		requested = true
		c.linked = map[string]bool{}
		for _, t := range d.targetsOf(source) {
			c.linked[t] = true
		}
		checked := append([]string(nil), d.byPage[source]...)
		for t := range c.linked {
			checked = append(checked, t)
		}
		var missing []string
		missing, c.err = d.s.client.VerifyLive(ctx, source, checked)
		missed := map[string]bool{}
		for _, m := range missing {
			missed[m] = true
		}
		// The live page is this build's version only if every check holds:
		// one stale link means the whole page is not deployed yet.
		for _, t := range checked {
			switch {
			case c.linked[t] && missed[t]:
				c.stale = "source not live yet: the live page does not link to " + t
			case !c.linked[t] && !missed[t]:
				c.stale = "source not live yet: the live page still links to " + t + " (old version)"
			}
			if c.stale != "" {
				break
			}
		}
	})
	if c.err != nil {
		return "source not live yet: " + linkback.Explain(c.err), requested
	}
	return c.stale, requested
}

// targetsOf lists the targets a page links to in this build.
func (d *delivery) targetsOf(source string) []string {
	if src := d.sources[source]; src != nil {
		return src.links
	}
	return nil
}

// describe gives the title and excerpt of a source page for Trackback,
// parsing the built file again when this run did not.
func (d *delivery) describe(source string) (title, excerpt string) {
	src := d.sources[source]
	if src == nil {
		return "", ""
	}
	if src.parsed || src.path == "" {
		return src.title, src.excerpt
	}
	data, err := os.ReadFile(src.path)
	if err != nil {
		return "", ""
	}
	ex, err := renderer.Extract(data, linkurl.Parse(source), &renderer.Options{Content: d.s.cfg.Content})
	if err != nil {
		return "", ""
	}
	return ex.Title, ex.Excerpt
}

// hostOf is the host a request to raw goes to, as the gates know it: the
// host name without case or trailing dot, and the port when one is given.
func hostOf(raw string) string {
	u := linkurl.Parse(raw)
	if u == nil {
		return raw
	}
	// One server, one queue, however its name is spelt: bücher.example
	// and xn--bcher-kva.example, example.com:443 and example.com.
	host := linkurl.Host(u)
	if a, err := idna.Lookup.ToASCII(host); err == nil {
		host = a
	}
	if p := u.Port(); p != "" && !(u.Scheme == "https" && p == "443" || u.Scheme == "http" && p == "80") {
		return host + ":" + p
	}
	return host
}
