// Package config holds the one Config that every hugo-pingback command runs
// with, and the table of settings it is made from.
//
// Every setting is defined once, in Settings: its [params.pingback] key, its
// flag, the commands that take it, its help, its default, and the parser and
// checks of its value. A command's Config is filled in three layers: Default
// (each setting's documented default), then the Hugo site's own
// configuration (ApplyParams, with the [params.pingback] table that package
// hugosite reads), then the command line (Setting.SetFlag, replayed in the
// order given). The flags, the keys, --help and the README's list of keys
// are all derived from the table, so a flag and its key cannot parse the
// same text differently.
//
// Package config never reads files, flags or the environment itself.
package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/renderer"
)

// Defaults that other packages name.
const (
	DefaultLedger     = ".hugo-pingback/ledger.db"
	DefaultData       = ".hugo-pingback/mentions.db"
	DefaultPublishDir = "public"
)

func withSlash(u string) string {
	if u != "" && !strings.HasSuffix(u, "/") {
		return u + "/"
	}
	return u
}

// Root is one published site: a directory of built files and the URL it is
// served at. A multilingual Hugo site with multihost has one Root per language.
type Root struct {
	Dir     string // built files, e.g. "public" or "public/fr"
	BaseURL string // absolute URL the directory is served at, with a trailing slash
	Lang    string // language code, empty for a single-language site
}

// Config is everything a command needs. Start from Default(): the zero
// value is not a useful configuration (no concurrency, no timeout).
// Paths may be relative to SiteDir until Resolved makes them absolute.
type Config struct {
	// SiteDir is the Hugo site (or any directory); default ".".
	SiteDir string
	// PublishDir is the built site; default the site's publishDir, else SiteDir/public.
	PublishDir string
	// BaseURL is the live URL of PublishDir.
	BaseURL string
	// Roots, when set (multilingual multihost sites), replaces PublishDir/BaseURL.
	Roots []Root
	// Environment is the Hugo environment the config was read for ("production").
	Environment string

	// Ledger is the bbolt file of what was sent.
	Ledger string

	// Content is a CSS selector for a page's content; empty means the default
	// chain (.h-entry .e-content, .e-content, article, main, body without chrome).
	Content string
	// SkipRels and SkipClasses keep links from being notified.
	SkipRels    []string
	SkipClasses []string
	// Exclude lists URL patterns (linkurl.Pattern) of targets never notified.
	Exclude []string

	// SelfPing notifies links to the site's own origin and to SelfHosts too
	// (WordPress does); false skips them.
	SelfPing  bool
	SelfHosts []string

	// Protocols is the ordered list of protocols tried for each target.
	Protocols []string

	AllowPrivate bool          // lift the private-address guard
	Concurrency  int           // hosts served at once
	Timeout      time.Duration // per request
	HostInterval time.Duration // between POSTs to one host; 0 means none
	MaxTime      time.Duration // budget of a run's delivery
	VerifyLive   bool          // check the live source page before notifying

	// FloodLimit is how many pages may send (or re-send, or be deleted) in
	// one run before it stops and asks for --all.
	FloodLimit int
	// FloodNotifications is how many notifications (new, updates, deletes)
	// one run may send before it stops and asks for --all: one page with
	// thousands of links is a flood too.
	FloodNotifications int
	// Since limits sending to pages published at or after it (zero: no limit).
	Since time.Time
	// MaxAge limits sending to pages published within it (zero: no limit).
	MaxAge time.Duration
	// FirstRunMaxAge, on a first run (no run recorded in the ledger) with
	// page dates, records the links of pages published longer ago than it
	// as handled, so a lost ledger never floods (zero: off).
	FirstRunMaxAge time.Duration
	// LedgerExport is a JSON Lines export of the ledger that send keeps
	// current, and imports when there is no ledger yet ("" : none).
	LedgerExport string

	// Server is the public URL of the project's receiver (hugo-pingback
	// serve): Receiver and Webmention default to its endpoints.
	Server string
	// Receiver is the pingback endpoint advertised by inject.
	Receiver string
	// Webmention is the Webmention endpoint advertised by inject, if any.
	Webmention string
	// Headers makes inject write a _headers file too.
	Headers bool
	// Tombstones makes inject (and build) write 410 rules to _redirects for
	// deleted pages.
	Tombstones bool
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

	// Receive configures the receiver (hugo-pingback serve) and the
	// mentions commands: [params.pingback.receive].
	Receive Receive
}

// Receive is the receiver's part of the Config.
type Receive struct {
	// Listen is the address serve listens on.
	Listen string
	// Data is the mention store (a bbolt file of its own).
	Data string
	// Sites are the base URLs whose pages mentions are accepted for;
	// empty means the site's own base URLs.
	Sites []string
	// Moderate is "all", "unknown" or "none": which new mentions wait for a
	// moderator (unknown: those from hosts with no approved mention yet).
	Moderate string
	// Allow and Deny are host patterns (linkurl.Pattern) whose mentions are
	// approved, or refused as spam, without moderation.
	Allow, Deny []string
	// AdminTokenFile holds the bearer token of the admin API and page.
	AdminTokenFile string
	// ScraperThreshold is the share of the target page's own text a source
	// may copy before it is marked spam as a scraper.
	ScraperThreshold float64
	// OnApproveURL is POSTed (a Netlify build hook or similar) when
	// mentions are approved, at most once per OnApproveInterval.
	OnApproveURL      string
	OnApproveInterval time.Duration
	// TrustProxy takes the client address from X-Forwarded-For, for a
	// receiver behind a proxy (Caddy, nginx) on the same host.
	TrustProxy bool
}

// Moderation modes of Receive.Moderate.
var ModerationModes = []string{"all", "unknown", "none"}

// Resolved returns a copy of c with what derives from other settings
// filled in: paths made absolute against SiteDir (PublishDir defaulting to
// SiteDir/public), BaseURL with its trailing slash, and the receiver's
// endpoints from Server. It is idempotent.
func (c Config) Resolved() Config {
	if c.SiteDir == "" {
		c.SiteDir = "."
	}
	if c.PublishDir == "" {
		c.PublishDir = DefaultPublishDir
	}
	if c.Ledger == "" {
		c.Ledger = DefaultLedger
	}
	if c.Receive.Data == "" {
		c.Receive.Data = DefaultData
	}
	c.PublishDir = c.Path(c.PublishDir)
	c.Ledger = c.Path(c.Ledger)
	c.LedgerExport = c.Path(c.LedgerExport)
	c.Receive.Data = c.Path(c.Receive.Data)
	if len(c.Receive.Sites) == 0 {
		for _, r := range c.SiteRoots() {
			if r.BaseURL != "" {
				c.Receive.Sites = append(c.Receive.Sites, withSlash(r.BaseURL))
			}
		}
	}
	for i := range c.Roots {
		c.Roots[i].Dir = c.Path(c.Roots[i].Dir)
	}
	c.BaseURL = withSlash(c.BaseURL)
	if c.Server != "" {
		server := strings.TrimSuffix(c.Server, "/")
		if c.Receiver == "" {
			c.Receiver = server + "/xmlrpc"
		}
		if c.Webmention == "" {
			c.Webmention = server + "/webmention"
		}
	}
	return c
}

// Path makes p absolute against the site directory, as every relative path
// of a setting is (flags included: --public public means SITE/public).
func (c Config) Path(p string) string {
	if p == "" {
		return ""
	}
	site := c.SiteDir
	if site == "" {
		site = "."
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(site, filepath.FromSlash(p))
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// LinkRules returns the rules a page's links are read with: the content
// selector and the rel and class opt-outs.
func (c Config) LinkRules() *renderer.Options {
	return &renderer.Options{Content: c.Content, SkipRels: c.SkipRels, SkipClasses: c.SkipClasses}
}

// SiteRoots returns the published roots: Roots when set, else PublishDir at BaseURL.
func (c Config) SiteRoots() []Root {
	if len(c.Roots) > 0 {
		return c.Roots
	}
	return []Root{{Dir: c.PublishDir, BaseURL: c.BaseURL}}
}

// Validate checks the settings together; each value was already checked
// alone when it was parsed. The error names the setting.
func (c Config) Validate() error {
	switch {
	case c.Concurrency < 1:
		return fmt.Errorf("concurrency must be at least 1, got %d", c.Concurrency)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout must be positive, got %s", c.Timeout)
	case c.MaxTime <= 0:
		return fmt.Errorf("maxTime must be positive, got %s", c.MaxTime)
	case c.FloodLimit < 1:
		return fmt.Errorf("floodLimit must be at least 1, got %d", c.FloodLimit)
	case c.FloodNotifications < 1:
		return fmt.Errorf("floodNotifications must be at least 1, got %d", c.FloodNotifications)
	case c.HostInterval < 0:
		return fmt.Errorf("hostInterval must not be negative, got %s", c.HostInterval)
	}
	for _, r := range c.SiteRoots() {
		if r.BaseURL == "" {
			continue
		}
		if err := checkHTTPURL(r.BaseURL); err != nil {
			return fmt.Errorf("base URL %q: %w", r.BaseURL, err)
		}
		if err := checkBaseURL(r.BaseURL); err != nil {
			return fmt.Errorf("base URL %q: %w", r.BaseURL, err)
		}
	}
	if err := checkProtocols(c.Protocols); err != nil {
		return fmt.Errorf("protocols: %w", err)
	}
	if err := checkPatterns(c.Exclude); err != nil {
		return fmt.Errorf("exclude: %w", err)
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
