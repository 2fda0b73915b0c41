package site

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
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
	m, _ := NoReceive(ps) // Range of Pages never fails
	return m
}

// NoReceive is Pages.NoReceive of any PageSource: a pages file is read
// through once, keeping only the pages that opt out.
func NoReceive(src PageSource) (map[string]bool, error) {
	var m map[string]bool
	err := src.Range(func(p PageInfo) bool {
		if p.NoReceive {
			if m == nil {
				m = map[string]bool{}
			}
			m[filepath.Join(p.Root, filepath.FromSlash(p.File))] = true
		}
		return true
	})
	return m, err
}

// PageSource is a Hugo site's page data as the commands read it: Pages in
// memory (the Hugo site loaded in-process holds them all anyway), or a
// PagesFile, read as a stream, which holds one page at a time whatever the
// size of the site.
type PageSource interface {
	// Range calls fn with each page, in no set order, until fn returns
	// false.
	Range(fn func(PageInfo) bool) error
	// Matcher returns the lookup of the page data of the files of one
	// walk (Walk, WalkContents), which asks it in the walk's order. It is
	// closed when the walk is over.
	Matcher() PageMatcher
}

// PageMatcher finds the page data of the files of a walk, asked in the
// walk's order: root by root, sorted by Rel.
type PageMatcher interface {
	// Match returns the data of the page the site publishes in file f (the
	// page whose URL is f.URL), and false when the site lists no such
	// page.
	Match(f File) (PageInfo, bool, error)
	Close() error
}

// Range calls fn with each page until fn returns false; it never fails.
func (ps Pages) Range(fn func(PageInfo) bool) error {
	for _, p := range ps {
		if !fn(p) {
			break
		}
	}
	return nil
}

// Matcher looks files up by URL, in any order.
func (ps Pages) Matcher() PageMatcher { return pagesMatcher(ps) }

type pagesMatcher Pages

func (m pagesMatcher) Match(f File) (PageInfo, bool, error) {
	p, ok := m[f.URL]
	return p, ok, nil
}

func (pagesMatcher) Close() error { return nil }

// ErrNotPublished is returned by CheckPublished when the publish dirs hold
// none of a site's pages.
var ErrNotPublished = errors.New("holds none of the site's pages")

// CheckPublished returns an error naming the publish dirs and the site when
// not one page of pages is published under roots at its URL: a --public
// that points at a theme, another site or an old build, or a --base-url
// under which no page of the site lives. Every page of such a build would be
// taken for a page the site no longer has. Empty pages check nothing, and
// publish dirs that do not exist are left to the caller to report.
func CheckPublished(roots []config.Root, pages PageSource, siteDir string) error {
	exists := false
	for _, r := range roots {
		if fi, err := os.Stat(r.Dir); err == nil && fi.IsDir() {
			exists = true
		}
	}
	if !exists {
		return nil // no publish dir at all: the command says so itself
	}
	n, found := 0, false
	err := pages.Range(func(p PageInfo) bool {
		n++
		for _, r := range roots {
			rel, ok := relOfURL(r.BaseURL, p.URL)
			if !ok {
				continue
			}
			if fi, err := os.Stat(filepath.Join(r.Dir, filepath.FromSlash(rel))); err == nil && fi.Mode().IsRegular() {
				found = true
				return false
			}
		}
		return true
	})
	if err != nil || found || n == 0 {
		return err
	}
	var dirs, bases []string
	for _, r := range roots {
		dirs = append(dirs, r.Dir)
		bases = append(bases, r.BaseURL)
	}
	return fmt.Errorf("publish dir %s (at %s) %w: none of the %d pages of the Hugo site %s is there (pass the site's own publish dir with --public and its URL with --base-url, or build the site first)",
		strings.Join(dirs, ", "), strings.Join(bases, ", "), ErrNotPublished, n, siteDir)
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

// The pages file is JSON lines: a header (pagesHeader), then one PageInfo
// per line, sorted by Root, then File: the order of a walk of each root, so
// that send reads it beside the walk, one page at a time (PagesFile).
type pagesHeader struct {
	Version int       `json:"version"`
	Written time.Time `json:"written"`
	Build   BuildInfo `json:"build"`
	Count   int       `json:"count"` // pages
}

// pagesVersion is the version of the pages file. Version 1 (one JSON
// document, sorted by URL) is taken for no file: the site is loaded
// in-process instead, and the next build writes version 2.
const pagesVersion = 2

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
	sorted := slices.SortedFunc(maps.Values(pages), func(a, b PageInfo) int {
		return cmp.Or(strings.Compare(a.Root, b.Root), strings.Compare(a.File, b.File))
	})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(pagesHeader{Version: pagesVersion, Written: time.Now().UTC(), Build: b, Count: len(sorted)}); err != nil {
		return fmt.Errorf("save pages %s: %w", path, err)
	}
	for _, p := range sorted {
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("save pages %s: page %s: %w", path, p.URL, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save pages %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("save pages: %w", err)
	}
	return nil
}

// LoadPages reads the whole of the page data OpenPages finds, into memory
// (the receiver, which answers for any page at any time, keeps them all).
func LoadPages(path string, want BuildInfo) (Pages, error) {
	pf, err := OpenPages(path, want)
	if pf == nil || err != nil {
		return nil, err
	}
	m := make(Pages, pf.Len())
	err = pf.Range(func(p PageInfo) bool {
		m[p.URL] = p
		return true
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// OpenPages opens the page data SavePages wrote, if it belongs to the
// build want describes (see BuildFor and BuildOf) and is still fresh: no
// HTML file under want.Dirs is newer than it (a later plain `hugo` build
// makes it stale). It returns nil, nil otherwise, and when there is no
// file. Its pages are read when asked for, never all at once.
func OpenPages(path string, want BuildInfo) (*PagesFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil
	}
	pf := &PagesFile{path: path}
	r, h, err := pf.open()
	if err != nil {
		return nil, err
	}
	r.close()
	if h.Version != pagesVersion || !h.Build.serves(want) {
		return nil, nil
	}
	pf.n = h.Count
	written := fi.ModTime()
	// One walk of every dir: a language's dir nested in another's is not
	// walked twice.
	roots := make([]config.Root, len(want.Dirs))
	for i, d := range want.Dirs {
		roots[i] = config.Root{Dir: d}
	}
	err = WalkRoots(roots, func(f File) error {
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
	return pf, nil
}

// PagesFile is a pages file OpenPages accepted. Each Range and each
// Matcher reads it anew from the start; none keeps more than a page.
type PagesFile struct {
	path string
	n    int // pages, from the header
}

// Len returns how many pages the file holds.
func (pf *PagesFile) Len() int { return pf.n }

// Range calls fn with each page, in the file's order, until fn returns
// false. An error names the file.
func (pf *PagesFile) Range(fn func(PageInfo) bool) error {
	r, _, err := pf.open()
	if err != nil {
		return err
	}
	defer r.close()
	for {
		p, ok, err := r.next()
		if err != nil || !ok {
			return err
		}
		if !fn(p) {
			return nil
		}
	}
}

// Matcher returns a merge of the file with a walk: the file is read as the
// walk goes, each root's pages from where that root's run of the file
// begins. A file out of that order is an error naming it.
func (pf *PagesFile) Matcher() PageMatcher { return &fileMatcher{pf: pf} }

// pageReader decodes the pages of a pages file one at a time.
type pageReader struct {
	path string
	f    *os.File
	dec  *json.Decoder
}

// open opens the file and reads its header; the reader stands at the
// first page.
func (pf *PagesFile) open() (*pageReader, pagesHeader, error) {
	var h pagesHeader
	f, err := os.Open(pf.path)
	if err != nil {
		return nil, h, fmt.Errorf("read pages %s: %w", pf.path, err)
	}
	r := &pageReader{path: pf.path, f: f, dec: json.NewDecoder(bufio.NewReaderSize(f, 64<<10))}
	if err := r.dec.Decode(&h); err != nil || h.Version == 0 {
		r.close()
		return nil, h, fmt.Errorf("read pages %s: not a hugo-pingback pages file", pf.path)
	}
	return r, h, nil
}

// next returns the next page, and false at the end of the file.
func (r *pageReader) next() (PageInfo, bool, error) {
	var p PageInfo
	switch err := r.dec.Decode(&p); {
	case err == io.EOF:
		return p, false, nil
	case err != nil:
		return p, false, fmt.Errorf("read pages %s: at byte %d: %w (run hugo-pingback build again)", r.path, r.dec.InputOffset(), err)
	}
	if p.Links == nil {
		p.Links = []string{} // the file holds the links of every page it has
	}
	return p, true, nil
}

func (r *pageReader) close() error { return r.f.Close() }

// fileMatcher is PagesFile's PageMatcher.
type fileMatcher struct {
	pf *PagesFile
	r  *pageReader
	// root is the absolute dir of the root the walk is in, and rootOf the
	// Root.Dir the walk gave it as.
	root, rootOf string
	cur          PageInfo // the page the file stands at, if have
	have         bool
	asked        string // the Rel of the last file matched in this root
}

func (m *fileMatcher) Match(f File) (PageInfo, bool, error) {
	if m.r == nil || f.Root.Dir != m.rootOf {
		root, err := filepath.Abs(f.Root.Dir)
		if err != nil {
			return PageInfo{}, false, err
		}
		if err := m.seek(root); err != nil {
			return PageInfo{}, false, err
		}
		m.rootOf = f.Root.Dir
	} else if f.Rel < m.asked {
		return PageInfo{}, false, fmt.Errorf("read pages %s: %s asked after %s, out of the walk's order", m.pf.path, f.Rel, m.asked)
	}
	m.asked = f.Rel
	for m.have && m.cur.File < f.Rel {
		if err := m.advance(); err != nil {
			return PageInfo{}, false, err
		}
	}
	if m.have && m.cur.File == f.Rel && m.cur.URL == f.URL {
		return m.cur, true, nil
	}
	return PageInfo{}, false, nil
}

// seek reads the file from its start to the first page of root.
func (m *fileMatcher) seek(root string) error {
	m.Close()
	r, _, err := m.pf.open()
	if err != nil {
		return err
	}
	m.r, m.root, m.have, m.asked = r, root, false, ""
	for {
		p, ok, err := r.next()
		if err != nil || !ok {
			return err
		}
		if sameDir(p.Root, root) {
			m.cur, m.have = p, true
			return nil
		}
	}
}

// advance reads the next page of the root; have is false past its last.
func (m *fileMatcher) advance() error {
	p, ok, err := m.r.next()
	if err != nil {
		return err
	}
	if !ok || !sameDir(p.Root, m.root) {
		m.have = false
		return nil
	}
	if p.File <= m.cur.File {
		return fmt.Errorf("read pages %s: %s after %s, out of order (run hugo-pingback build again)", m.pf.path, p.File, m.cur.File)
	}
	m.cur = p
	return nil
}

func (m *fileMatcher) Close() error {
	if m.r == nil {
		return nil
	}
	err := m.r.close()
	m.r = nil
	return err
}

// sameDir reports whether dir (as the pages file has it, absolute) is the
// absolute directory abs.
func sameDir(dir, abs string) bool {
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir) == abs
	}
	d, err := filepath.Abs(dir)
	return err == nil && d == abs
}
