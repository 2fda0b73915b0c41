package sender

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/state"
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

// deliver runs the jobs: targets are grouped by host, hosts are served by at
// most Concurrency workers, and each host's jobs run one after another.
func (s *Sender) deliver(ctx context.Context, p *planned, rep *Report) error {
	if len(p.jobs) == 0 {
		return nil
	}
	runCtx, cancel := context.WithTimeout(ctx, s.cfg.MaxTime)
	defer cancel()

	rec := newRecorder(s.ledger)
	defer rec.close()
	d := &delivery{
		s: s, rep: rep, rec: rec, pages: p.pages,
		gates:  newGates(s.cfg.HostInterval, s.opts.Now),
		live:   map[string]*liveCheck{},
		disc:   map[string]*discovered{},
		total:  len(p.jobs),
		cancel: cancel,
	}

	d.byPage = map[string][]string{}
	for _, j := range p.jobs {
		d.byPage[j.n.Source] = append(d.byPage[j.n.Source], j.n.Target)
	}
	byHost := map[string][]*job{}
	var hosts []string
	for _, j := range p.jobs {
		h := hostOf(j.n.Target)
		if _, ok := byHost[h]; !ok {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], j)
	}
	sort.Strings(hosts)
	g := new(errgroup.Group)
	g.SetLimit(s.cfg.Concurrency)
	for _, h := range hosts {
		g.Go(func() error { return d.host(runCtx, byHost[h]) })
	}
	err := g.Wait()
	if cerr := rec.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write ledger %s: %w", s.ledger.Path(), err)
	}
	if runCtx.Err() != nil && ctx.Err() == nil {
		rep.BudgetExhausted = true
	}
	if ctx.Err() != nil {
		rep.Interrupted = true
	}
	return nil
}

// delivery is the shared state of one deliver call.
type delivery struct {
	s      *Sender
	rep    *Report
	rec    *recorder
	gates  *gates
	pages  map[string]*scannedPage
	cancel context.CancelFunc

	mu   sync.Mutex
	live map[string]*liveCheck
	// byPage lists each source's job targets, so one live check covers them.
	byPage map[string][]string
	disc   map[string]*discovered
	done   int
	total  int
}

type liveCheck struct {
	once   sync.Once
	linked map[string]bool // targets this build links to from the page
	stale  string          // why the live page is not this build's version, or ""
	err    error
}

type discovered struct {
	once sync.Once
	d    state.Discovery
	err  error
}

// markWindow is how many of a host's notifications are marked in flight in
// one transaction before they are sent. A run killed meanwhile re-sends at
// most these (a pingback re-send is answered 48, a Webmention re-send is
// harmless), and a host with many links costs a commit per window, not one
// per link.
const markWindow = 8

// ready is a notification checked and discovered, about to be sent.
type ready struct {
	n, prev  state.Notification // prev: the record before it was marked in flight
	item     Item
	protocol string
	endpoint string
}

// host runs one host's jobs in order, a window at a time: each job of the
// window is checked and discovered, the sendable ones are marked in flight in
// one commit, then sent one by one. A failing job is recorded, never
// returned: only a ledger write error stops the run.
func (d *delivery) host(ctx context.Context, jobs []*job) error {
	for start := 0; start < len(jobs); start += markWindow {
		var batch []*ready
		for _, j := range jobs[start:min(start+markWindow, len(jobs))] {
			if ctx.Err() != nil {
				d.rep.unsent()
				d.progress()
				continue
			}
			r, err := d.prepare(ctx, j)
			if err != nil {
				return err
			}
			if r == nil {
				d.progress()
				continue
			}
			batch = append(batch, r)
		}
		if len(batch) == 0 {
			continue
		}
		// Marked in flight, durably, before any request: Sends counts every
		// delivery that may have happened.
		marks := make([]state.Notification, len(batch))
		for i, r := range batch {
			r.n.Status, r.n.Sends = state.StatusInFlight, r.n.Sends+1
			marks[i] = r.n
		}
		if err := d.rec.putAll(marks); err != nil {
			return err
		}
		for _, r := range batch {
			if ctx.Err() != nil {
				// Never sent: back to where it stood, for the next run.
				d.rep.unsent()
				if err := d.rec.put(r.prev, false); err != nil {
					return err
				}
			} else if err := d.deliverReady(ctx, r); err != nil {
				return err
			}
			d.progress()
		}
	}
	return nil
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

// prepare checks the source is live and finds the target's endpoint. It
// records the outcome of a job that will not be sent (deferred, no endpoint,
// discovery failed) and returns nil for it.
func (d *delivery) prepare(ctx context.Context, j *job) (*ready, error) {
	n := j.n
	now := d.s.opts.Now()
	item := Item{Source: n.Source, Target: n.Target, Kind: j.kind}

	// The source must be live and show what the receiver is to see (the link,
	// or for an update of a removed link, no link) before it checks; a delete
	// is the opposite case and is never verified.
	if j.kind != KindDelete && d.s.cfg.VerifyLive {
		if why := d.verifyLive(ctx, n.Source, n.Target); why != "" {
			if ctx.Err() != nil {
				d.rep.unsent()
				return nil, nil
			}
			if n.DeferredSince.IsZero() {
				n.DeferredSince = now
			}
			n.Status, n.LastError, n.NextAttempt = state.StatusDeferred, why, now.Add(deferAfter)
			if now.Sub(n.DeferredSince) > maxDeferral {
				// A page that was not live for a week will not be: stop checking.
				n.Status, n.NextAttempt = state.StatusFailed, time.Time{}
				n.LastError = why + fmt.Sprintf(" (gave up: not live for %s)", maxDeferral)
			}
			item.Status, item.Error = string(n.Status), n.LastError
			d.rep.add(item)
			return nil, d.rec.put(n, false)
		}
	}
	n.DeferredSince = time.Time{}

	endpoint, protocol := n.Endpoint, n.Protocol
	if j.kind != KindUpdate && j.kind != KindDelete {
		disc, err := d.discover(ctx, n.Target)
		if err != nil {
			if ctx.Err() != nil {
				d.rep.unsent()
				return nil, nil
			}
			d.settle(&n, &item, err, now)
			return nil, d.rec.put(n, false)
		}
		protocol, endpoint = d.choose(disc)
		if endpoint == "" {
			n.Status, n.Protocol, n.Endpoint, n.LastError = state.StatusNoEndpoint, "", "", "target does not accept "+strings.Join(d.s.cfg.Protocols, " or ")
			item.Status, item.Error = string(n.Status), n.LastError
			d.rep.add(item)
			return nil, d.rec.put(n, false)
		}
	}
	n.Protocol, n.Endpoint = protocol, endpoint
	item.Protocol, item.Endpoint = protocol, endpoint
	return &ready{n: n, prev: j.n, item: item, protocol: protocol, endpoint: endpoint}, nil
}

// deliverReady sends a notification already marked in flight, backing the
// endpoint's host off on a 429 within the run's budget, and records the outcome.
func (d *delivery) deliverReady(ctx context.Context, r *ready) error {
	n, item := r.n, r.item
	for backoffs := 0; ; backoffs++ {
		var res *linkback.Result
		err := d.gates.do(ctx, hostOf(r.endpoint), true, func(rctx context.Context) error {
			var err error
			res, err = d.send(rctx, n, r.protocol, r.endpoint)
			return err
		})
		now := d.s.opts.Now()
		if ctx.Err() != nil && err != nil {
			// The budget ran out mid-request: whether it arrived is unknown,
			// so it stays in flight and is re-sent next run.
			d.rep.unsent()
			return nil
		}
		if linkback.Classify(err) == linkback.ClassBackoff && backoffs < maxBackoffsInRun {
			wait := linkback.RetryAfter(err)
			if wait <= 0 {
				wait = defaultBackoff
			}
			if dl, ok := ctx.Deadline(); !ok || now.Add(wait).Before(dl) {
				// Refused, not delivered: the in-flight mark (one possible
				// delivery) still covers the next try.
				d.gates.block(hostOf(r.endpoint), now.Add(wait))
				continue
			}
		}
		if res != nil {
			n.Answer, n.Location, n.Code = res.Answer, res.Location, res.Status
		}
		d.settle(&n, &item, err, now)
		return d.rec.put(n, false)
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
			d.rep.alreadyRegistered()
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
			n.Status, n.NextAttempt = state.StatusRetry, now.Add(backoff(n.Attempts))
		}
	}
	item.Status, item.Error, item.Code, item.Answer = string(n.Status), n.LastError, n.Code, n.Answer
	item.Protocol, item.Endpoint = n.Protocol, n.Endpoint
	d.rep.add(*item)
}

// backoff is the wait before attempt n+1: 15 min, 30 min, 1 h, … up to a day.
func backoff(attempts int) time.Duration {
	w := retryBase
	for i := 1; i < attempts && w < retryCap; i++ {
		w *= 2
	}
	return min(w, retryCap)
}

// choose picks the first configured protocol the target advertises.
func (d *delivery) choose(disc state.Discovery) (protocol, endpoint string) {
	for _, p := range d.s.cfg.Protocols {
		var e string
		switch p {
		case "webmention":
			e = disc.Webmention
		case "pingback":
			e = disc.Pingback
		case "trackback":
			e = disc.Trackback
		}
		if e != "" {
			return p, e
		}
	}
	return "", ""
}

// discover finds a target's endpoints once per run, from the ledger's cache
// when it is fresh.
func (d *delivery) discover(ctx context.Context, target string) (state.Discovery, error) {
	d.mu.Lock()
	c, ok := d.disc[target]
	if !ok {
		c = &discovered{}
		d.disc[target] = c
	}
	d.mu.Unlock()
	c.once.Do(func() {
		now := d.s.opts.Now()
		if cached, ok, err := d.s.ledger.Discovery(target, now); err == nil && ok && cached.Err == "" {
			c.d = cached
			return
		}
		var ep *linkback.Endpoints
		c.err = d.gates.do(ctx, hostOf(target), false, func(rctx context.Context) error {
			var err error
			ep, err = d.s.client.Discover(rctx, target, d.s.cfg.Protocols)
			return err
		})
		if c.err != nil {
			return
		}
		c.d = state.Discovery{
			Target: target, Final: ep.Final,
			Pingback: ep.Pingback, Webmention: ep.Webmention, Trackback: ep.Trackback,
			Fetched: now, Expires: now.Add(discoveryTTL),
		}
		d.rec.putDiscovery(c.d)
	})
	return c.d, c.err
}

// verifyLive checks once per run and page that the live source page answers
// 200 without a redirect and shows this build's links: each target it links
// to must be there, and a target whose link was removed (a Webmention update)
// must be gone, or the receiver would see the old version. It returns why the
// page is not live yet, or "".
func (d *delivery) verifyLive(ctx context.Context, source, target string) string {
	d.mu.Lock()
	c, ok := d.live[source]
	if !ok {
		c = &liveCheck{}
		d.live[source] = c
	}
	d.mu.Unlock()
	c.once.Do(func() {
		c.linked = map[string]bool{}
		for _, t := range d.targetsOf(source) {
			c.linked[t] = true
		}
		checked := append([]string(nil), d.byPage[source]...)
		for t := range c.linked {
			checked = append(checked, t)
		}
		var missing []string
		c.err = d.gates.do(ctx, hostOf(source), false, func(rctx context.Context) error {
			var err error
			missing, err = d.s.client.VerifyLive(rctx, source, checked)
			return err
		})
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
		return "source not live yet: " + linkback.Explain(c.err)
	}
	return c.stale
}

// targetsOf lists the targets a page links to in this build.
func (d *delivery) targetsOf(source string) []string {
	if p := d.pages[source]; p != nil && p.changed {
		return p.links
	}
	if pg, ok, err := d.s.ledger.Page(source); err == nil && ok {
		return pg.Links
	}
	return nil
}

// describe gives the title and excerpt of a source page for Trackback,
// parsing it again when this run did not.
func (d *delivery) describe(source string) (title, excerpt string) {
	p := d.pages[source]
	if p == nil {
		return "", ""
	}
	if p.changed {
		return p.title, p.excerpt
	}
	src, err := os.ReadFile(p.file.Path)
	if err != nil {
		return "", ""
	}
	u, _ := url.Parse(source)
	ex, err := renderer.Extract(src, u, &renderer.Options{Content: d.s.cfg.Content})
	if err != nil {
		return "", ""
	}
	return ex.Title, ex.Excerpt
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Host)
}
