// Package site owns the files of a built site: finding its HTML pages,
// mapping each file to the URL it is published at, writing files atomically,
// running the tag injector over every page, and merging the host
// configuration files `_headers` and `_redirects` (Netlify, Cloudflare Pages).
// Injector does the injection while a build writes the pages instead, and
// takes the tags out again of pages found afterwards to be opted out. It also
// holds the page data a Hugo build knows of its pages (PageInfo, made by
// package hugosite) and the pages file in which `build` leaves it for `send`
// and `inject`.
//
// It never parses HTML itself (package renderer does, on bytes it is given),
// never touches the network, never runs Hugo, and never writes a file whose
// bytes would not change. Writes go to a temporary file in the same
// directory that is renamed over the original, so an interrupted run never
// leaves a truncated page behind.
package site

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hugo-pingback/hugo-pingback/config"
)

// ErrNotDir is returned when a root is not a directory.
var ErrNotDir = errors.New("not a directory")

// File is one HTML file of a built site (or, from WalkContents, a feed).
type File struct {
	// Path is the file's OS path (the root's Dir joined with Rel).
	Path string
	// Rel is the slash-separated path under the root, e.g. "posts/a/index.html".
	Rel string
	// URL is where the file is published: see pageURL.
	URL string
	// Root is the published root the file belongs to.
	Root config.Root
	// ListFeed, set by WalkContents, is the RSS feed Hugo wrote beside the
	// page (index.xml in the directory of an index.html, Rel form): Hugo
	// writes one for every list page (home, sections, taxonomies, terms)
	// and none for a regular page, so the page is a list, whatever its
	// markup.
	ListFeed string
}

// pageURL returns the URL a file at rel (slash-separated, under the publish
// dir) is served at: "a/b/index.html" is baseURL+"a/b/", "x.html" is
// baseURL+"x.html", "index.html" is baseURL. Path segments are
// percent-escaped as in a URL path. A missing trailing slash on baseURL is
// added; an empty baseURL gives the path alone, relative ("a/b/").
func pageURL(baseURL, rel string) string {
	if baseURL != "" && !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	rel = strings.TrimPrefix(rel, "/")
	if rel == "index.html" {
		rel = ""
	} else if strings.HasSuffix(rel, "/index.html") {
		rel = strings.TrimSuffix(rel, "index.html")
	}
	if !strings.ContainsFunc(rel, needsEscape) {
		return baseURL + rel // what EscapedPath gives, without its allocations
	}
	return baseURL + (&url.URL{Path: rel}).EscapedPath()
}

// needsEscape reports whether a byte of a path may need escaping in a URL:
// anything but letters, digits, "-._~" and the separator.
func needsEscape(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune("-._~/", r)
}

// SkipReason returns why the file at rel is not a page that sends
// notifications, or "" when it is one as far as its path tells. Hugo writes
// 404.html at the root and, on multilingual sites, one per language
// directory: every 404.html is the "404 page".
func SkipReason(rel string) string {
	if strings.EqualFold(path.Base(rel), "404.html") {
		return "404 page"
	}
	return ""
}

// isHTML reports whether name has a page extension (.html or .htm, any case).
func isHTML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// Walk calls fn for every regular *.html and *.htm file under root.Dir, in
// sorted Rel order, as the walk finds it (nothing is listed first). Symbolic
// links below the root are never followed (a linked page is not a file Walk
// may rewrite, and there are no link loops to fall into); the root itself
// may be a link. An error from fn stops the walk and is returned as is;
// other errors name the path.
func Walk(root config.Root, fn func(File) error) error {
	start, err := cleanRoot(root.Dir)
	if err != nil {
		return err
	}
	w := &walker{root: root, want: isHTML, fn: fn}
	return w.dir(start, "")
}

// WalkRoots is Walk over several roots, root by root. A root nested in
// another (a multilingual site publishing "public" and "public/fr") owns
// its own files: they are visited once, under the innermost root. A
// directory given twice is walked once, under its first root.
func WalkRoots(roots []config.Root, fn func(File) error) error {
	_, err := walkRoots(roots, isHTML, false, fn)
	return err
}

// WalkContents calls fn, in one walk of roots as WalkRoots makes it, with
// every page (HTML file) and every feed (see isFeed), feed telling which,
// each root's files in sorted Rel order as the walk finds them: a site of
// any size costs the memory of one directory's listing at a time. A page
// beside Hugo's RSS feed of a list has File.ListFeed set.
func WalkContents(roots []config.Root, fn func(f File, feed bool) error) error {
	want := func(name string) bool { return isHTML(name) || isFeed(name) }
	_, err := walkRoots(roots, want, false, func(f File) error {
		return fn(f, isFeed(path.Base(f.Rel)))
	})
	return err
}

// hugoRSS is the name of the RSS feed Hugo writes for each list page.
const hugoRSS = "index.xml"

// isFeed reports whether a file name is a feed's: Hugo's RSS output
// (index.xml in every list's directory) and the usual names of RSS and
// Atom feeds. sitemap.xml is not a feed.
func isFeed(name string) bool {
	switch name {
	case "index.xml", "feed.xml", "atom.xml", "rss.xml":
		return true
	}
	return false
}

// walkRoots walks roots in turn (see WalkRoots) and calls fn with the files
// whose names want accepts. With sweep, it also removes the stale
// temporary files it meets (see isStaleTemp) and returns their paths.
func walkRoots(roots []config.Root, want func(name string) bool, sweep bool, fn func(File) error) (removed []string, err error) {
	dirs := make(map[string]bool, len(roots))
	for _, r := range roots {
		d, err := cleanRoot(r.Dir)
		if err != nil {
			return nil, err
		}
		dirs[d] = true
	}
	seen := make(map[string]bool, len(roots))
	for _, r := range roots {
		d, _ := cleanRoot(r.Dir)
		if seen[d] {
			continue // the same directory twice: its files once
		}
		seen[d] = true
		w := &walker{root: r, otherRoots: dirs, want: want, sweep: sweep, fn: fn}
		err := w.dir(d, "")
		removed = append(removed, w.removed...)
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// listRoots is walkRoots into a slice.
func listRoots(roots []config.Root, want func(name string) bool, sweep bool) (files []File, removed []string, err error) {
	removed, err = walkRoots(roots, want, sweep, func(f File) error {
		files = append(files, f)
		return nil
	})
	return files, removed, err
}

func cleanRoot(dir string) (string, error) {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("site root %s: %w", dir, err)
	}
	d, err = filepath.Abs(d)
	if err != nil {
		return "", fmt.Errorf("site root %s: %w", dir, err)
	}
	fi, err := os.Stat(d)
	if err != nil {
		return "", fmt.Errorf("site root %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("site root %s: %w", dir, ErrNotDir)
	}
	return d, nil
}

// walker walks one root depth first. Each directory's entries are taken in
// the order of the Rel paths under them (a directory's name sorts as if
// followed by '/'), so files come out in sorted Rel order as they are
// found, and only one directory's listing per level is held.
type walker struct {
	root config.Root
	// otherRoots are the cleaned absolute directories of other roots,
	// which own their files: skipped.
	otherRoots map[string]bool
	want       func(name string) bool
	sweep      bool
	removed    []string
	fn         func(File) error
}

// dir walks the directory at abs, whose Rel is rel ("" for the root).
func (w *walker) dir(abs, rel string) error {
	entries, err := readDir(abs)
	if err != nil {
		return fmt.Errorf("walk %s: %w", abs, err)
	}
	// Hugo writes an RSS feed beside every list page and none beside a
	// regular page: an index.html with one is a list, whatever its markup.
	listFeed := ""
	if i := slices.IndexFunc(entries, func(e dirEntry) bool { return e.name == hugoRSS }); i >= 0 && entries[i].kind == kindFile && w.want(hugoRSS) {
		listFeed = path.Join(rel, hugoRSS)
	}
	for _, e := range entries {
		childRel := e.name
		if rel != "" {
			childRel = rel + "/" + e.name
		}
		switch {
		case e.kind == kindDir:
			childAbs := filepath.Join(abs, e.name)
			if w.otherRoots[childAbs] {
				continue
			}
			if err := w.dir(childAbs, childRel); err != nil {
				return err
			}
		case e.kind != kindFile:
			// Links, devices, sockets: never followed or read.
		case w.sweep && isStaleTemp(e.name):
			p := filepath.Join(abs, e.name)
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale temporary file: %w", err)
			}
			w.removed = append(w.removed, p)
		case w.want(e.name):
			f := File{
				Path: filepath.Join(w.root.Dir, filepath.FromSlash(childRel)),
				Rel:  childRel,
				URL:  pageURL(w.root.BaseURL, childRel),
				Root: w.root,
			}
			if e.name == "index.html" {
				f.ListFeed = listFeed
			}
			if err := w.fn(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// dirEntry is an entry of a directory listing, as the walk keeps it: a
// third of an fs.DirEntry's size, since one directory may hold 100,000
// posts.
type dirEntry struct {
	name string
	kind uint8 // kindDir, kindFile (regular), or 0
}

const (
	kindDir = 1 + iota
	kindFile
)

// readDir lists the directory at dir in the order of the Rel paths under
// its entries: by name, a directory's name followed by '/' ("a.html"
// comes before the directory "a", as "a.html" sorts before "a/b.html").
func readDir(dir string) ([]dirEntry, error) {
	list, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	entries := make([]dirEntry, len(list))
	for i, e := range list {
		entries[i].name = e.Name()
		switch t := e.Type(); {
		case t.IsDir():
			entries[i].kind = kindDir
		case t.IsRegular():
			entries[i].kind = kindFile
		}
	}
	slices.SortFunc(entries, func(a, b dirEntry) int {
		n := min(len(a.name), len(b.name))
		if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
			return c
		}
		return cmp.Compare(a.relByte(n), b.relByte(n))
	})
	return entries, nil
}

// relByte is byte i of the entry's name as Rel paths under it spell it: a
// directory's name goes on with '/'; -1 past the end.
func (e dirEntry) relByte(i int) int {
	switch {
	case i < len(e.name):
		return int(e.name[i])
	case i == len(e.name) && e.kind == kindDir:
		return '/'
	}
	return -1
}

// tempPattern is how WriteFileAtomic names its temporary files: a dot, the
// name of the file it replaces, ".tmp-" and the digits os.CreateTemp puts
// in place of the star. isStaleTemp must keep recognising it.
const tempPattern = ".%s.tmp-*"

// isStaleTemp reports whether name is a temporary file of WriteFileAtomic
// for a file it writes into a publish dir (a page, _headers, _redirects). A
// run killed between creating and renaming one leaves it behind, and a host
// would deploy it; nothing else is named that way.
func isStaleTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return false
	}
	i := strings.LastIndex(rest, ".tmp-")
	if i <= 0 {
		return false
	}
	digits := rest[i+len(".tmp-"):]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	base := rest[:i]
	return isHTML(base) || base == "_headers" || base == "_redirects"
}

// SweepReport is what Sweep found.
type SweepReport struct {
	// Pages counts the pages (HTML files) under the roots, as Inject and
	// send count them.
	Pages int `json:"pages"`
	// Removed are the stale temporary files removed, by path.
	Removed []string `json:"removed_temp_files,omitempty"`
}

// Sweep walks roots once (as WalkRoots does): it removes the temporary
// files that a run of hugo-pingback killed mid-write left behind (see
// WriteFileAtomic; a host would deploy them) and counts the pages. Inject
// removes them on its own walk; `build` calls Sweep after Hugo has written
// the site. Two runs writing one publish dir at once are not supported: the
// second would take the first one's temporary files for stale.
func Sweep(roots []config.Root) (*SweepReport, error) {
	pages := 0
	removed, err := walkRoots(roots, isHTML, true, func(File) error {
		pages++
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &SweepReport{Pages: pages, Removed: removed}, nil
}

// WriteFileAtomic replaces the file at path with data: it writes a
// temporary file in the same directory, syncs it to disk, gives it the
// original's permission bits (0644 for a new file) and renames it over path,
// then syncs the directory. Readers see the old bytes or the new, never a
// mix, and a crash at any point leaves one of the two.
func WriteFileAtomic(path string, data []byte) error {
	return writeFileAtomic(path, data, true)
}

// writeFileAtomic is WriteFileAtomic with the fsyncs optional. Inject skips
// them for pages: the rename alone already protects against a killed
// process, and syncing 10,000 pages would cost more than the build (the
// build itself does not sync what it writes).
func writeFileAtomic(path string, data []byte, sync bool) (err error) {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("write %s: not a regular file", path)
		}
		mode = fi.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, fmt.Sprintf(tempPattern, base))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if sync {
		if err = f.Sync(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if sync {
		// Make the rename itself durable; not every filesystem can sync a
		// directory, and the data is already safe, so a failure is ignored.
		if d, derr := os.Open(dir); derr == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}
