package hugosite

import (
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/gohugoio/hugo/common/hmaps"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// paramsKey is where a site keeps hugo-pingback's settings: [params.pingback].
const paramsKey = "pingback"

// Apply fills cfg from the site for the command cmd: BaseURL, PublishDir
// (absolute), Roots for a multihost site, Environment, SiteTitle, FeedURL,
// and the keys the site sets under [params.pingback] that cmd takes (see
// config.ApplyParams). Fields the site does not configure are left alone,
// so flags can be applied after. Unknown keys come back (see
// config.UnknownKey); an invalid value is a *config.ParamError.
func (s *Site) Apply(cfg *config.Config, cmd config.Scope) (unknown []config.UnknownKey, err error) {
	base := s.configs.Base
	first := s.configs.GetFirstLanguageConfig()
	baseURL := withSlash(first.BaseURL().String())

	cfg.SiteDir = s.dir
	cfg.BaseURL = baseURL
	cfg.PublishDir = s.absPath(base.PublishDir)
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

	raw, ok := base.Params[paramsKey]
	if !ok {
		return nil, nil
	}
	params, ok := plainMap(raw)
	if !ok {
		return nil, &config.ParamError{Value: raw, Err: config.ErrNotTable}
	}
	return config.ApplyParams(cfg, params, cmd)
}

// plainMap turns Hugo's params tables (hmaps.Params, nested) into plain maps.
func plainMap(v any) (map[string]any, bool) {
	var m map[string]any
	switch t := v.(type) {
	case hmaps.Params:
		m = t
	case map[string]any:
		m = t
	default:
		return nil, false
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if sub, ok := plainMap(e); ok {
			e = sub
		}
		out[k] = e
	}
	return out, true
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
