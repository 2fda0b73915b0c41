package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/verify"
)

// Errors a Targets answers with, wrapped with the target's URL.
var (
	// ErrUnknownTarget: the target is not a page of the site (Pingback
	// fault 32, Webmention 400).
	ErrUnknownTarget = errors.New("target is not a page of this site")
	// ErrClosedTarget: the page opted out of receiving (front matter
	// pingbackReceive: false; Pingback fault 33, Webmention 400).
	ErrClosedTarget = errors.New("target page does not take mentions")
	// ErrTargetBusy: the live check is over its rate; try later (429).
	ErrTargetBusy = errors.New("too many target checks at the moment")
)

// Targets knows the pages that take mentions. Server checks a target's host
// against its base URLs before asking, so a Targets is never asked about
// another site. Implementations are safe for concurrent use.
type Targets interface {
	// Check returns nil when target is a page that takes mentions, else an
	// error matching ErrUnknownTarget, ErrClosedTarget or ErrTargetBusy (or
	// another, for a failure of its own).
	Check(ctx context.Context, target *url.URL) error
	// Text returns the readable text of the page (verify.Text), for
	// scraper detection.
	Text(ctx context.Context, target *url.URL) (string, error)
}

// SiteTargets knows the pages of a built site: every HTML file under the
// publish dirs (site.Walk gives each file with its URL), with the opt-outs
// from the pages file `hugo-pingback build` writes. A new build is picked
// up without a restart: the index is rebuilt when the pages file or a
// publish dir changed, when a known page's file is gone, or on a miss at
// most every RescanEvery.
type SiteTargets struct {
	roots       []config.Root
	pagesFile   string
	environment string
	rescanEvery time.Duration

	mu       sync.Mutex
	index    map[string]sitePage // linkurl.Key -> page
	stamp    string              // mtimes of the pages file and the roots
	scanned  time.Time
	lastStat time.Time
}

type sitePage struct {
	url       string
	path      string
	noReceive bool
}

// SiteOptions configures NewSiteTargets.
type SiteOptions struct {
	// PagesFile is the page data of `hugo-pingback build` (site.PagesPath
	// beside the ledger); "" or a missing file means the files alone, with
	// no opt-outs known.
	PagesFile string
	// Environment is the Hugo environment the pages file must be for
	// (default "production").
	Environment string
	// RescanEvery bounds how often a miss rescans the publish dirs (default 10 s).
	RescanEvery time.Duration
}

// NewSiteTargets returns the Targets of the built site under roots, and
// reads it once: an unreadable publish dir is an error naming it.
func NewSiteTargets(roots []config.Root, opts SiteOptions) (*SiteTargets, error) {
	if opts.Environment == "" {
		opts.Environment = "production"
	}
	if opts.RescanEvery <= 0 {
		opts.RescanEvery = 10 * time.Second
	}
	t := &SiteTargets{roots: roots, pagesFile: opts.PagesFile, environment: opts.Environment, rescanEvery: opts.RescanEvery}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

// Len returns how many pages the index knows.
func (t *SiteTargets) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.index)
}

// load rebuilds the index; t.mu is held.
func (t *SiteTargets) load() error {
	index := map[string]sitePage{}
	err := site.WalkRoots(t.roots, func(f site.File) error {
		if site.SkipReason(f.Rel) != "" {
			return nil
		}
		if u := linkurl.Parse(f.URL); u != nil {
			index[linkurl.Key(u)] = sitePage{url: f.URL, path: f.Path}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the site's pages: %w", err)
	}
	if t.pagesFile != "" {
		pages, err := site.LoadPages(t.pagesFile, site.BuildOf(t.roots, t.environment))
		if err != nil {
			return err
		}
		for _, p := range pages {
			u := linkurl.Parse(p.URL)
			if u == nil {
				continue
			}
			k := linkurl.Key(u)
			sp, ok := index[k]
			if !ok {
				continue // in the pages file, not in the files: not published
			}
			sp.noReceive = p.NoReceive
			index[k] = sp
		}
	}
	t.index, t.stamp, t.scanned = index, t.currentStamp(), time.Now()
	return nil
}

// currentStamp sums up what a new build changes: the pages file's and the
// publish dirs' modification times.
func (t *SiteTargets) currentStamp() string {
	s := ""
	paths := []string{t.pagesFile}
	for _, r := range t.roots {
		paths = append(paths, r.Dir)
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil {
			s += fi.ModTime().String() + "|"
		} else {
			s += "-|"
		}
	}
	return s
}

// lookup finds the page of target, reloading the index when a build
// changed it; t.mu is held. The query is not part of it: a static host
// serves a page's file whatever the query, and links carry queries
// (?utm_source=… from a newsletter or a feed reader) that senders keep in
// the target, as WordPress does.
func (t *SiteTargets) lookup(target *url.URL) (sitePage, bool, error) {
	if target.RawQuery != "" || target.ForceQuery {
		page := *target
		page.RawQuery, page.ForceQuery = "", false
		target = &page
	}
	now := time.Now()
	if now.Sub(t.lastStat) > time.Second {
		t.lastStat = now
		if t.currentStamp() != t.stamp {
			if err := t.load(); err != nil {
				return sitePage{}, false, err
			}
		}
	}
	p, ok := t.index[linkurl.Key(target)]
	if ok {
		if _, err := os.Stat(p.path); err == nil {
			return p, true, nil
		}
	}
	if now.Sub(t.scanned) < t.rescanEvery {
		return sitePage{}, false, nil
	}
	if err := t.load(); err != nil {
		return sitePage{}, false, err
	}
	p, ok = t.index[linkurl.Key(target)]
	return p, ok, nil
}

// Check implements Targets.
func (t *SiteTargets) Check(_ context.Context, target *url.URL) error {
	t.mu.Lock()
	p, ok, err := t.lookup(target)
	t.mu.Unlock()
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("%s: %w", target, ErrUnknownTarget)
	case p.noReceive:
		return fmt.Errorf("%s: %w", target, ErrClosedTarget)
	}
	return nil
}

// Text implements Targets: the text of the page's built file.
func (t *SiteTargets) Text(_ context.Context, target *url.URL) (string, error) {
	t.mu.Lock()
	p, ok, err := t.lookup(target)
	t.mu.Unlock()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s: %w", target, ErrUnknownTarget)
	}
	f, err := os.Open(p.path)
	if err != nil {
		return "", fmt.Errorf("read target page %s: %w", filepath.Base(p.path), err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, linkback.MaxPageBytes))
	if err != nil {
		return "", fmt.Errorf("read target page %s: %w", p.path, err)
	}
	return verify.Text(doc, target), nil
}

// LiveTargets knows the pages of a site it has no files of: a target exists
// when a GET of it (guarded client, no redirects) answers 200. Answers are
// cached, and the GETs are rate limited, so that checking targets cannot be
// turned into a flood of the site itself.
type LiveTargets struct {
	client  *linkback.Client
	ttl     time.Duration
	limiter *rate.Limiter
	max     int

	mu    sync.Mutex
	cache map[string]liveEntry
}

type liveEntry struct {
	err  error
	text string
	at   time.Time
}

// LiveOptions configures NewLiveTargets.
type LiveOptions struct {
	// PerMinute is how many GETs of targets may be made a minute (default 60).
	PerMinute int
	// TTL is how long an answer is kept (default 10 minutes; a missing page
	// is asked about again after a minute).
	TTL time.Duration
	// Entries bounds the cache (default 1,000 pages).
	Entries int
}

// NewLiveTargets returns a Targets that GETs the live target through c.
func NewLiveTargets(c *linkback.Client, opts LiveOptions) *LiveTargets {
	if opts.PerMinute <= 0 {
		opts.PerMinute = 60
	}
	if opts.TTL <= 0 {
		opts.TTL = 10 * time.Minute
	}
	if opts.Entries <= 0 {
		opts.Entries = 1000
	}
	return &LiveTargets{
		client: c, ttl: opts.TTL, max: opts.Entries,
		limiter: rate.NewLimiter(rate.Limit(float64(opts.PerMinute)/60), max(1, opts.PerMinute/6)),
		cache:   map[string]liveEntry{},
	}
}

// Check implements Targets.
func (t *LiveTargets) Check(ctx context.Context, target *url.URL) error {
	e, err := t.get(ctx, target)
	if err != nil {
		return err
	}
	return e.err
}

// Text implements Targets.
func (t *LiveTargets) Text(ctx context.Context, target *url.URL) (string, error) {
	e, err := t.get(ctx, target)
	if err != nil {
		return "", err
	}
	return e.text, e.err
}

func (t *LiveTargets) get(ctx context.Context, target *url.URL) (liveEntry, error) {
	// The page, without the query string (as SiteTargets looks pages up):
	// else ?1, ?2, … of one page would each cost a GET of the budget.
	bare := *target
	bare.RawQuery, bare.ForceQuery = "", false
	target = &bare
	key := linkurl.Key(target)
	now := time.Now()
	t.mu.Lock()
	e, ok := t.cache[key]
	t.mu.Unlock()
	if ok && (now.Sub(e.at) < time.Minute || e.err == nil && now.Sub(e.at) < t.ttl) {
		return e, nil
	}
	if !t.limiter.Allow() {
		return liveEntry{}, fmt.Errorf("%s: %w", target, ErrTargetBusy)
	}
	page, err := t.client.Fetch(ctx, target.String(), linkback.FetchOptions{})
	switch {
	case err != nil:
		// Our own site failing is not the sender's fault: not cached, and
		// not called unknown.
		return liveEntry{}, fmt.Errorf("check target %s: %w", target, err)
	case page.StatusCode == http.StatusOK:
		e = liveEntry{text: verify.Text(page.Text(), page.URL), at: now}
	case page.StatusCode >= 500 || page.StatusCode == http.StatusTooManyRequests:
		return liveEntry{}, fmt.Errorf("check target %s: HTTP %d", target, page.StatusCode)
	default:
		e = liveEntry{err: fmt.Errorf("%s: HTTP %d: %w", target, page.StatusCode, ErrUnknownTarget), at: now}
	}
	t.mu.Lock()
	if len(t.cache) >= t.max {
		for k, old := range t.cache { // drop the expired, else any one
			if now.Sub(old.at) >= t.ttl || len(t.cache) >= t.max {
				delete(t.cache, k)
			}
			if len(t.cache) < t.max*3/4 {
				break
			}
		}
	}
	t.cache[key] = e
	t.mu.Unlock()
	return e, nil
}
