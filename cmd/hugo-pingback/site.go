package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/hugosite"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/sender"
)

// loaded is a site as a command sees it: the Config (defaults, the site's
// config, then the flags, resolved) and, when the Hugo site loaded, its page
// data.
type loaded struct {
	cfg   config.Config
	hugo  bool // a Hugo config was read
	pages map[string]sender.PageInfo
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
	baseURL, _ := c.value("base-url")
	ld := &loaded{cfg: config.Default()}
	ld.cfg.SiteDir = pre.SiteDir
	var hs *hugosite.Site
	if !noHugo && hugosite.HasConfig(pre.SiteDir) {
		s, err := hugosite.Load(ctx, hugosite.Options{
			Dir: pre.SiteDir, Environment: pre.Environment, BaseURL: baseURL, Logger: log,
			Offline: true, // every request of send goes through its guarded client
		})
		if err != nil {
			log.Warn("cannot load the Hugo site with the embedded Hugo "+hugosite.HugoVersion+"; reading the built files only", "site", pre.SiteDir, "err", err)
		} else {
			hs, ld.hugo = s, true
			warnings, err := s.Apply(&ld.cfg, c.scope)
			for _, w := range warnings {
				log.Warn(w)
			}
			if err != nil {
				return nil, fmt.Errorf("config of %s: %w", pre.SiteDir, err)
			}
		}
	}
	if err := c.apply(&ld.cfg); err != nil {
		return nil, err
	}
	ld.cfg = ld.cfg.Resolved()
	if hs == nil || !wantPages {
		return ld, nil
	}

	manifest := filepath.Join(filepath.Dir(ld.cfg.Ledger), sender.PagesFile)
	pages, err := sender.LoadPages(manifest, ld.cfg.SiteRoots(), hs.Environment())
	if err != nil {
		log.Warn("ignoring the pages file of the last build", "err", err)
	}
	if pages == nil {
		hp, err := hs.Pages(ctx)
		if err != nil {
			log.Warn("cannot read the Hugo site's pages; reading the built files only", "site", pre.SiteDir, "err", err)
			return ld, nil
		}
		pages, err = pageInfos(hp, ld.cfg)
		if err != nil {
			return nil, err
		}
	}
	ld.pages = pages
	ld.cfg.NoReceive = noReceive(pages)
	return ld, nil
}

// pageInfos turns Hugo's pages into the sender's page data. The links are
// those of the rendered content, less the ones its rel or class opts out.
func pageInfos(pages []hugosite.Page, cfg config.Config) (map[string]sender.PageInfo, error) {
	opts := &renderer.Options{SkipRels: cfg.SkipRels, SkipClasses: cfg.SkipClasses}
	m := make(map[string]sender.PageInfo, len(pages))
	for _, p := range pages {
		base, err := url.Parse(p.URL)
		if err != nil {
			return nil, fmt.Errorf("page %s: bad permalink: %w", p.File, err)
		}
		content, err := renderer.Links(strings.NewReader(p.Content), base, opts)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", p.URL, err)
		}
		links := []string{}
		for _, l := range content {
			if l.Skip == "" {
				links = append(links, l.URL)
			}
		}
		m[p.URL] = sender.PageInfo{
			URL: p.URL, File: p.File, Root: p.Root, Title: p.Title, Published: p.Published,
			NoSend: p.NoSend, NoReceive: p.NoReceive, Links: links,
		}
	}
	return m, nil
}

// noReceive keys the pages opted out of receiving by absolute path, which
// stays unambiguous when several languages publish the same relative file.
func noReceive(pages map[string]sender.PageInfo) map[string]bool {
	var m map[string]bool
	for _, p := range pages {
		if p.NoReceive {
			if m == nil {
				m = map[string]bool{}
			}
			m[filepath.Join(p.Root, filepath.FromSlash(p.File))] = true
		}
	}
	return m
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
	if !ld.hugo || explicitBaseURL {
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
