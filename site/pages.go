package site

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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

// PagesFile is the name, beside the ledger, of the page data that
// `hugo-pingback build` records for `send` and `inject`.
const PagesFile = "pages.json"

// PagesPath returns where the pages file of a ledger is kept.
func PagesPath(ledger string) string {
	return filepath.Join(filepath.Dir(ledger), PagesFile)
}

type pagesFile struct {
	Version int        `json:"version"`
	Written time.Time  `json:"written"`
	Build   BuildInfo  `json:"build"`
	Pages   []PageInfo `json:"pages"`
}

// BuildInfo says which build page data belongs to, so that a preview's pages
// (drafts, another environment or publish dir), or links read under other
// rules, never feed a real send.
type BuildInfo struct {
	Environment string   `json:"environment"`
	Drafts      bool     `json:"drafts"`
	Dirs        []string `json:"dirs"` // absolute publish dirs, sorted
	// SkipRels and SkipClasses are the opt-out rules PageInfo.Links were
	// read with.
	SkipRels    []string `json:"skip_rels"`
	SkipClasses []string `json:"skip_classes"`
}

// BuildFor describes the build whose page data serves cfg: its publish
// dirs and link rules, in the Hugo environment given, without drafts.
func BuildFor(cfg config.Config, environment string) BuildInfo {
	var dirs []string
	for _, r := range cfg.SiteRoots() {
		if abs, err := filepath.Abs(r.Dir); err == nil {
			dirs = append(dirs, abs)
		}
	}
	slices.Sort(dirs)
	return BuildInfo{Environment: environment, Dirs: dirs, SkipRels: cfg.SkipRels, SkipClasses: cfg.SkipClasses}
}

// serves reports whether page data of build b may stand in for a build
// described by want.
func (b BuildInfo) serves(want BuildInfo) bool {
	return !b.Drafts && b.Environment == want.Environment && slices.Equal(b.Dirs, want.Dirs) &&
		slices.Equal(b.SkipRels, want.SkipRels) && slices.Equal(b.SkipClasses, want.SkipClasses)
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
// want describes (see BuildFor) and is still fresh: no HTML file under
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
