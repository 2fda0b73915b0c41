package site

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// PageInfo is what a Hugo site knows of one of its regular pages, laid over
// the built file with the same URL: package hugosite makes it, `build` keeps
// it in the pages file, inject reads NoReceive and send the rest.
type PageInfo struct {
	URL  string `json:"url"`  // permalink
	File string `json:"file"` // published file, slash path relative to Root
	Root string `json:"root"` // the publish dir File is in
	// Title is the page's title.
	Title string `json:"title,omitempty"`
	// Published is the publish date, else the date; zero when the page has neither.
	Published time.Time `json:"published"`
	// NoSend is front matter `pingback: false`.
	NoSend bool `json:"no_send,omitempty"`
	// NoReceive is front matter `pingbackReceive: false`: inject skips it.
	NoReceive bool `json:"no_receive,omitempty"`
	// Links are the notifiable links of the page's rendered content, final:
	// absolute http(s) URLs as renderer.Links gives them (resolved and
	// normalised by package linkurl, without fragment, de-duplicated, in
	// document order, never the page itself), less those a rel or class
	// opts out. Nobody resolves or filters them again. nil means "take the
	// links from the published file with the content selector".
	Links []string `json:"links"`
}

// Pages is a Hugo site's page data, by URL.
type Pages map[string]PageInfo

// NoReceive returns the absolute paths of the pages opted out of receiving
// (front matter pingbackReceive: false), the form InjectOptions.Skip and
// Injector.Undo take: it stays unambiguous when several languages publish
// the same relative file. nil when no page opts out.
func (ps Pages) NoReceive() map[string]bool {
	var m map[string]bool
	for _, p := range ps {
		if p.NoReceive {
			if m == nil {
				m = map[string]bool{}
			}
			m[filepath.Join(p.Root, filepath.FromSlash(p.File))] = true
		}
	}
	return m
}

// ErrNotPublished is returned by CheckPublished when the publish dirs hold
// none of a site's pages.
var ErrNotPublished = errors.New("holds none of the site's pages")

// CheckPublished returns an error naming the publish dirs and the site when
// not one page of pages is published under roots at its URL: a --public
// that points at a theme, another site or an old build, or a --base-url
// under which no page of the site lives. Every page of such a build would be
// taken for a page the site no longer has. Empty pages check nothing, and
// publish dirs that do not exist are left to the caller to report.
func CheckPublished(roots []config.Root, pages Pages, siteDir string) error {
	if len(pages) == 0 {
		return nil
	}
	exists := false
	for _, r := range roots {
		if fi, err := os.Stat(r.Dir); err == nil && fi.IsDir() {
			exists = true
		}
	}
	if !exists {
		return nil // no publish dir at all: the command says so itself
	}
	for _, p := range pages {
		for _, r := range roots {
			rel, ok := relOfURL(r.BaseURL, p.URL)
			if !ok {
				continue
			}
			if fi, err := os.Stat(filepath.Join(r.Dir, filepath.FromSlash(rel))); err == nil && fi.Mode().IsRegular() {
				return nil
			}
		}
	}
	var dirs, bases []string
	for _, r := range roots {
		dirs = append(dirs, r.Dir)
		bases = append(bases, r.BaseURL)
	}
	return fmt.Errorf("publish dir %s (at %s) %w: none of the %d pages of the Hugo site %s is there (pass the site's own publish dir with --public and its URL with --base-url, or build the site first)",
		strings.Join(dirs, ", "), strings.Join(bases, ", "), ErrNotPublished, len(pages), siteDir)
}

// relOfURL is the inverse of pageURL: the file, relative to a root published
// at baseURL, that serves page; ok is false when page is not under it.
func relOfURL(baseURL, page string) (string, bool) {
	if baseURL != "" && !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	rest, ok := strings.CutPrefix(page, baseURL)
	if !ok || baseURL == "" {
		return "", false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	p, err := url.PathUnescape(rest)
	if err != nil {
		return "", false
	}
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	return p, true
}

// pagesFileName is the name, beside the ledger, of the page data that
// `hugo-pingback build` records for `send` and `inject`.
const pagesFileName = "pages.json"

// PagesPath returns where the pages file of a ledger is kept.
func PagesPath(ledger string) string {
	return filepath.Join(filepath.Dir(ledger), pagesFileName)
}

type pagesFile struct {
	Version int        `json:"version"`
	Written time.Time  `json:"written"`
	Build   BuildInfo  `json:"build"`
	Pages   []PageInfo `json:"pages"`
}

// BuildInfo says which build page data belongs to, so that a preview's pages
// (drafts, another environment, publish dir or base URL), or links read
// under other rules, never feed a real send.
type BuildInfo struct {
	Environment string   `json:"environment"`
	Drafts      bool     `json:"drafts"`
	Dirs        []string `json:"dirs"`      // absolute publish dirs, sorted
	BaseURLs    []string `json:"base_urls"` // their base URLs, sorted
	// SkipRels and SkipClasses are the opt-out rules PageInfo.Links were
	// read with.
	SkipRels    []string `json:"skip_rels"`
	SkipClasses []string `json:"skip_classes"`
}

// BuildOf describes a build of roots in the Hugo environment given,
// without drafts and without link rules: page data read under any rules
// serves it, for a caller that reads no PageInfo.Links (the receiver reads
// NoReceive).
func BuildOf(roots []config.Root, environment string) BuildInfo {
	var dirs, bases []string
	for _, r := range roots {
		if abs, err := filepath.Abs(r.Dir); err == nil {
			dirs = append(dirs, abs)
		}
		bases = append(bases, r.BaseURL)
	}
	slices.Sort(dirs)
	slices.Sort(bases)
	return BuildInfo{Environment: environment, Dirs: dirs, BaseURLs: bases}
}

// BuildFor describes the build whose page data serves cfg: its publish
// dirs and base URLs and link rules, in the Hugo environment given, without
// drafts.
func BuildFor(cfg config.Config, environment string) BuildInfo {
	b := BuildOf(cfg.SiteRoots(), environment)
	b.SkipRels, b.SkipClasses = cfg.SkipRels, cfg.SkipClasses
	if b.SkipRels == nil {
		b.SkipRels = []string{} // no opt-outs is a rule too
	}
	if b.SkipClasses == nil {
		b.SkipClasses = []string{}
	}
	return b
}

// serves reports whether page data of build b may stand in for a build
// described by want; want's link rules matter unless want has none (BuildOf).
func (b BuildInfo) serves(want BuildInfo) bool {
	rules := want.SkipRels == nil && want.SkipClasses == nil ||
		slices.Equal(b.SkipRels, want.SkipRels) && slices.Equal(b.SkipClasses, want.SkipClasses)
	return !b.Drafts && b.Environment == want.Environment && slices.Equal(b.Dirs, want.Dirs) && slices.Equal(b.BaseURLs, want.BaseURLs) && rules
}

// SavePages writes a Hugo site's page data for a later send, atomically.
func SavePages(path string, b BuildInfo, pages Pages) error {
	pf := pagesFile{Version: 1, Written: time.Now().UTC(), Build: b, Pages: make([]PageInfo, 0, len(pages))}
	for _, p := range pages {
		pf.Pages = append(pf.Pages, p)
	}
	slices.SortFunc(pf.Pages, func(a, b PageInfo) int { return strings.Compare(a.URL, b.URL) })
	data, err := json.MarshalIndent(pf, "", " ")
	if err != nil {
		return fmt.Errorf("save pages %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save pages %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("save pages: %w", err)
	}
	return nil
}

// LoadPages reads the page data SavePages wrote, if it belongs to the build
// want describes (see BuildFor and BuildOf) and is still fresh: no HTML file under
// want.Dirs is newer than it (a later plain `hugo` build makes it stale).
// It returns nil, nil otherwise, and when there is no file.
func LoadPages(path string, want BuildInfo) (Pages, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pages %s: %w", path, err)
	}
	var pf pagesFile
	if err := json.Unmarshal(data, &pf); err != nil || pf.Version != 1 {
		return nil, fmt.Errorf("read pages %s: not a hugo-pingback pages file", path)
	}
	if !pf.Build.serves(want) {
		return nil, nil
	}
	written := fi.ModTime()
	for _, d := range want.Dirs {
		err := Walk(config.Root{Dir: d}, func(f File) error {
			if st, err := os.Stat(f.Path); err == nil && st.ModTime().After(written) {
				return fs.SkipAll
			}
			return nil
		})
		if errors.Is(err, fs.SkipAll) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read pages %s: %w", path, err)
		}
	}
	m := make(Pages, len(pf.Pages))
	for _, p := range pf.Pages {
		if p.Links == nil {
			p.Links = []string{}
		}
		m[p.URL] = p
	}
	return m, nil
}
