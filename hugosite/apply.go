package hugosite

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gohugoio/hugo/common/hmaps"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// ParamsKey is where a site keeps hugo-pingback's settings: [params.pingback].
const ParamsKey = "pingback"

// ErrParam is wrapped by every *ParamError, for errors.Is.
var ErrParam = errors.New("bad [params.pingback] setting")

// ParamError is an invalid value under [params.pingback].
type ParamError struct {
	Key   string // the key as documented, e.g. "timeout"; "" for [params.pingback] itself
	Value any    // the value found
	Err   error  // what is wrong with it
}

func (e *ParamError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("params.%s = %#v: %v", ParamsKey, e.Value, e.Err)
	}
	return fmt.Sprintf("params.%s.%s = %#v: %v", ParamsKey, e.Key, e.Value, e.Err)
}

// Unwrap lets errors.Is find ErrParam and the cause.
func (e *ParamError) Unwrap() []error { return []error{ErrParam, e.Err} }

// Apply fills cfg from the site: BaseURL, PublishDir (absolute), Roots for a
// multihost site, Environment, SiteTitle, FeedURL, and every key the site
// sets under [params.pingback] (see the README for the list). Fields the
// site does not configure are left alone, so flags can be applied after.
// Unknown keys are logged as warnings; invalid values are a *ParamError.
func (s *Site) Apply(cfg *config.Config) error {
	base := s.configs.Base
	first := s.configs.GetFirstLanguageConfig()
	baseURL := withSlash(first.BaseURL().String())
	publishDir := s.absPath(base.PublishDir)

	cfg.BaseURL = baseURL
	cfg.PublishDir = publishDir
	if roots := s.roots(); roots != nil {
		cfg.Roots = roots
	}
	cfg.Environment = s.env
	if base.Title != "" {
		cfg.SiteTitle = base.Title
	}
	if feed := s.feedURL(baseURL); feed != "" {
		cfg.FeedURL = feed
	}

	raw, ok := base.Params[ParamsKey]
	if !ok {
		return nil
	}
	params, ok := raw.(hmaps.Params)
	if !ok {
		if m, isMap := raw.(map[string]any); isMap {
			params = hmaps.Params(m)
		} else {
			return &ParamError{Key: "", Value: raw, Err: errors.New("want a table of settings")}
		}
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set, known := paramSetters[strings.ToLower(k)]
		if !known {
			s.log.Warn("unknown setting ignored", "key", "params."+ParamsKey+"."+k)
			continue
		}
		if err := set(s, cfg, params[k]); err != nil {
			return &ParamError{Key: set.name(k), Value: params[k], Err: err}
		}
	}
	return nil
}

// paramSetter applies one [params.pingback] key to a Config.
type paramSetter func(s *Site, cfg *config.Config, v any) error

// name returns the documented spelling of a key (Hugo lower-cases them).
func (paramSetter) name(k string) string {
	if n, ok := paramNames[strings.ToLower(k)]; ok {
		return n
	}
	return k
}

// paramNames are the documented, camel-cased keys.
var paramNames = map[string]string{}

// paramSetters maps Hugo's lower-cased keys to their setters.
var paramSetters = map[string]paramSetter{}

func init() {
	str := func(f func(*config.Config, string)) paramSetter {
		return func(_ *Site, c *config.Config, v any) error {
			s, err := toString(v)
			if err == nil {
				f(c, s)
			}
			return err
		}
	}
	list := func(f func(*config.Config, []string)) paramSetter {
		return func(_ *Site, c *config.Config, v any) error {
			l, err := toStrings(v)
			if err == nil {
				f(c, l)
			}
			return err
		}
	}
	boolean := func(f func(*config.Config, bool)) paramSetter {
		return func(_ *Site, c *config.Config, v any) error {
			b, err := toBool(v)
			if err == nil {
				f(c, b)
			}
			return err
		}
	}
	duration := func(f func(*config.Config, time.Duration)) paramSetter {
		return func(_ *Site, c *config.Config, v any) error {
			d, err := toDuration(v)
			if err == nil {
				f(c, d)
			}
			return err
		}
	}
	integer := func(f func(*config.Config, int)) paramSetter {
		return func(_ *Site, c *config.Config, v any) error {
			n, err := toInt(v)
			if err == nil && n < 0 {
				err = errors.New("must not be negative")
			}
			if err == nil {
				f(c, n)
			}
			return err
		}
	}
	add := func(name string, set paramSetter) {
		paramNames[strings.ToLower(name)] = name
		paramSetters[strings.ToLower(name)] = set
	}

	add("receiver", str(func(c *config.Config, v string) { c.Receiver = v }))
	add("webmention", str(func(c *config.Config, v string) { c.Webmention = v }))
	add("headers", boolean(func(c *config.Config, v bool) { c.Headers = v }))
	add("selfPing", boolean(func(c *config.Config, v bool) { c.NoSelfPing = !v }))
	add("selfHosts", list(func(c *config.Config, v []string) { c.SelfHosts = v }))
	add("content", str(func(c *config.Config, v string) { c.Content = v }))
	add("ledger", func(s *Site, c *config.Config, v any) error {
		p, err := toString(v)
		if err == nil {
			if p == "" {
				return errors.New("must not be empty")
			}
			// Relative to the site, like every path in a Hugo config.
			c.Ledger = s.absPath(p)
		}
		return err
	})
	add("protocols", list(func(c *config.Config, v []string) { c.Protocols = v }))
	add("exclude", list(func(c *config.Config, v []string) { c.Exclude = v }))
	add("skipRels", list(func(c *config.Config, v []string) { c.SkipRels = v }))
	add("skipClasses", list(func(c *config.Config, v []string) { c.SkipClasses = v }))
	add("allowPrivate", boolean(func(c *config.Config, v bool) { c.AllowPrivate = v }))
	add("verifyLive", boolean(func(c *config.Config, v bool) { c.NoVerifyLive = !v }))
	add("concurrency", integer(func(c *config.Config, v int) { c.Concurrency = v }))
	add("floodLimit", integer(func(c *config.Config, v int) { c.FloodLimit = v }))
	add("timeout", duration(func(c *config.Config, v time.Duration) { c.Timeout = v }))
	add("hostInterval", duration(func(c *config.Config, v time.Duration) {
		if v == 0 {
			v = -1 // zero in the site config means "no interval", not "default"
		}
		c.HostInterval = v
	}))
	add("maxTime", duration(func(c *config.Config, v time.Duration) { c.MaxTime = v }))
	add("since", func(_ *Site, c *config.Config, v any) error {
		t, err := toTime(v)
		if err == nil {
			c.Since = t
		}
		return err
	})
	add("maxAge", duration(func(c *config.Config, v time.Duration) { c.MaxAge = v }))
	add("pingServices", list(func(c *config.Config, v []string) { c.PingServices = v }))
	add("websubHub", str(func(c *config.Config, v string) { c.WebSubHub = v }))
	add("tombstones", boolean(func(c *config.Config, v bool) { c.Tombstones = v }))
}

// roots returns one Root per language on a multihost site (each language is
// published into its own sub-directory of publishDir, at its own baseURL),
// nil otherwise: a single root, PublishDir at BaseURL, covers all languages.
func (s *Site) roots() []config.Root {
	if !s.configs.IsMultihost {
		return nil
	}
	publishDir := s.absPath(s.configs.Base.PublishDir)
	var roots []config.Root
	for _, l := range s.configs.Languages {
		roots = append(roots, config.Root{
			Dir:     filepath.Join(publishDir, l.Lang),
			BaseURL: withSlash(s.configs.GetByLang(l.Lang).BaseURL().String()),
			Lang:    l.Lang,
		})
	}
	return roots
}

// rootFor returns the root a language's pages are published under.
func (s *Site) rootFor(lang string) config.Root {
	for _, r := range s.roots() {
		if r.Lang == lang {
			return r
		}
	}
	return config.Root{
		Dir:     s.absPath(s.configs.Base.PublishDir),
		BaseURL: withSlash(s.configs.GetFirstLanguageConfig().BaseURL().String()),
	}
}

// feedURL returns the home page's RSS feed, if the home page has one.
func (s *Site) feedURL(baseURL string) string {
	base := s.configs.Base
	if !s.configs.GetFirstLanguageConfig().IsKindEnabled("rss") {
		return ""
	}
	outputs, ok := base.Outputs["home"]
	if !ok {
		outputs = []string{"html", "rss"} // Hugo's default for the home page
	}
	for _, o := range outputs {
		if !strings.EqualFold(o, "rss") {
			continue
		}
		f, ok := base.OutputFormats.Config.GetByName("rss")
		if !ok {
			return ""
		}
		return baseURL + f.BaseName + f.MediaType.FirstSuffix.FullSuffix
	}
	return ""
}

// absPath makes a config path absolute against the site directory.
func (s *Site) absPath(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(s.dir, p)
}

func withSlash(u string) string {
	if u != "" && !strings.HasSuffix(u, "/") {
		return u + "/"
	}
	return u
}

// PlaceholderBaseURL reports whether u is a base URL no live site has: empty,
// "/" or any URL without a host, a loopback or unspecified address
// (localhost, *.localhost, 127.0.0.0/8, ::1, 0.0.0.0), a name under the
// reserved .test or .invalid TLDs, or one of the bare example domains Hugo's
// and other tools' templates ship with (example.com, example.org, example.net,
// with or without "www."). Sub-domains such as blog.example.net are real
// names the user chose and are not placeholders.
func PlaceholderBaseURL(u string) bool {
	u = strings.TrimSpace(u)
	if u == "" || u == "/" {
		return true
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return true
	}
	host := strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
	if host == "" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	switch host {
	case "localhost", "example.com", "example.org", "example.net",
		"www.example.com", "www.example.org", "www.example.net":
		return true
	}
	for _, tld := range []string{".localhost", ".test", ".invalid"} {
		if strings.HasSuffix(host, tld) {
			return true
		}
	}
	return false
}

// Value conversions for [params.pingback]. TOML, YAML, JSON and HUGO_PARAMS_*
// variables give different Go types for the same setting.

func toString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), nil
	}
	return "", errors.New("want a string")
}

func toStrings(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		// A HUGO_PARAMS_PINGBACK_... variable: a comma-separated list.
		var out []string
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		return out, nil
	case []string:
		return append([]string(nil), v...), nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("want a list of strings")
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, nil
	}
	return nil, errors.New("want a list of strings")
}

func toBool(v any) (bool, error) {
	switch v := v.(type) {
	case bool:
		return v, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return false, errors.New("want true or false")
		}
		return b, nil
	}
	return false, errors.New("want true or false")
}

func toInt(v any) (int, error) {
	switch v := v.(type) {
	case int:
		return v, nil
	case int64:
		return int(v), nil
	case uint64:
		return int(v), nil
	case float64:
		if v == float64(int(v)) {
			return int(v), nil
		}
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err == nil {
			return n, nil
		}
	}
	return 0, errors.New("want a whole number")
}

// toDuration takes a Go duration ("10s", "1h30m") or a number of seconds.
func toDuration(v any) (time.Duration, error) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if d, err := time.ParseDuration(s); err == nil && d >= 0 {
			return d, nil
		}
		if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 {
			return time.Duration(n * float64(time.Second)), nil
		}
		return 0, errors.New(`want a duration such as "10s" or "1h30m"`)
	}
	switch n := v.(type) {
	case int, int64, uint64, float64:
		f, _ := strconv.ParseFloat(fmt.Sprint(n), 64)
		if f >= 0 {
			return time.Duration(f * float64(time.Second)), nil
		}
	}
	return 0, errors.New(`want a duration such as "10s" or "1h30m"`)
}

// toTime takes a TOML/YAML date or datetime, or an RFC 3339 or YYYY-MM-DD string.
func toTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case string, fmt.Stringer:
		// Strings, and the TOML parser's local dates (toml.LocalDate).
		s := strings.TrimSpace(fmt.Sprint(v))
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, errors.New(`want a date such as "2024-01-31" or "2024-01-31T12:00:00Z"`)
}
