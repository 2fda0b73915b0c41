package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// loaded is a site as a command sees it: the Config (defaults, the site's
// config, then the flags, resolved) and, when the Hugo site loaded, its page
// data.
type loaded struct {
	cfg  config.Config
	hugo bool // a Hugo config was read
	// pages is the Hugo site's page data: the pages file of the last build,
	// read as a stream, else the pages of the site loaded in-process.
	pages site.PageSource
	// unknown are the [params.pingback] keys no setting has.
	unknown []config.UnknownKey
	// site is the Config before the flags: what the site's config says.
	site config.Config
	// configFiles is set when Hugo could not load the site and its config
	// files were read as files instead (hugosite.ApplyConfigFiles).
	configFiles bool
}

// validate checks the Config the command runs with: see invalid.
func (ld *loaded) validate() error {
	return invalid(ld.cfg, ld.site)
}

// invalid is the error of a Config that fails Validate: a configuration
// error naming the site (exit 1) when the site's config is invalid by
// itself, else a usage error (exit 2), the flags being at fault.
func invalid(cfg, site config.Config) error {
	err := cfg.Validate()
	if err == nil {
		return nil
	}
	if site.Resolved().Validate() != nil {
		return fmt.Errorf("config of %s: %w", cfg.SiteDir, err)
	}
	return &usageError{err.Error()}
}

// mistypedKeys is the error for the unknown [params.pingback] keys that are
// close to a key the command reads: a misspelt exclusion or selfPing would
// otherwise be ignored by a send that cannot be taken back. Other unknown
// keys (a setting of a newer release, say) stay warnings.
func (ld *loaded) mistypedKeys(scope config.Scope) error {
	var msgs []string
	for _, u := range ld.unknown {
		if s := config.Lookup(u.Closest); s != nil && s.Scope&scope != 0 {
			msgs = append(msgs, fmt.Sprintf("params.pingback.%s is not a setting (did you mean %s?)", u.Key, u.Closest))
		}
	}
	if msgs == nil {
		return nil
	}
	return fmt.Errorf("config of %s: %s; fix the key, so that the setting it meant holds", ld.cfg.SiteDir, strings.Join(msgs, "; "))
}

// load builds the command's Config: the defaults, then the Hugo site's
// config when there is one (only the keys this command takes), then the
// flags. With wantPages it also takes the Hugo site's page data: from the
// pages file a recent `hugo-pingback build` wrote, else by loading the site
// in-process. A site the embedded Hugo cannot load is reported once; the
// command goes on with the built files alone.
func (c *command) load(ctx context.Context, noHugo, wantPages bool, log *slog.Logger) (*loaded, error) {
	// The site dir, environment and base URL shape how Hugo loads the site,
	// so they are read from the flags first.
	pre := config.Default()
	if err := c.apply(&pre); err != nil {
		return nil, err
	}
	// The site's own --base-url, which Hugo loads the site with; serve's
	// --base-url (receive.sites) names the sites it takes mentions for, and
	// is no baseURL of this site.
	var baseURL string
	if c.scope&config.Serve == 0 {
		baseURL, _ = c.value("base-url")
	}
	ld := &loaded{cfg: config.Default()}
	ld.cfg.SiteDir = pre.SiteDir
	var hs *hugosite.Site
	// --config and --configDir name the config the user wants: a site that
	// cannot be loaded with them is an error, not a reason to go on without.
	chosen := len(c.hugoFlags["config"]) > 0 || len(c.hugoFlags["configDir"]) > 0
	if chosen && noHugo {
		return nil, &usageError{"--no-hugo reads no Hugo config: leave out --config and --configDir"}
	}
	if err := hugosite.CheckConfigFlags(pre.SiteDir, c.hugoFlags); err != nil {
		return nil, err
	}
	if !noHugo && (chosen || hugosite.HasConfig(pre.SiteDir)) {
		s, err := hugosite.Load(ctx, hugosite.Options{
			Dir: pre.SiteDir, Environment: pre.Environment, BaseURL: baseURL, Flags: c.hugoFlags, Logger: log,
			Offline: true, // every request of send goes through its guarded client
		})
		if err != nil && chosen {
			return nil, fmt.Errorf("config of %s: %w", pre.SiteDir, err)
		}
		if err != nil {
			log.Warn("cannot load the Hugo site with the embedded Hugo "+hugosite.HugoVersion+"; reading the built files, with the baseURL, publishDir and [params.pingback] of its config files", "site", pre.SiteDir, "err", err)
			// What the user wrote still holds: exclusions, selfPing, the
			// ledger's path, … (not what its themes would add).
			unknown, found, err := hugosite.ApplyConfigFiles(&ld.cfg, pre.SiteDir, pre.Environment, c.scope)
			ld.unknown, ld.configFiles = unknown, found
			for _, u := range unknown {
				log.Warn(u.String())
			}
			if err != nil {
				return nil, fmt.Errorf("config of %s: %w", pre.SiteDir, err)
			}
		} else {
			hs, ld.hugo = s, true
			defer s.Close() // what the command needs of it is copied out below
			unknown, err := s.Apply(&ld.cfg, c.scope)
			ld.unknown = unknown
			for _, u := range unknown {
				log.Warn(u.String())
			}
			if err != nil {
				return nil, fmt.Errorf("config of %s: %w", pre.SiteDir, err)
			}
		}
	}
	ld.site = ld.cfg
	if err := c.apply(&ld.cfg); err != nil {
		return nil, err
	}
	ld.cfg = ld.cfg.Resolved()
	if hs == nil || !wantPages {
		return ld, nil
	}

	var pages site.PageSource
	pagesFile := site.PagesPath(ld.cfg.Ledger)
	pf, err := site.OpenPages(pagesFile, site.BuildFor(ld.cfg, hs.Environment()))
	if err != nil {
		log.Warn("ignoring the pages file of the last build", "err", err)
	}
	if pf != nil {
		log.Info("page data from the pages file of the last build", "file", pagesFile, "pages", pf.Len())
		pages = pf
	} else {
		ps, err := hs.Pages(ctx, ld.cfg.LinkRules())
		if err != nil {
			log.Warn("cannot read the Hugo site's pages; reading the built files only", "site", pre.SiteDir, "err", err)
			return ld, nil
		}
		if ps == nil {
			return ld, nil // no page data: a nil Pages in an interface would not be nil
		}
		pages = ps
	}
	if err := site.CheckPublished(ld.cfg.SiteRoots(), pages, ld.cfg.SiteDir); err != nil {
		return nil, err
	}
	ld.pages = pages
	return ld, nil
}

// productionGuard refuses to send from a preview: a Hugo environment other
// than production (from the site, --environment or HUGO_ENVIRONMENT), or a
// placeholder baseURL. An explicit --base-url is the user's own decision, so
// it lifts only the placeholder check.
func (ld *loaded) productionGuard(explicitBaseURL bool) error {
	env := ld.cfg.Environment
	if env == "" {
		env = os.Getenv("HUGO_ENVIRONMENT")
	}
	if env != "" && env != "production" {
		return fmt.Errorf("refusing to send from Hugo environment %q: previews must never ping the web (use --environment production, or --force)", env)
	}
	// The site's own baseURL, from Hugo or from its config files read as
	// files, must not be a placeholder.
	if !(ld.hugo || ld.configFiles) || explicitBaseURL {
		return nil
	}
	for _, r := range ld.cfg.SiteRoots() {
		if hugosite.PlaceholderBaseURL(r.BaseURL) {
			return fmt.Errorf("refusing to send: baseURL %q is a placeholder, so every notification would name a page that is not yours (set baseURL, pass --base-url, or --force)", r.BaseURL)
		}
	}
	return nil
}

// relOrAbs shortens p for messages when it lies under dir.
func relOrAbs(dir, p string) string {
	absDir, err1 := filepath.Abs(dir)
	absP, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return p
	}
	if r, err := filepath.Rel(absDir, absP); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
