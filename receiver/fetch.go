package receiver

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

// fetcher fetches sources so that a flood naming one URL costs one fetch:
// concurrent requests for a URL share one fetch (singleflight), and its
// result answers every request for that URL for the next SourceCache; all
// fetches together are capped at Fetches at once. This is the defence
// against pingback reflection (CVE-2013-0235 and the 2014 floods), in
// which one request to each of many receivers made them all fetch a victim.
type fetcher struct {
	client    *linkback.Client
	ttl       time.Duration
	maxSize   int64
	redirects int
	slots     chan struct{}
	group     singleflight.Group
	metrics   *metrics

	mu    sync.Mutex
	cache map[string]*fetched
	order []string // keys in insertion order, which is expiry order
	size  int64
}

// fetched is the outcome of one fetch of a source.
type fetched struct {
	page *linkback.Page
	err  error
	at   time.Time
}

func newFetcher(c *linkback.Client, lim Limits, m *metrics) *fetcher {
	return &fetcher{
		client: c, ttl: lim.SourceCache, maxSize: lim.SourceCacheBytes, redirects: lim.Redirects,
		slots: make(chan struct{}, lim.Fetches), metrics: m, cache: map[string]*fetched{},
	}
}

// get returns the outcome of fetching rawURL (following up to Redirects
// redirects), fresh or from the last SourceCache. A fetch is never cut
// short by the request that started it: the others sharing it still want
// the answer.
func (f *fetcher) get(ctx context.Context, rawURL string) (*linkback.Page, error) {
	key := rawURL
	now := time.Now()
	f.mu.Lock()
	if e, ok := f.cache[key]; ok && now.Sub(e.at) < f.ttl {
		f.mu.Unlock()
		f.metrics.fetches.WithLabelValues("cached").Inc()
		return e.page, e.err
	}
	f.mu.Unlock()

	ch := f.group.DoChan(key, func() (any, error) {
		fctx := context.WithoutCancel(ctx)
		select {
		case f.slots <- struct{}{}:
		case <-ctx.Done():
			// Nobody waits for this answer any more; do not cache the refusal.
			return nil, ctx.Err()
		}
		defer func() { <-f.slots }()
		start := time.Now()
		page, err := f.client.Fetch(fctx, rawURL, linkback.FetchOptions{MaxRedirects: f.redirects})
		f.metrics.fetchSeconds.Observe(time.Since(start).Seconds())
		f.metrics.fetches.WithLabelValues(fetchOutcome(page, err)).Inc()
		f.store(key, &fetched{page: page, err: err, at: time.Now()})
		return &fetched{page: page, err: err}, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		e := res.Val.(*fetched)
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
	now := time.Now()
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
