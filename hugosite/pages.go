package hugosite

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gohugoio/hugo/hugolib"
	"github.com/gohugoio/hugo/resources/kinds"
	"github.com/gohugoio/hugo/resources/page"
	"golang.org/x/sync/errgroup"

	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// Front-matter keys read from each page (Hugo lower-cases them).
const (
	// frontMatterSend is the key that, set to false, keeps a page from
	// sending: `pingback: false`.
	frontMatterSend = "pingback"
	// frontMatterReceive is the key that, set to false, keeps the link tags
	// out of a page: `pingbackReceive: false`.
	frontMatterReceive = "pingbackReceive"
)

// Pages returns the page data of the site's regular pages (kind "page") in
// all languages, by URL: never list pages, drafts (unless the options build
// them), future or expired pages, or pages Hugo does not render. Each page's
// Links are read once, here, from Hugo's rendered content (shortcodes
// included, theme chrome never) with renderer.Links and the opt-outs of
// rules (SkipRels, SkipClasses; Content is not used): they are final, see
// site.PageInfo. After Build it reuses the build's rendered content; on its
// own it processes the site without writing anything.
func (s *Site) Pages(ctx context.Context, rules *renderer.Options) (site.Pages, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.process()
	if err != nil {
		return nil, err
	}

	now := time.Now()
	var regular page.Pages
	for _, p := range h.Pages() {
		if p.Kind() != kinds.KindPage || p.Permalink() == "" {
			continue
		}
		if p.Draft() && !s.configs.Base.BuildDrafts {
			continue
		}
		// The site may build future or expired pages; they still never send.
		if p.PublishDate().After(now) {
			continue
		}
		if exp := p.ExpiryDate(); !exp.IsZero() && !exp.After(now) {
			continue
		}
		regular = append(regular, p)
	}

	out := make([]site.PageInfo, len(regular))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range regular {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			pg, err := s.page(gctx, p, rules)
			if err != nil {
				return err
			}
			out[i] = pg
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	pages := make(site.Pages, len(out))
	for _, p := range out {
		pages[p.URL] = p
	}
	return pages, nil
}

// process makes sure Hugo has read the content: after Build it has; else
// the site is processed without rendering.
func (s *Site) process() (*hugolib.HugoSites, error) {
	if s.processed {
		return s.h, nil
	}
	h, err := s.hugo()
	if err != nil {
		return nil, err
	}
	if err := h.Build(hugolib.BuildCfg{SkipRender: true}); err != nil {
		return nil, fmt.Errorf("process Hugo site %s: %w", s.dir, err)
	}
	s.processed = true
	return h, nil
}

func (s *Site) page(ctx context.Context, p page.Page, rules *renderer.Options) (site.PageInfo, error) {
	permalink := p.Permalink()
	base, err := url.Parse(permalink)
	if err != nil {
		return site.PageInfo{}, fmt.Errorf("page %s: bad permalink: %w", permalink, err)
	}
	c, err := p.Content(ctx)
	if err != nil {
		return site.PageInfo{}, fmt.Errorf("render content of %s: %w", permalink, err)
	}
	all, err := renderer.Links(strings.NewReader(contentString(c)), base, rules)
	if err != nil {
		return site.PageInfo{}, fmt.Errorf("read links of %s: %w", permalink, err)
	}
	links := make([]string, 0, len(all))
	for _, l := range all {
		if l.Skip == "" {
			links = append(links, l.URL)
		}
	}
	root := s.rootFor(p.Lang())
	pg := site.PageInfo{
		URL:       permalink,
		File:      publishedFile(base, root.BaseURL),
		Root:      root.Dir,
		Title:     p.Title(),
		Published: p.PublishDate(),
		NoSend:    s.optedOut(p, frontMatterSend, "it sends nothing"),
		NoReceive: s.optedOut(p, frontMatterReceive, "it gets no link tags"),
		Links:     links,
	}
	if pg.Published.IsZero() {
		pg.Published = p.Date()
	}
	return pg, nil
}

func contentString(c any) string {
	switch c := c.(type) {
	case template.HTML:
		return string(c)
	case string:
		return c
	case nil:
		return ""
	}
	return fmt.Sprint(c)
}

// optedOut reads the front-matter switch key of p: true when it says false
// (a YAML or TOML boolean, or a string strconv.ParseBool reads as false,
// such as "false"). Any other value ("no", "off", 0, a list) is a mistake
// the author must hear of: it is logged as a warning naming the content file
// and saying what follows (what), and read as false, opting the page out: a
// page left out can send later, a notification sent cannot be taken back.
func (s *Site) optedOut(p page.Page, key, what string) bool {
	v, ok := p.Params()[strings.ToLower(key)]
	if !ok || v == nil {
		return false
	}
	switch v := v.(type) {
	case bool:
		return !v
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return !b
		}
	}
	file := p.Permalink()
	if f := p.File(); f != nil {
		file = f.Filename()
		if rel, err := filepath.Rel(s.dir, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = filepath.ToSlash(rel)
		}
	}
	s.log.Warn(fmt.Sprintf("%s: front matter %s = %s is not true or false; read as %s: false, so %s", file, key, shownValue(v), key, what))
	return true
}

// shownValue writes a front-matter value as the author would recognise it.
func shownValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", v)
}

// publishedFile maps a permalink to the file Hugo wrote for it, relative to
// the root published at rootURL: "posts/a/" is "posts/a/index.html",
// "posts/a.html" (uglyURLs) itself.
func publishedFile(permalink *url.URL, rootURL string) string {
	p := permalink.Path
	if r, err := url.Parse(rootURL); err == nil && strings.HasPrefix(p, r.Path) {
		p = p[len(r.Path):]
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	return path.Clean(p)
}
