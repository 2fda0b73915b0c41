package receiver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/hugo-pingback/hugo-pingback/linkback"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/mention"
)

// Options configures a Server. Store, BaseURLs and PublicURL are required;
// every other zero value means the default documented on the field.
type Options struct {
	// Store keeps requests and mentions; a request is committed to it
	// before any 202 is answered.
	Store mention.Store
	// Client fetches sources (and, for LiveTargets, targets). Nil means
	// linkback.NewClient with the private-address guard on.
	Client *linkback.Client
	// BaseURLs are the sites whose pages take mentions: a target must start
	// with one of them (scheme, host and port, then path) before anything
	// is fetched.
	BaseURLs []string
	// Targets tells which pages exist and their text. Nil means a
	// LiveTargets through Client.
	Targets Targets
	// Policy decides where a verified mention starts in moderation; the
	// zero Policy moderates "unknown" (a host's first mention waits). Its
	// Deny rules (linkurl host patterns) also refuse a source before any
	// fetch: Pingback fault 49, Webmention 400.
	Policy mention.Policy
	// ScraperThreshold is the share of the target's text a source may copy
	// before it is spam; 0 means verify.DefaultScraperThreshold, a negative
	// value turns the check off.
	ScraperThreshold float64
	// PublicURL is where senders reach this server, e.g.
	// "https://mentions.example.net/": Webmention status URLs start with it.
	PublicURL string
	// AdminToken guards the admin API and page; empty turns both off (404).
	AdminToken string
	// TrustProxy takes the client IP from the last X-Forwarded-For entry
	// (the one the proxy in front appended) instead of the TCP peer. Only
	// for a server that nothing but the proxy can reach.
	TrustProxy bool
	// OnApproveURL is POSTed (through Client) when mentions are approved,
	// at most once per OnApproveInterval (0 means 5 minutes): a site
	// rebuild hook.
	OnApproveURL      string
	OnApproveInterval time.Duration
	// Logger receives the server's log; nil is quiet.
	Logger *slog.Logger
	// Registry receives the metrics; nil means a new registry, served at
	// /metrics either way.
	Registry *prometheus.Registry
	// Now is the clock of the records; nil means time.Now.
	Now func() time.Time
	// Limits are the abuse limits.
	Limits Limits
}

// Limits bound what the world can make the server do. The zero value
// means the defaults on each field.
type Limits struct {
	// PerIP and PerIPBurst: requests per second from one client IP (default
	// 2, burst 30). rate.Inf turns the limit off.
	PerIP      rate.Limit
	PerIPBurst int
	// PerSource and PerSourceBurst: requests per second naming sources on
	// one host (default 1, burst 20).
	PerSource      rate.Limit
	PerSourceBurst int
	// SourceCache is how long one fetch of a source answers the requests
	// naming it that arrived before it started (default 1 minute).
	SourceCache time.Duration
	// SourceRefetch is how long it answers those that arrived after it
	// too (default 1 minute, at most SourceCache): a flood naming one
	// victim fetches it once per SourceRefetch, and a Webmention re-sent
	// later than that (an update) is checked against the source as it is
	// then.
	SourceRefetch time.Duration
	// SourceCacheBytes bounds the bodies kept for that (default 32 MiB).
	SourceCacheBytes int64
	// Fetches is how many fetches run at once, all sources together (default 8).
	Fetches int
	// Workers verify queued Webmentions (default 4).
	Workers int
	// Queue is how many Webmentions may wait for verification (default
	// 10,000); past it the answer is 429.
	Queue int
	// Attempts is how often a source failing for a passing reason (timeout,
	// 5xx) is tried before the request is refused (default 6), the first
	// retry after RetryBase (default 1 minute), then doubling.
	Attempts  int
	RetryBase time.Duration
	// Redirects is how many redirects a source fetch follows (default 5);
	// a Pingback or Trackback source that redirected is refused all the
	// same, as WordPress refuses it.
	Redirects int
	// Body caps a request body (default 64 KiB).
	Body int64
	// PingVerify bounds the verification of a Pingback or Trackback, which
	// runs while the sender waits and goes on if it hangs up (default 30 s):
	// the source fetch (the Client's timeout), the wait for a fetch slot,
	// the target's text and the commit.
	PingVerify time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.PerIP == 0 {
		l.PerIP = 2
	}
	if l.PerIPBurst <= 0 {
		l.PerIPBurst = 30
	}
	if l.PerSource == 0 {
		l.PerSource = 1
	}
	if l.PerSourceBurst <= 0 {
		l.PerSourceBurst = 20
	}
	if l.SourceCache <= 0 {
		l.SourceCache = time.Minute
	}
	if l.SourceRefetch <= 0 {
		l.SourceRefetch = time.Minute
	}
	if l.SourceCacheBytes <= 0 {
		l.SourceCacheBytes = 32 << 20
	}
	if l.Fetches <= 0 {
		l.Fetches = 8
	}
	if l.Workers <= 0 {
		l.Workers = 4
	}
	if l.Queue <= 0 {
		l.Queue = 10000
	}
	if l.Attempts <= 0 {
		l.Attempts = 6
	}
	if l.RetryBase <= 0 {
		l.RetryBase = time.Minute
	}
	if l.Redirects <= 0 {
		l.Redirects = linkback.DefaultMaxRedirects
	}
	if l.Body <= 0 {
		l.Body = linkback.MaxCallBytes
	}
	if l.PingVerify <= 0 {
		l.PingVerify = 30 * time.Second
	}
	return l
}

// Server is the receiver. Build it with New, mount Handler, and run the
// verification workers with Run (or everything with Serve).
type Server struct {
	opts   Options
	lim    Limits
	store  mention.Store
	client *linkback.Client
	sites  []*url.URL
	// siteKeys are the linkurl.Key of sites, which ownSite compares with.
	siteKeys []string
	public   *url.URL
	targets  Targets
	log      *slog.Logger
	now      func() time.Time

	fetch   *fetcher
	perIP   *keyedLimiter
	perHost *keyedLimiter
	queue   *queue
	blocked *blockList
	metrics *metrics
	hook    *hook
	admin   *admin
	mux     *http.ServeMux
	handler http.Handler

	// verifyDone, when set (tests), is called after each queued
	// verification settled.
	verifyDone func(mention.Request)
}

// Errors New returns for options it cannot run with.
var (
	ErrNoStore   = errors.New("receiver: no Store")
	ErrNoSite    = errors.New("receiver: no base URL to take mentions for")
	ErrNoPublic  = errors.New("receiver: no public URL")
	ErrBadOption = errors.New("receiver: bad option")
)

// New checks opts and returns a Server. It starts nothing: Run does.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, ErrNoStore
	}
	if len(opts.BaseURLs) == 0 {
		return nil, ErrNoSite
	}
	s := &Server{opts: opts, lim: opts.Limits.withDefaults(), store: opts.Store}
	for _, b := range opts.BaseURLs {
		u := linkurl.Parse(b)
		if u == nil || u.User != nil {
			return nil, fmt.Errorf("base URL %q: not an absolute http(s) URL: %w", b, ErrBadOption)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		s.sites, s.siteKeys = append(s.sites, u), append(s.siteKeys, linkurl.Key(u))
	}
	if opts.PublicURL == "" {
		return nil, ErrNoPublic
	}
	if s.public = linkurl.Parse(opts.PublicURL); s.public == nil {
		return nil, fmt.Errorf("public URL %q: not an absolute http(s) URL: %w", opts.PublicURL, ErrBadOption)
	}
	s.public.RawQuery = ""
	s.public.Path = strings.TrimSuffix(s.public.Path, "/")
	if opts.OnApproveURL != "" && linkurl.Parse(opts.OnApproveURL) == nil {
		return nil, fmt.Errorf("on-approve URL %q: not an absolute http(s) URL: %w", opts.OnApproveURL, ErrBadOption)
	}
	if opts.ScraperThreshold > 1 {
		return nil, fmt.Errorf("scraper threshold %v: want a share between 0 and 1: %w", opts.ScraperThreshold, ErrBadOption)
	}
	if err := opts.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("moderation policy: %w: %w", ErrBadOption, err)
	}
	s.client = opts.Client
	if s.client == nil {
		s.client = linkback.NewClient(linkback.ClientOptions{})
	}
	s.log = opts.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.now = opts.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.targets = opts.Targets
	if s.targets == nil {
		s.targets = NewLiveTargets(s.client, LiveOptions{})
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var err error
	if s.metrics, err = newMetrics(reg); err != nil {
		return nil, fmt.Errorf("receiver: register metrics: %w", err)
	}
	s.fetch = newFetcher(s.client, s.lim, s.metrics, s.now)
	s.perIP = newKeyedLimiter(s.lim.PerIP, s.lim.PerIPBurst)
	s.perHost = newKeyedLimiter(s.lim.PerSource, s.lim.PerSourceBurst)
	s.queue = newQueue(s.lim.Queue, s.metrics.queueDepth)
	s.blocked = &blockList{store: s.store, ttl: 30 * time.Second}
	s.hook = newHook(s.client, opts.OnApproveURL, opts.OnApproveInterval, s.log)
	s.hook.m = s.metrics
	if opts.AdminToken != "" {
		s.admin = newAdmin(s, opts.AdminToken)
	}
	s.routes(reg)
	return s, nil
}

// routes builds the mux: the stable paths the README documents.
func (s *Server) routes(reg *prometheus.Registry) {
	mux := http.NewServeMux()
	mux.Handle("POST /xmlrpc", s.instrument("xmlrpc", http.HandlerFunc(s.serveXMLRPC)))
	mux.Handle("POST /webmention", s.instrument("webmention", http.HandlerFunc(s.serveWebmention)))
	mux.Handle("GET /webmention/{id}", s.instrument("status", http.HandlerFunc(s.serveStatus)))
	mux.Handle("POST /trackback/{path...}", s.instrument("trackback", http.HandlerFunc(s.serveTrackback)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if s.admin != nil {
		s.admin.routes(mux)
	}
	s.mux = mux
	s.handler = mux
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Run starts the verification workers, first loading the requests still
// queued in the store, and returns when ctx ends and the workers have
// stopped. A verification cut short by the end of ctx is not settled: its
// request stays queued in the store for the next start.
func (s *Server) Run(ctx context.Context) error {
	queued, err := s.store.Queued(ctx)
	if err != nil {
		return fmt.Errorf("load the verification queue: %w", err)
	}
	for _, r := range queued {
		s.queue.add(r, true)
	}
	if len(queued) > 0 {
		s.log.Info("reloaded the verification queue", "requests", len(queued))
	}
	var wg sync.WaitGroup
	settled := make(chan settling, s.lim.Workers)
	for range s.lim.Workers {
		wg.Go(func() { s.work(ctx, settled) })
	}
	wg.Go(func() { s.settler(ctx, settled) })
	wg.Go(func() { s.hook.run(ctx) })
	wg.Wait()
	return nil
}

// Serve answers HTTP on ln and runs the workers until ctx ends, then shuts
// down gracefully: the listener closes, requests in flight finish (for at
// most grace), queued work stays committed in the store.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	workCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	workers := make(chan error, 1)
	go func() { workers <- s.Run(workCtx) }()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served:
		stopWork()
		<-workers
		return fmt.Errorf("serve: %w", err)
	case err := <-workers:
		_ = hs.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests in flight")
	shCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(shCtx)
	stopWork()
	if werr := <-workers; err == nil {
		err = werr
	}
	return err
}

// ownSite reports whether target is under one of the configured base URLs.
func (s *Server) ownSite(target *url.URL) bool {
	k := linkurl.Key(target)
	for _, site := range s.siteKeys {
		if strings.HasPrefix(k, site) {
			return true
		}
	}
	return false
}

// statusURL is the public status URL of a Webmention request.
func (s *Server) statusURL(id string) string {
	u := *s.public
	u.Path = u.Path + "/webmention/" + url.PathEscape(id)
	u.RawPath = ""
	return u.String()
}
