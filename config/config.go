// Package config holds the one Config that every hugo-pingback command runs
// with, and its documented defaults.
//
// A Config is filled in three layers: the zero value means "all defaults",
// the Hugo site's own configuration ([params.pingback] and friends, read by
// package hugosite) is applied on top, and command-line flags last. Package
// config never reads files or flags itself.
package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Defaults for the zero value of each Config field.
const (
	DefaultConcurrency  = 8
	DefaultTimeout      = 10 * time.Second
	DefaultHostInterval = 1 * time.Second
	DefaultMaxTime      = 5 * time.Minute
	DefaultLedger       = ".hugo-pingback/ledger.db"
	DefaultPublishDir   = "public"
	// DefaultFloodLimit is how many pages may send on a run with no ledger yet
	// before send stops and asks for --baseline, --all or a date limit.
	DefaultFloodLimit = 100
)

// DefaultProtocols is the order in which a target's advertised protocols are
// tried: each target gets one notification, in the first it speaks.
var DefaultProtocols = []string{"webmention", "pingback"}

// DefaultSkipRels are the rel tokens that keep a link from being notified.
var DefaultSkipRels = []string{"nofollow", "ugc", "sponsored"}

// DefaultSkipClasses are the classes that keep a link from being notified.
var DefaultSkipClasses = []string{"no-pingback"}

// Root is one published site: a directory of built files and the URL it is
// served at. A multilingual Hugo site with multihost has one Root per language.
type Root struct {
	Dir     string // built files, e.g. "public" or "public/fr"
	BaseURL string // absolute URL the directory is served at, with a trailing slash
	Lang    string // language code, empty for a single-language site
}

// Config is everything a command needs. The zero value is valid and means the
// defaults documented on each field.
type Config struct {
	// SiteDir is the Hugo site (or any directory); default ".".
	SiteDir string
	// PublishDir is the built site; default SiteDir/public.
	PublishDir string
	// BaseURL is the live URL of PublishDir.
	BaseURL string
	// Roots, when set (multilingual multihost sites), replaces PublishDir/BaseURL.
	Roots []Root
	// Environment is the Hugo environment the config was read for ("production").
	Environment string

	// Ledger is the bbolt file; default SiteDir/.hugo-pingback/ledger.db.
	Ledger string

	// Content is a CSS selector for a page's content; empty means the default
	// chain (.h-entry .e-content, .e-content, article, main, body without chrome).
	Content string
	// SkipRels and SkipClasses keep links from being notified; nil means the defaults.
	SkipRels    []string
	SkipClasses []string
	// Exclude lists URL globs (path.Match on the URL without scheme, e.g.
	// "twitter.com/*") of targets never notified.
	Exclude []string

	// NoSelfPing skips links to the site's own origin and to SelfHosts.
	NoSelfPing bool
	SelfHosts  []string

	// Protocols is the ordered list of protocols tried; nil means DefaultProtocols.
	Protocols []string

	AllowPrivate bool          // lift the private-address guard
	Concurrency  int           // hosts served at once; 0 means DefaultConcurrency
	Timeout      time.Duration // per request; 0 means DefaultTimeout
	HostInterval time.Duration // between POSTs to one host; 0 means DefaultHostInterval, negative means none (kept negative, so WithDefaults is idempotent)
	MaxTime      time.Duration // whole run; 0 means DefaultMaxTime
	NoVerifyLive bool          // do not check the live source page before notifying

	// FloodLimit is how many pages may send on a first run; 0 means DefaultFloodLimit.
	FloodLimit int
	// Since limits sending to pages published at or after it (zero: no limit).
	Since time.Time
	// MaxAge limits sending to pages published within it (zero: no limit).
	MaxAge time.Duration

	// Receiver is the hosted pingback endpoint advertised by inject.
	Receiver string
	// Webmention is the Webmention endpoint advertised by inject, if any.
	Webmention string
	// Headers makes inject write a _headers file too.
	Headers bool
	// NoReceive lists page files by absolute path (or, on a single-root
	// site, by slash path relative to the root)
	// that get no link tags (front matter pingbackReceive: false).
	NoReceive map[string]bool

	// SiteTitle names the blog (Trackback blog_name, update services).
	SiteTitle string
	// FeedURL is the site's main feed, for update services and WebSub.
	FeedURL string
	// PingServices are weblogUpdates XML-RPC endpoints called when pages changed.
	PingServices []string
	// WebSubHub overrides the hub advertised in the feed.
	WebSubHub string
	// Tombstones makes send write 410 lines to _redirects for deleted pages.
	Tombstones bool
}

// WithDefaults returns a copy of c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.SiteDir == "" {
		c.SiteDir = "."
	}
	if c.PublishDir == "" {
		c.PublishDir = filepath.Join(c.SiteDir, DefaultPublishDir)
	}
	if c.Ledger == "" {
		c.Ledger = filepath.Join(c.SiteDir, filepath.FromSlash(DefaultLedger))
	}
	if c.SkipRels == nil {
		c.SkipRels = DefaultSkipRels
	}
	if c.SkipClasses == nil {
		c.SkipClasses = DefaultSkipClasses
	}
	if len(c.Protocols) == 0 {
		c.Protocols = DefaultProtocols
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.HostInterval == 0 {
		c.HostInterval = DefaultHostInterval
	}
	if c.MaxTime <= 0 {
		c.MaxTime = DefaultMaxTime
	}
	if c.FloodLimit <= 0 {
		c.FloodLimit = DefaultFloodLimit
	}
	if c.BaseURL != "" && !strings.HasSuffix(c.BaseURL, "/") {
		c.BaseURL += "/"
	}
	return c
}

// SiteRoots returns the published roots: Roots when set, else PublishDir at BaseURL.
func (c Config) SiteRoots() []Root {
	if len(c.Roots) > 0 {
		return c.Roots
	}
	return []Root{{Dir: c.PublishDir, BaseURL: c.BaseURL}}
}

// Validate checks what no default can fix; the error names the setting.
func (c Config) Validate() error {
	for _, r := range c.SiteRoots() {
		if r.BaseURL == "" {
			continue
		}
		if err := checkHTTPURL(r.BaseURL); err != nil {
			return fmt.Errorf("base URL %q: %w", r.BaseURL, err)
		}
	}
	for _, p := range c.Protocols {
		switch p {
		case "webmention", "pingback", "trackback":
		default:
			return fmt.Errorf("protocols: unknown protocol %q (want webmention, pingback or trackback)", p)
		}
	}
	if c.Receiver != "" {
		if err := checkHTTPURL(c.Receiver); err != nil {
			return fmt.Errorf("receiver %q: %w", c.Receiver, err)
		}
	}
	if c.Webmention != "" {
		if err := checkHTTPURL(c.Webmention); err != nil {
			return fmt.Errorf("webmention %q: %w", c.Webmention, err)
		}
	}
	return nil
}

// checkHTTPURL accepts only absolute http(s) URLs with a host and no userinfo.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must be an absolute http(s) URL")
	}
	if u.Host == "" {
		return fmt.Errorf("has no host")
	}
	if u.User != nil {
		return fmt.Errorf("must not carry a user or password")
	}
	return nil
}
