package receiver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

// fetcher fetches sources so that a flood naming one URL costs one fetch
// in SourceRefetch: concurrent requests for a URL share one fetch
// (singleflight), and its result answers, for the next SourceCache, every
// request for that URL that arrived before the fetch started, and, for the
// next SourceRefetch, those that arrived after it too. A request that
// arrived later than that gets a fetch of its own: a re-sent Webmention is
// an update, and must not be checked against the copy of the source it
// replaces. All fetches together are capped at Fetches at once. This is the
// defence against pingback reflection (CVE-2013-0235 and the 2014 floods),
// in which one request to each of many receivers made them all fetch a
// victim.
type fetcher struct {
	client    *linkback.Client
	ttl       time.Duration
	refetch   time.Duration
	maxSize   int64
	redirects int
	slots     chan struct{}
	group     singleflight.Group
	metrics   *metrics
	now       func() time.Time

	mu    sync.Mutex
	cache map[string]*fetched
	order []string // keys in insertion order, which is expiry order
	size  int64
}

// fetched is the outcome of one fetch of a source.
type fetched struct {
	page    *linkback.Page
	err     error
	started time.Time
	at      time.Time // done
}

// slotWait bounds how long a fetch waits for one of the Fetches slots.
const slotWait = 2 * time.Minute

func newFetcher(c *linkback.Client, lim Limits, m *metrics, now func() time.Time) *fetcher {
	return &fetcher{
		client: c, ttl: lim.SourceCache, refetch: min(lim.SourceRefetch, lim.SourceCache), maxSize: lim.SourceCacheBytes,
		redirects: lim.Redirects, slots: make(chan struct{}, lim.Fetches), metrics: m, now: now,
		cache: map[string]*fetched{},
	}
}

// get returns the outcome of fetching rawURL (following up to Redirects
// redirects) for a request that arrived at arrived: fresh, or from the
// cache (see fetcher). A fetch is never cut short by the request that
// started it: the others sharing it still want the answer.
func (f *fetcher) get(ctx context.Context, rawURL string, arrived time.Time) (*linkback.Page, error) {
	return f.fetch(ctx, rawURL, arrived, false)
}

// fetch is get; again is set for the second try of a request whose shared
// fetch began too long before it arrived, which does not go round again.
func (f *fetcher) fetch(ctx context.Context, rawURL string, arrived time.Time, again bool) (*linkback.Page, error) {
	now := f.now()
	f.mu.Lock()
	if e, ok := f.cache[rawURL]; ok && now.Sub(e.at) < f.ttl && (!e.started.Before(arrived) || now.Sub(e.started) < f.refetch) {
		f.mu.Unlock()
		f.metrics.fetches.WithLabelValues("cached").Inc()
		return e.page, e.err
	}
	f.mu.Unlock()

	ch := f.group.DoChan(rawURL, func() (any, error) {
		// The fetch runs on for the callers still waiting; each gives up on
		// its own context below.
		fctx := context.WithoutCancel(ctx)
		wait := time.NewTimer(slotWait)
		defer wait.Stop()
		select {
		case f.slots <- struct{}{}:
		case <-wait.C:
			// Not cached: the next request tries again.
			return nil, fmt.Errorf("fetch %s: no fetch slot free for %v", rawURL, slotWait)
		}
		defer func() { <-f.slots }()
		start := f.now()
		page, err := f.client.Fetch(fctx, rawURL, linkback.FetchOptions{MaxRedirects: f.redirects})
		f.metrics.fetchSeconds.Observe(f.now().Sub(start).Seconds())
		f.metrics.fetches.WithLabelValues(fetchOutcome(page, err)).Inc()
		e := &fetched{page: page, err: err, started: start, at: f.now()}
		f.store(rawURL, e)
		return e, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		e := res.Val.(*fetched)
		// A fetch joined while in flight may have started long before this
		// request arrived (it waited for a slot): past SourceRefetch, the
		// request gets a fetch of its own, once.
		if !again && e.started.Before(arrived.Add(-f.refetch)) {
			return f.fetch(ctx, rawURL, arrived, true)
		}
		return e.page, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// store caches e under key, evicting the oldest entries while the bodies
// kept exceed the byte budget or have expired.
func (f *fetcher) store(key string, e *fetched) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.cache[key]; ok {
		f.size -= bodySize(old)
	}
	f.cache[key] = e
	f.order = append(f.order, key)
	f.size += bodySize(e)
	now := f.now()
	for len(f.order) > 0 {
		k := f.order[0]
		old, ok := f.cache[k]
		if ok && old != e && (f.size > f.maxSize || now.Sub(old.at) >= f.ttl) {
			delete(f.cache, k)
			f.size -= bodySize(old)
		} else if ok {
			break
		}
		f.order = f.order[1:]
	}
	if len(f.order) > 2*len(f.cache)+64 { // keys re-stored leave stale entries behind
		f.order = f.order[:0]
		for k := range f.cache {
			f.order = append(f.order, k)
		}
	}
}

func bodySize(e *fetched) int64 {
	if e.page == nil {
		return 64
	}
	return int64(len(e.page.Body)) + 256
}

// fetchOutcome names a fetch's outcome for the metrics.
func fetchOutcome(p *linkback.Page, err error) string {
	var te *linkback.TimeoutError
	switch {
	case errors.Is(err, linkback.ErrPrivateAddress):
		return "refused_private"
	case errors.As(err, &te):
		return "timeout"
	case err != nil:
		return "error"
	case p.StatusCode >= 200 && p.StatusCode < 300:
		return "ok"
	case p.StatusCode >= 300 && p.StatusCode < 400:
		return "redirect"
	case p.StatusCode >= 500:
		return "http_5xx"
	}
	return "http_4xx"
}
