package receiver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
	"github.com/hugo-pingback/hugo-pingback/verify"
)

// verdict is what verifying a request came to.
type verdict int

const (
	accepted verdict = iota // a mention was made, updated or deleted
	refused                 // for good: fault, reason
	passing                 // the source failed for a passing reason: retry later
)

// outcome is the result of verifying one request.
type outcome struct {
	verdict verdict
	fault   int    // the Pingback fault code of a refusal or passing failure
	reason  string // in words, for the sender and the status page
	mention *mention.Mention
	// approved is set when this verification approved the mention (the
	// rebuild hook fires).
	approved bool
}

func refuse(fault int, format string, args ...any) outcome {
	return outcome{verdict: refused, fault: fault, reason: fmt.Sprintf(format, args...)}
}

// verifyRequest fetches r's source and decides what becomes of r: a new or
// updated mention (with its moderation state), a deleted one, a refusal, or
// a passing failure. It writes nothing.
func (s *Server) verifyRequest(ctx context.Context, r *mention.Request) outcome {
	start := time.Now()
	o := s.verifyOnce(ctx, r)
	kind := map[verdict]string{accepted: "accepted", refused: "refused", passing: "retry"}[o.verdict]
	if o.mention != nil && o.verdict == accepted {
		kind = string(o.mention.State)
	}
	s.metrics.verifications.WithLabelValues(string(r.Protocol), kind).Inc()
	s.metrics.verifySeconds.WithLabelValues(string(r.Protocol)).Observe(time.Since(start).Seconds())
	return o
}

func (s *Server) verifyOnce(ctx context.Context, r *mention.Request) outcome {
	src := linkurl.Parse(r.Source)
	if src == nil {
		return refuse(linkback.FaultSourceNotFound, "the source is not an http(s) URL")
	}
	existing, known, err := s.store.Find(ctx, r.Source, r.Target)
	if err != nil {
		return outcome{verdict: passing, fault: linkback.FaultInternal, reason: "the mention store failed: " + err.Error()}
	}
	// One fetch per source URL serves every protocol, so it follows
	// redirects; a Pingback or Trackback source that redirected is refused
	// below, as WordPress refuses it.
	page, err := s.fetch.get(ctx, r.Source, r.Received)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			why := "the receiver stopped before the source was fetched"
			if errors.Is(cerr, context.DeadlineExceeded) {
				why = "the source was not fetched in time"
			}
			return outcome{verdict: passing, fault: linkback.FaultUpstream, reason: why}
		}
		return s.fetchFailed(r, err, existing, known)
	}
	if page.Redirected && r.Protocol != mention.Webmention {
		return refuse(linkback.FaultSourceNotFound, "the source redirects to %s (pingback and trackback sources must answer directly)", page.URL.Redacted())
	}
	switch st := page.StatusCode; {
	case st == http.StatusNotFound || st == http.StatusGone:
		if known && existing.State != mention.Deleted {
			return s.deleted(existing, fmt.Sprintf("the source answered %d %s", st, http.StatusText(st)))
		}
		return refuse(linkback.FaultSourceNotFound, "the source answered %d %s", st, http.StatusText(st))
	case st >= 300 && st < 400:
		return refuse(linkback.FaultSourceNotFound, "the source answered %d %s", st, http.StatusText(st))
	case st == http.StatusTooManyRequests || st >= 500:
		return outcome{verdict: passing, fault: linkback.FaultUpstream, reason: fmt.Sprintf("the source answered %d %s", st, http.StatusText(st))}
	case st != http.StatusOK && (st < 200 || st > 299):
		return refuse(linkback.FaultSourceNotFound, "the source answered %d %s", st, http.StatusText(st))
	}
	if !htmlType(page.ContentType) {
		if known && existing.State != mention.Deleted {
			return s.deleted(existing, "the source is no longer an HTML page ("+page.ContentType+")")
		}
		return refuse(linkback.FaultNoLink, "the source is not an HTML page (%s)", page.ContentType)
	}
	res, err := verify.Source(page.Text(), page.URL, r.Target, verify.Options{Media: r.Protocol == mention.Webmention})
	if errors.Is(err, verify.ErrNoLink) {
		why := "the source does not link to the target"
		if page.Truncated {
			why += fmt.Sprintf(" in its first %d KiB", len(page.Body)>>10)
		}
		if known && existing.State != mention.Deleted {
			return s.deleted(existing, "the source no longer links to the target")
		}
		return refuse(linkback.FaultNoLink, "%s", why)
	}
	if err != nil {
		return refuse(linkback.FaultNoLink, "the source could not be read: %v", err)
	}

	now := s.now().UTC()
	m := existing
	if !known {
		m = mention.Mention{Source: r.Source, Target: r.Target, Received: r.Received}
	}
	m.Protocol, m.ClientIP = r.Protocol, r.ClientIP
	// What the source says replaces what it said before.
	m.Author, m.Content, m.Name, m.Excerpt, m.RSVP = mention.Author{}, mention.Content{}, "", "", ""
	m.Published, m.URL, m.Type = time.Time{}, "", ""
	res.Apply(&m)
	if m.URL == "" {
		m.URL = r.Source
	}
	if m.Type == "" {
		m.Type = mention.Mentions
	}
	if r.Protocol == mention.Trackback {
		// What the sender said of its own post stands in for what the page
		// does not say.
		if m.Name == "" {
			m.Name = r.Title
		}
		if m.Author.Name == "" {
			m.Author.Name = r.BlogName
		}
		if m.Excerpt == "" {
			m.Excerpt = r.Excerpt
		}
	}
	m.Updated, m.Verified = now, now

	o := outcome{verdict: accepted, mention: &m}
	wasApproved := known && existing.State == mention.Approved
	switch why := s.scraper(ctx, r.Target, res.Text); {
	case why != "":
		m.State, m.Reason = mention.Spam, why
	case !known || existing.State == mention.Deleted:
		m.State, m.Reason = "", "" // a new mention, or one that links again
	}
	// The policy keeps the scraper's verdict and a moderator's earlier one,
	// applies allow and deny rules and blocks, then the moderation mode.
	st, why, err := s.opts.Policy.Decide(ctx, s.store, &m)
	if err != nil {
		return outcome{verdict: passing, fault: linkback.FaultInternal, reason: "the moderation policy failed: " + err.Error()}
	}
	m.State, m.Reason = st, why
	o.approved = st == mention.Approved && !wasApproved
	return o
}

// deleted marks a known mention deleted, keeping what it said.
func (s *Server) deleted(m mention.Mention, why string) outcome {
	now := s.now().UTC()
	m.State, m.Reason, m.Updated = mention.Deleted, why, now
	return outcome{verdict: accepted, mention: &m, reason: why}
}

// fetchFailed sorts a failed fetch into refusals and passing failures.
func (s *Server) fetchFailed(r *mention.Request, err error, existing mention.Mention, known bool) outcome {
	var te *linkback.TimeoutError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, linkback.ErrPrivateAddress):
		return refuse(linkback.FaultAccessDenied, "the source is on a private or loopback address")
	case errors.Is(err, linkback.ErrNotHTTP), errors.Is(err, linkback.ErrUserinfo):
		return refuse(linkback.FaultSourceNotFound, "the source (or a redirect) is not a plain http(s) URL")
	case errors.Is(err, linkback.ErrTooManyRedirects):
		return refuse(linkback.FaultSourceNotFound, "the source redirects more than %d times", s.lim.Redirects)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		if known && existing.State != mention.Deleted && r.Protocol == mention.Webmention {
			return s.deleted(existing, "the source's host no longer exists")
		}
		return refuse(linkback.FaultSourceNotFound, "the source's host does not exist")
	case errors.As(err, &te):
		return outcome{verdict: passing, fault: linkback.FaultUpstream, reason: "the source timed out"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return refuse(linkback.FaultSourceNotFound, "the source refused the connection")
	}
	return outcome{verdict: passing, fault: linkback.FaultUpstream, reason: "the source could not be fetched: " + err.Error()}
}

// scraper returns why the source is spam when its text copies a large
// share of the target's own text (the scraper that republishes an article,
// links and all), else "".
func (s *Server) scraper(ctx context.Context, target, sourceText string) string {
	threshold := s.opts.ScraperThreshold
	if threshold < 0 {
		return ""
	}
	if threshold == 0 {
		threshold = verify.DefaultScraperThreshold
	}
	tu := linkurl.Parse(target)
	if tu == nil {
		return ""
	}
	text, err := s.targets.Text(ctx, tu)
	if err != nil {
		s.log.Warn("scraper check skipped: cannot read the target page", "target", target, "err", err)
		return ""
	}
	if share := verify.Overlap(sourceText, text); share >= threshold {
		return fmt.Sprintf("source copies %d%% of the target's text", int(math.Round(share*100)))
	}
	return ""
}

// htmlType reports whether a source's media type is one a link is looked
// for in: HTML, XHTML, or none given.
func htmlType(ct string) bool {
	switch ct {
	case "", "text/html", "application/xhtml+xml", "application/xml", "text/xml":
		return true
	}
	return false
}

// settle records an outcome for a request and returns the words the
// status page shows.
func (s *Server) settle(ctx context.Context, r *mention.Request, o outcome) error {
	switch o.verdict {
	case accepted:
		r.State = mention.Accepted
		r.Result = resultWords(o)
		r.NextAttempt = time.Time{}
	case refused:
		r.State, r.Result = mention.Refused, o.reason
	case passing:
		r.Attempts++
		if r.Protocol != mention.Webmention || r.Attempts >= s.lim.Attempts {
			r.State = mention.Refused
			r.Result = o.reason
			if r.Protocol == mention.Webmention {
				r.Result = fmt.Sprintf("gave up after %d attempts: %s", r.Attempts, o.reason)
			}
		} else {
			r.State, r.Result = mention.Queued, o.reason
			r.NextAttempt = s.now().Add(s.backoff(r.Attempts))
		}
	}
	var m *mention.Mention
	if o.verdict == accepted {
		m = o.mention
	}
	if err := s.store.Settle(ctx, r, m); err != nil {
		return fmt.Errorf("settle request %s: %w", r.ID, err)
	}
	if m != nil {
		r.Mention = m.ID
	}
	if o.approved {
		s.hook.trigger()
	}
	return nil
}

// backoff is the wait before attempt n+1: RetryBase doubled per attempt.
func (s *Server) backoff(attempts int) time.Duration {
	d := s.lim.RetryBase
	for i := 1; i < attempts && d < 24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 24*time.Hour)
}

// resultWords says what an accepted request did.
func resultWords(o outcome) string {
	m := o.mention
	switch m.State {
	case mention.Approved:
		return "accepted: the mention is approved"
	case mention.Pending:
		if why := strings.TrimPrefix(m.Reason, "held: "); why != "" {
			return "accepted: held for moderation: " + why
		}
		return "accepted: held for moderation"
	case mention.Spam:
		return "accepted: marked as spam (" + m.Reason + ")"
	case mention.Deleted:
		return "the mention was removed: " + m.Reason
	}
	return "accepted"
}

// work is one verification worker: it takes due Webmention requests from
// the queue and verifies them until ctx ends. It hands each outcome to the
// settler instead of writing it: fetching is worth doing in parallel,
// writing is not, since the store has one writer and the Enqueue commits
// of the requests still arriving (each holding up a 202) need it more.
func (s *Server) work(ctx context.Context, settled chan<- settling) {
	for {
		r, ok := s.queue.next(ctx, s.now)
		if !ok {
			return
		}
		o := s.verifyRequest(ctx, &r)
		if ctx.Err() != nil {
			// Stopping: the request stays queued in the store for the next
			// start, whatever this attempt came to.
			return
		}
		select {
		case settled <- settling{r, o}:
		case <-ctx.Done():
			return
		}
	}
}

// settling is a verified request on its way to the store.
type settling struct {
	r mention.Request
	o outcome
}

// settle writes the workers' outcomes, one commit at a time, until ctx
// ends; an outcome not written then is verified again at the next start.
func (s *Server) settler(ctx context.Context, settled <-chan settling) {
	for {
		var job settling
		select {
		case job = <-settled:
		case <-ctx.Done():
			return
		}
		r := job.r
		err := s.settle(ctx, &r, job.o)
		if errors.Is(err, mention.ErrInvalid) {
			// A mention the store cannot hold is refused, not left queued
			// to be fetched again at every start.
			r = job.r
			err = s.settle(ctx, &r, refuse(0, "the mention cannot be stored: %v", err))
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("cannot record a verification; it is retried at the next start", "request", r.ID, "err", err)
			s.queue.done(r.ID)
			continue
		}
		s.log.Info("webmention verified", "request", r.ID, "source", r.Source, "target", r.Target, "state", r.State, "result", r.Result)
		if r.State == mention.Queued {
			s.queue.retry(r)
		} else {
			s.queue.done(r.ID)
		}
		if s.verifyDone != nil {
			s.verifyDone(r)
		}
	}
}
