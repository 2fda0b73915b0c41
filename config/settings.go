package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/renderer"
)

// Scope is a set of commands. A setting's scope says which commands take
// it: a key outside a command's scope is neither read nor checked by that
// command, so a send-only setting can never fail a build.
type Scope uint16

// The commands that take settings.
const (
	Build Scope = 1 << iota
	Inject
	Send
	Status
	Serve
	Mentions
	Ledger // the ledger command (export, import, compact)

	// Sites is every command that reads a built site.
	Sites = Build | Inject | Send | Status
	// All is every command.
	All = Sites | Serve | Mentions | Ledger
)

var scopeNames = []struct {
	s    Scope
	name string
}{{Build, "build"}, {Inject, "inject"}, {Send, "send"}, {Status, "status"}, {Serve, "serve"}, {Mentions, "mentions"}, {Ledger, "ledger"}}

// String names the commands of a scope: "build, inject".
func (s Scope) String() string {
	var names []string
	for _, n := range scopeNames {
		if s&n.s != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// kind is how a setting's value is written and parsed. Flags and
// [params.pingback] go through the same parser, so they can never read the
// same text differently.
type kind int

const (
	kString   kind = iota
	kPath          // a file or directory, relative to the site directory
	kURL           // an absolute http(s) URL
	kBool          // true or false
	kInt           // a whole number
	kFloat         // a number
	kDuration      // "10s", "1h30m", "30d", "2w", or a number of seconds
	kDate          // "2026-01-31", "2026-01-31 12:00", RFC 3339
	kList          // repeatable flag or list; one string may hold several, comma-separated
	kURLs          // a list of absolute http(s) URLs
)

// arg is the placeholder --help shows for a value of the kind.
func (k kind) arg() string {
	return [...]string{"TEXT", "PATH", "URL", "", "N", "N", "DURATION", "DATE", "LIST", "URL"}[k]
}

// Setting is one setting: where it is written (its [params.pingback] key,
// its flag), which commands take it, its help, its default, how its value
// is parsed and checked, and the Config field it fills. The table of all of
// them, Settings, is the one definition every command's flags, the Hugo
// config, --help and the README are derived from.
type Setting struct {
	// Key is the key under [params.pingback] as documented (Hugo itself
	// ignores case); a dot names a nested table: "receive.allow" is
	// [params.pingback.receive] allow. "" for a flag-only setting.
	Key string
	// Flag is the command-line flag, without dashes; "" for a config-only
	// setting. Aliases are further names of the same flag (Hugo's -b, -D).
	Flag    string
	Aliases []string
	// Negate makes the flag the opposite of the key: --no-self-ping sets
	// selfPing = false. The Config field always has the key's sense.
	Negate bool
	// Scope is the commands the key and the flag apply to; FlagScope, when
	// not zero, narrows where the flag is offered (another name may carry
	// the same field elsewhere, as serve's --public-url carries server).
	Scope, FlagScope Scope
	// Arg is the placeholder of the value in --help; empty means the kind's.
	Arg string
	// Help is one sentence for --help and the README, in the key's sense;
	// FlagHelp, when set, is the flag's (a negated flag says what it turns off).
	Help, FlagHelp string
	// Default is the default in the form a user writes it, parsed like any
	// value: what --help shows is what applies. "" means the zero value, or
	// a default derived from other settings, which Help then describes.
	Default string

	kind  kind
	field func(*Config) any     // a pointer to the Config field
	check func(v any) error     // further checks of a parsed value
	also  func(c *Config) error // run after the field is set (keeps derived fields in step)
}

// Settings is the table of every setting, in the order --help lists them.
var Settings = []*Setting{
	// Where the site is.
	{Flag: "site", Scope: All, kind: kPath, Arg: "DIR", Default: ".",
		Help:  "the Hugo site (its config is read when there is one); relative paths of other settings are relative to it",
		field: func(c *Config) any { return &c.SiteDir }},
	{Flag: "source", Aliases: []string{"s"}, Scope: Build, kind: kPath, Arg: "DIR",
		Help:  "the Hugo site, as hugo --source: the same as --site",
		field: func(c *Config) any { return &c.SiteDir }},
	{Flag: "public", Scope: Inject | Send | Serve, kind: kPath, Arg: "DIR",
		Help:  "the built site (default: the site's publishDir, else SITE/public)",
		field: func(c *Config) any { return &c.PublishDir }, also: clearRoots},
	{Flag: "base-url", Scope: Inject | Send | Status, kind: kURL, check: checkBaseURL,
		Help:  "the live URL of the built site (default: the site's baseURL)",
		field: func(c *Config) any { return &c.BaseURL }, also: singleRoot},
	{Flag: "baseURL", Aliases: []string{"b", "base-url"}, Scope: Build, kind: kURL, check: checkBaseURL,
		Help:  "the site's baseURL for this build, as hugo --baseURL",
		field: func(c *Config) any { return &c.BaseURL }},
	{Flag: "environment", Aliases: []string{"e"}, Scope: Sites | Serve, kind: kString, Arg: "ENV",
		Help:  "the Hugo environment whose config is read (default production, or $HUGO_ENVIRONMENT)",
		field: func(c *Config) any { return &c.Environment }},
	{Key: "ledger", Flag: "ledger", Scope: Sites | Serve | Ledger, kind: kPath, Arg: "FILE", Default: DefaultLedger,
		Help:  "the ledger of what was sent (a bbolt file); the pages file of the last build lives beside it",
		field: func(c *Config) any { return &c.Ledger }},

	// Advertising a receiver (build, inject).
	{Key: "server", Flag: "server", Scope: Build | Inject | Serve | Mentions, FlagScope: Build | Inject | Mentions, kind: kURL,
		Help:  "the public URL of your hugo-pingback serve: receiver and webmention default to SERVER/xmlrpc and SERVER/webmention, mentions commands talk to it",
		field: func(c *Config) any { return &c.Server }},
	{Flag: "public-url", Scope: Serve, kind: kURL,
		Help:  "the receiver's own public URL, as senders reach it (default params.pingback.server; used in Location headers)",
		field: func(c *Config) any { return &c.Server }},
	{Key: "receiver", Flag: "receiver", Scope: Build | Inject, kind: kURL,
		Help:  "the pingback (XML-RPC) endpoint advertised in every page as <link rel=\"pingback\"> (default SERVER/xmlrpc)",
		field: func(c *Config) any { return &c.Receiver }},
	{Key: "webmention", Flag: "webmention", Scope: Build | Inject, kind: kURL,
		Help:  "the Webmention endpoint advertised as <link rel=\"webmention\"> (default SERVER/webmention)",
		field: func(c *Config) any { return &c.Webmention }},
	{Key: "headers", Flag: "headers", Scope: Build | Inject, kind: kBool,
		Help:  "also write X-Pingback and Link headers to _headers (Netlify, Cloudflare Pages)",
		field: func(c *Config) any { return &c.Headers }},
	{Key: "tombstones", Flag: "tombstones", Scope: Build | Inject, kind: kBool,
		Help:  "write 410 Gone rules to _redirects for pages the ledger knows were deleted (Netlify), before the deploy",
		field: func(c *Config) any { return &c.Tombstones }},

	// Receiving (serve; the mentions commands share the store and the policy).
	{Key: "receive.listen", Flag: "listen", Scope: Serve, kind: kString, Arg: "ADDR", Default: "127.0.0.1:8080",
		Help:  "the address serve listens on, host:port (keep it on loopback behind a proxy)",
		field: func(c *Config) any { return &c.Receive.Listen }},
	{Key: "receive.data", Flag: "data", Scope: Serve | Mentions, kind: kPath, Arg: "FILE", Default: DefaultData,
		Help:  "the mention store, a bbolt file of its own (not the ledger)",
		field: func(c *Config) any { return &c.Receive.Data }},
	{Key: "receive.sites", Flag: "base-url", Scope: Serve, kind: kURLs, check: checkBaseURLs,
		Help:  "the sites whose pages take mentions (repeatable; default the site's base URLs)",
		field: func(c *Config) any { return &c.Receive.Sites }},
	{Key: "receive.moderate", Flag: "moderate", Scope: Serve, kind: kString, Arg: "MODE", Default: "unknown", check: oneOf(ModerationModes...),
		Help:  "which verified mentions wait for a moderator: all, unknown (those from hosts with no approved mention yet) or none",
		field: func(c *Config) any { return &c.Receive.Moderate }},
	{Key: "receive.allow", Flag: "allow", Scope: Serve, kind: kList, Arg: "PATTERN", check: checkPatterns,
		Help:  "source hosts whose mentions are approved without moderation (repeatable; host globs such as '*.friend.example')",
		field: func(c *Config) any { return &c.Receive.Allow }},
	{Key: "receive.deny", Flag: "deny", Scope: Serve, kind: kList, Arg: "PATTERN", check: checkPatterns,
		Help:  "source hosts whose mentions are refused before any fetch (repeatable; host globs such as '*.spam.example')",
		field: func(c *Config) any { return &c.Receive.Deny }},
	{Key: "receive.adminTokenFile", Flag: "admin-token-file", Scope: Serve, kind: kPath, Arg: "FILE",
		Help:  "the file holding the admin token of /api/ and /admin/ (without it both are off)",
		field: func(c *Config) any { return &c.Receive.AdminTokenFile }},
	{Key: "receive.scraperThreshold", Flag: "scraper-threshold", Scope: Serve, kind: kFloat, Arg: "SHARE", check: share,
		Help:  "share of the target page's own text a source may copy before it is marked spam as a scraper (default 0.6, the threshold measured on the shared corpus)",
		field: func(c *Config) any { return &c.Receive.ScraperThreshold }},
	{Key: "receive.onApproveURL", Flag: "on-approve-url", Scope: Serve, kind: kURL,
		Help:  "a URL POSTed when mentions are approved (a Netlify build hook), at most once per on-approve interval",
		field: func(c *Config) any { return &c.Receive.OnApproveURL }},
	{Key: "receive.onApproveInterval", Flag: "on-approve-interval", Scope: Serve, kind: kDuration, Default: "5m", check: positive,
		Help:  "least time between two POSTs of the on-approve URL",
		field: func(c *Config) any { return &c.Receive.OnApproveInterval }},
	{Key: "receive.trustProxy", Flag: "trust-proxy", Scope: Serve, kind: kBool,
		Help:  "take the client address from the last X-Forwarded-For entry (only behind a proxy that nothing else can bypass)",
		field: func(c *Config) any { return &c.Receive.TrustProxy }},

	// Which links send (build records them, send reads them).
	{Key: "content", Flag: "content", Scope: Send, kind: kString, Arg: "SELECTOR", check: checkSelector,
		Help:  "CSS selector of a page's content (default: .h-entry .e-content, .e-content, article, main, else body without nav/header/footer/aside)",
		field: func(c *Config) any { return &c.Content }},
	{Key: "skipRels", Flag: "skip-rel", Scope: Build | Send, kind: kList, Arg: "REL", Default: "nofollow,ugc,sponsored",
		Help:  "links with any of these rel tokens are not notified (repeatable; an empty list opts nothing out)",
		field: func(c *Config) any { return &c.SkipRels }},
	{Key: "skipClasses", Flag: "skip-class", Scope: Build | Send, kind: kList, Arg: "CLASS", Default: "no-pingback",
		Help:  "links with any of these classes are not notified (repeatable)",
		field: func(c *Config) any { return &c.SkipClasses }},
	{Key: "exclude", Flag: "exclude", Scope: Send, kind: kList, Arg: "PATTERN", check: checkPatterns,
		Help:  "never notify targets matching a pattern: host glob and path prefix, e.g. '*.facebook.com' or 'example.com/private' (repeatable; see the README)",
		field: func(c *Config) any { return &c.Exclude }},
	{Key: "selfPing", Flag: "no-self-ping", Negate: true, Scope: Send, kind: kBool, Default: "true",
		Help:     "notify links to the site's own pages too, as WordPress does (false skips links to the base URL's scheme, host and port, and to the self hosts)",
		FlagHelp: "skip links to the site's own origin (scheme, host and port of the base URL) and the self hosts",
		field:    func(c *Config) any { return &c.SelfPing }},
	{Key: "selfHosts", Flag: "self-host", Scope: Send, kind: kList, Arg: "HOST",
		Help:  "more hosts that count as this site when self-pings are skipped (repeatable)",
		field: func(c *Config) any { return &c.SelfHosts }},
	{Key: "protocols", Flag: "protocols", Scope: Send, kind: kList, Arg: "PROTOCOL", Default: "webmention,pingback", check: checkProtocols,
		Help:  "protocols tried per target, in order; each target gets one notification (add trackback to opt in)",
		field: func(c *Config) any { return &c.Protocols }},

	// Delivery (send).
	{Key: "allowPrivate", Flag: "allow-private", Scope: Send | Serve | Mentions, kind: kBool,
		Help:  "allow requests to loopback and private addresses (tests, intranets)",
		field: func(c *Config) any { return &c.AllowPrivate }},
	{Key: "verifyLive", Flag: "no-verify-live", Negate: true, Scope: Send, kind: kBool, Default: "true",
		Help:     "check that the live source page answers 200 and links to the target before notifying; a page not live yet waits for the next run",
		FlagHelp: "do not check the live source page before notifying",
		field:    func(c *Config) any { return &c.VerifyLive }},
	{Key: "concurrency", Flag: "concurrency", Scope: Send, kind: kInt, Default: "8", check: atLeast(1),
		Help:  "how many hosts are served at once",
		field: func(c *Config) any { return &c.Concurrency }},
	{Key: "timeout", Flag: "timeout", Scope: Send | Serve | Mentions, kind: kDuration, Default: "10s", check: positive,
		Help:  "per-request timeout",
		field: func(c *Config) any { return &c.Timeout }},
	{Key: "hostInterval", Flag: "host-interval", Scope: Send, kind: kDuration, Default: "1s",
		Help:  "least time between two notifications to one host (0: no spacing)",
		field: func(c *Config) any { return &c.HostInterval }},
	{Key: "maxTime", Flag: "max-time", Scope: Send, kind: kDuration, Default: "5m", check: positive,
		Help:  "budget of the whole delivery; what is left waits for the next run",
		field: func(c *Config) any { return &c.MaxTime }},
	{Key: "floodLimit", Flag: "flood-limit", Scope: Send, kind: kInt, Default: "100", check: atLeast(1),
		Help:  "pages a run may notify (or re-send to, or delete) before it stops and asks for --all",
		field: func(c *Config) any { return &c.FloodLimit }},
	{Key: "floodNotifications", Flag: "flood-notifications", Scope: Send, kind: kInt, Default: "1000", check: atLeast(1),
		Help:  "notifications a run may send (new links, Webmention updates and deletes, over all pages) before it stops and asks for --all",
		field: func(c *Config) any { return &c.FloodNotifications }},
	{Key: "since", Flag: "since", Scope: Send, kind: kDate,
		Help:  "send only for pages published on or after this date; older pages' links are recorded as handled (needs page dates from the Hugo site)",
		field: func(c *Config) any { return &c.Since }},
	{Key: "maxAge", Flag: "max-age", Scope: Send, kind: kDuration, Arg: "AGE",
		Help:  "send only for pages published within this age (30d, 2w, 36h)",
		field: func(c *Config) any { return &c.MaxAge }},
	{Key: "firstRunMaxAge", Flag: "first-run-max-age", Scope: Send, kind: kDuration, Arg: "AGE", Default: "14d",
		Help:  "on a first run (no run recorded in the ledger, say a lost CI cache), pages published longer ago than this are recorded as handled and only newer ones send; needs page dates from the Hugo site (0: off)",
		field: func(c *Config) any { return &c.FirstRunMaxAge }},
	{Key: "pingServices", Flag: "ping-service", Scope: Send, kind: kURLs,
		Help:  "weblogUpdates XML-RPC endpoints pinged when pages changed (repeatable)",
		field: func(c *Config) any { return &c.PingServices }},
	{Key: "websubHub", Flag: "websub-hub", Scope: Send, kind: kURL,
		Help:  "WebSub hub told of changed feeds (default: the hub the feed names)",
		field: func(c *Config) any { return &c.WebSubHub }},
	{Key: "ledgerExport", Flag: "ledger-export", Scope: Send, kind: kPath, Arg: "FILE",
		Help:  "a JSON Lines export of the ledger, kept current after each send and imported when there is no ledger yet: commit it to the repository instead of caching the ledger",
		field: func(c *Config) any { return &c.LedgerExport }},
}

// ParamError is an invalid value under [params.pingback].
type ParamError struct {
	Key   string // the key as documented, e.g. "timeout"; "" for [params.pingback] itself
	Value any    // the value found
	Err   error  // what is wrong with it
}

func (e *ParamError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("params.pingback = %#v: %v", e.Value, e.Err)
	}
	return fmt.Sprintf("params.pingback.%s = %s: %v", e.Key, shown(e.Value), e.Err)
}

func shown(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", v)
}

// ErrParam is wrapped by every *ParamError, for errors.Is.
var ErrParam = errors.New("bad [params.pingback] setting")

// Unwrap lets errors.Is find ErrParam and the cause.
func (e *ParamError) Unwrap() []error { return []error{ErrParam, e.Err} }

// Default returns the Config every command starts from: each setting at
// its documented default.
func Default() Config {
	var c Config
	for _, s := range Settings {
		if s.Default == "" || s.Key == "" && s.Flag == "" {
			continue
		}
		v, err := s.parse(s.Default)
		if err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", s.Name(), err)) // a bug in the table
		}
		if err := s.set(&c, v, false, false); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", s.Name(), err))
		}
	}
	return c
}

// Name is how messages name the setting: its key, else its flag.
func (s *Setting) Name() string {
	if s.Key != "" {
		return s.Key
	}
	return "--" + s.Flag
}

// IsBool reports whether the setting is a switch (its flag takes no value).
func (s *Setting) IsBool() bool { return s.kind == kBool }

// ParseFlag is Parse for a value given on the command line, where an
// empty path is a mistake (--site "$UNSET"), not the current directory.
func (s *Setting) ParseFlag(text string) (any, error) {
	if s.kind == kPath && strings.TrimSpace(text) == "" {
		return nil, errors.New("an empty path (an unset variable?); give a directory or file, . for the current directory")
	}
	return s.Parse(text)
}

// IsList reports whether the flag may be repeated.
func (s *Setting) IsList() bool { return s.kind == kList || s.kind == kURLs }

// Placeholder is the value's name in --help ("URL", "DURATION").
func (s *Setting) Placeholder() string {
	if s.Arg != "" {
		return s.Arg
	}
	return s.kind.arg()
}

// FlagIn reports whether the setting's flag is offered by a command.
func (s *Setting) FlagIn(cmd Scope) bool {
	fs := s.FlagScope
	if fs == 0 {
		fs = s.Scope
	}
	return s.Flag != "" && fs&cmd != 0
}

// Parse reads a value as a flag gives it and checks it.
func (s *Setting) Parse(text string) (any, error) {
	v, err := s.parse(text)
	if err != nil {
		return nil, err
	}
	if s.check != nil {
		if err := s.check(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// SetFlag applies the text of one occurrence of the setting's flag to c.
// A list flag given again (again is true) adds to what its earlier
// occurrences set; the first replaces what the config said.
func (s *Setting) SetFlag(c *Config, text string, again bool) error {
	v, err := s.Parse(text)
	if err != nil {
		return err
	}
	return s.set(c, v, s.Negate, again)
}

// set stores a parsed value in c's field; negate inverts a switch (the
// sense of a --no-... flag).
func (s *Setting) set(c *Config, v any, negate, appendList bool) error {
	switch p := s.field(c).(type) {
	case *string:
		*p = v.(string)
	case *bool:
		*p = v.(bool) != negate
	case *int:
		*p = v.(int)
	case *float64:
		*p = v.(float64)
	case *time.Duration:
		*p = v.(time.Duration)
	case *time.Time:
		*p = v.(time.Time)
	case *[]string:
		if appendList {
			*p = append(*p, v.([]string)...)
		} else {
			*p = append([]string{}, v.([]string)...)
		}
	default:
		panic(fmt.Sprintf("config: setting %s has a field of type %T", s.Name(), p))
	}
	if s.also != nil {
		return s.also(c)
	}
	return nil
}

// parse reads the text form of a value, as a flag or a string in the
// config gives it.
func (s *Setting) parse(text string) (any, error) {
	text = strings.TrimSpace(text)
	switch s.kind {
	case kString, kPath:
		return text, nil
	case kURL:
		if text == "" {
			return "", nil
		}
		if err := checkHTTPURL(text); err != nil {
			return nil, err
		}
		return text, nil
	case kBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, errors.New("want true or false")
		}
		return b, nil
	case kInt:
		n, err := strconv.Atoi(text)
		if err != nil {
			return nil, errors.New("want a whole number")
		}
		return n, nil
	case kFloat:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, errors.New("want a number")
		}
		return f, nil
	case kDuration:
		return ParseDuration(text)
	case kDate:
		return ParseDate(text)
	case kList, kURLs:
		var out []string
		for _, f := range strings.Split(text, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		if s.kind == kURLs {
			for _, u := range out {
				if err := checkHTTPURL(u); err != nil {
					return nil, fmt.Errorf("%q: %w", u, err)
				}
			}
		}
		return out, nil
	}
	panic("config: unknown kind")
}

// fromParam reads a value as the Hugo config gives it: TOML, YAML, JSON and
// HUGO_PARAMS_* variables give different Go types for one setting. Strings
// go through the very parser flags use.
func (s *Setting) fromParam(v any) (any, error) {
	if str, ok := v.(string); ok {
		return s.Parse(str)
	}
	var x any
	switch s.kind {
	case kBool:
		b, ok := v.(bool)
		if !ok {
			return nil, errors.New("want true or false")
		}
		x = b
	case kInt:
		n, ok := wholeNumber(v)
		if !ok {
			return nil, errors.New("want a whole number")
		}
		x = n
	case kFloat:
		f, ok := number(v)
		if !ok {
			return nil, errors.New("want a number")
		}
		x = f
	case kDuration:
		// A bare number in the config is seconds, as "90" is in a string.
		f, ok := number(v)
		if !ok {
			return nil, errDuration
		}
		d, err := durationOf(f, time.Second)
		if err != nil {
			return nil, err
		}
		x = d
	case kDate:
		switch t := v.(type) {
		case time.Time:
			x = t
		case fmt.Stringer: // the TOML parser's local dates and times
			return s.Parse(t.String())
		default:
			return nil, errDate
		}
	case kList, kURLs:
		var parts []string
		switch l := v.(type) {
		case []string:
			parts = l
		case []any:
			for _, e := range l {
				es, ok := e.(string)
				if !ok {
					return nil, errors.New("want a list of strings")
				}
				parts = append(parts, es)
			}
		default:
			return nil, errors.New("want a list of strings")
		}
		// Each element is read as a flag occurrence would be.
		out := []string{}
		for _, p := range parts {
			x, err := s.parse(p)
			if err != nil {
				return nil, err
			}
			out = append(out, x.([]string)...)
		}
		x = out
	default:
		return nil, errors.New("want a string")
	}
	if s.check != nil {
		if err := s.check(x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func wholeNumber(v any) (int, bool) {
	f, ok := number(v)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

var (
	errDuration = errors.New(`want a duration such as "10s", "1h30m", "30d" or "2w"`)
	errDate     = errors.New(`want a date such as "2026-01-31", "2026-01-31 12:00" or "2026-01-31T12:00:00Z"`)
)

// ParseDuration reads a Go duration ("90s", "1h30m"), days or weeks ("30d",
// "2w", "1.5d"), or a plain number of seconds. Negative durations are
// refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			if f, err := strconv.ParseFloat(n, 64); err == nil {
				return durationOf(f, unit)
			}
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return durationOf(f, time.Second)
	}
	return 0, errDuration
}

// maxDuration is the longest duration taken: a century, far past any
// budget or age, and far from where time.Duration wraps (292 years).
const maxDuration = 100 * 365 * 24 * time.Hour

// durationOf is f units, refused when negative, not a number, or over
// maxDuration (a float of seconds past 292 years would wrap negative).
func durationOf(f float64, unit time.Duration) (time.Duration, error) {
	if math.IsNaN(f) || f < 0 {
		return 0, errDuration
	}
	if f*float64(unit) > float64(maxDuration) {
		return 0, fmt.Errorf("%w, at most 100 years", errDuration)
	}
	return time.Duration(f * float64(unit)), nil
}

// ParseDate reads a day (2026-01-31, midnight UTC), a day and time
// (2026-01-31 12:00 or 2026-01-31T12:00:00, UTC) or an RFC 3339 time.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errDate
}

// Checks of parsed values.

func atLeast(n int) func(any) error {
	return func(v any) error {
		if v.(int) < n {
			return fmt.Errorf("must be at least %d", n)
		}
		return nil
	}
}

func positive(v any) error {
	if v.(time.Duration) <= 0 {
		return errors.New("must be positive")
	}
	return nil
}

func checkSelector(v any) error {
	if s := v.(string); s != "" {
		return renderer.CompileSelector(s)
	}
	return nil
}

func checkPatterns(v any) error {
	_, err := linkurl.CompilePatterns(v.([]string))
	return err
}

func checkProtocols(v any) error {
	if len(v.([]string)) == 0 {
		return errors.New("want at least one protocol")
	}
	for _, p := range v.([]string) {
		switch p {
		case "webmention", "pingback", "trackback":
		default:
			return fmt.Errorf("unknown protocol %q (want webmention, pingback or trackback)", p)
		}
	}
	return nil
}

// checkBaseURL refuses what cannot prefix a page's path: a query or a
// fragment would end up inside every source URL.
func checkBaseURL(v any) error {
	s := v.(string)
	if s == "" {
		return nil
	}
	u, _ := url.Parse(s)
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return errors.New("a base URL cannot have a query or a fragment")
	}
	return nil
}

func checkBaseURLs(v any) error {
	for _, u := range v.([]string) {
		if err := checkBaseURL(u); err != nil {
			return fmt.Errorf("%q: %w", u, err)
		}
	}
	return nil
}

func oneOf(choices ...string) func(any) error {
	return func(v any) error {
		for _, c := range choices {
			if v.(string) == c {
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(choices, ", "))
	}
}

func share(v any) error {
	if f := v.(float64); f <= 0 || f > 1 {
		return errors.New("want a share between 0 (exclusive) and 1")
	}
	return nil
}

// clearRoots makes an explicit publish dir the only root.
func clearRoots(c *Config) error { c.Roots = nil; return nil }

// singleRoot refuses a base URL for a multihost site, whose languages each
// have their own.
func singleRoot(c *Config) error {
	if len(c.Roots) > 0 {
		return fmt.Errorf("cannot be used with a multihost site (%d languages with their own base URLs)", len(c.Roots))
	}
	return nil
}

// Lookup returns the setting with a [params.pingback] key, compared
// without case as Hugo does.
func Lookup(key string) *Setting {
	for _, s := range Settings {
		if s.Key != "" && strings.EqualFold(s.Key, key) {
			return s
		}
	}
	return nil
}

// Keys returns every [params.pingback] key, sorted.
func Keys() []string {
	var keys []string
	for _, s := range Settings {
		if s.Key != "" {
			keys = append(keys, s.Key)
		}
	}
	sort.Strings(keys)
	return keys
}
