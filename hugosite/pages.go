package hugosite

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gohugoio/hugo/hugolib"
	"github.com/gohugoio/hugo/resources/kinds"
	"github.com/gohugoio/hugo/resources/page"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/sync/errgroup"
)

// Front-matter keys read from each page (Hugo lower-cases them).
const (
	// FrontMatterSend is the key that, set to false, keeps a page from
	// sending: `pingback: false`.
	FrontMatterSend = "pingback"
	// FrontMatterReceive is the key that, set to false, keeps the link tags
	// out of a page: `pingbackReceive: false`.
	FrontMatterReceive = "pingbackReceive"
)

// Page is one regular page of the built site, as Hugo knows it.
type Page struct {
	URL       string    // permalink
	File      string    // published file, slash path relative to Root, e.g. "posts/hello/index.html"
	Root      string    // absolute publish dir of the page's root (per language on a multihost site)
	Lang      string    // language code
	Title     string    // title
	Published time.Time // publish date, else date; zero when the page has neither
	NoSend    bool      // front matter pingback: false
	NoReceive bool      // front matter pingbackReceive: false
	// Links are the absolute http(s) URLs of the <a href> elements in the
	// page's rendered content (shortcodes included, theme chrome never),
	// resolved against URL, without fragments, de-duplicated, in order,
	// never URL itself.
	Links []string
	// Content is the page's rendered content (Hugo's .Content), for callers
	// that need more than the hrefs (rel, class).
	Content string
}

// Pages lists the site's regular pages (kind "page") in all languages, in
// Hugo's default order: never list pages, drafts (unless the options build
// them), future or expired pages, or pages Hugo does not render. After Build
// it reuses the build's rendered content; on its own it processes the site
// without writing anything.
func (s *Site) Pages(ctx context.Context) ([]Page, error) {
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
		if p.Draft() && !s.opts.BuildDrafts && !s.configs.Base.BuildDrafts {
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

	out := make([]Page, len(regular))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, p := range regular {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			pg, err := s.page(gctx, p)
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
	return out, nil
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

func (s *Site) page(ctx context.Context, p page.Page) (Page, error) {
	permalink := p.Permalink()
	c, err := p.Content(ctx)
	if err != nil {
		return Page{}, fmt.Errorf("render content of %s: %w", permalink, err)
	}
	content := contentString(c)
	pg := Page{
		URL:       permalink,
		Lang:      p.Lang(),
		Title:     p.Title(),
		Published: p.PublishDate(),
		NoSend:    isFalse(p.Params()[strings.ToLower(FrontMatterSend)]),
		NoReceive: isFalse(p.Params()[strings.ToLower(FrontMatterReceive)]),
		Content:   content,
	}
	if pg.Published.IsZero() {
		pg.Published = p.Date()
	}
	base, err := url.Parse(permalink)
	if err != nil {
		return Page{}, fmt.Errorf("page %s: bad permalink: %w", permalink, err)
	}
	root := s.rootFor(p.Lang())
	pg.File = publishedFile(base, root.BaseURL)
	pg.Root = root.Dir
	pg.Links = contentLinks(content, base)
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

// isFalse reports whether a front-matter value says false (a YAML/TOML
// boolean, or the string "false").
func isFalse(v any) bool {
	switch v := v.(type) {
	case bool:
		return !v
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		return err == nil && !b
	}
	return false
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

// contentLinks returns the hrefs of the <a> elements in an HTML fragment,
// resolved against base (a <base href> in content is ignored: only the
// page's head may set it), absolute http(s), without fragment, de-duplicated,
// in document order, never base itself.
func contentLinks(fragment string, base *url.URL) []string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	self := *base
	self.Fragment = ""
	seen := map[string]bool{self.String(): true}
	var links []string
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return links
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if atom.Lookup(name) != atom.A || !hasAttr {
			continue
		}
		for {
			key, val, more := z.TagAttr()
			if string(key) == "href" {
				if u := resolve(base, string(val)); u != "" && !seen[u] {
					seen[u] = true
					links = append(links, u)
				}
				break
			}
			if !more {
				break
			}
		}
	}
}

func resolve(base *url.URL, href string) string {
	href = strings.TrimSpace(href)
	if href == "" {
		return ""
	}
	ref, err := url.Parse(href)
	if err != nil {
		return ""
	}
	u := base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}
