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

// File is one HTML file of a built site.
type File struct {
	// Path is the file's OS path (the root's Dir joined with Rel).
	Path string
	// Rel is the slash-separated path under the root, e.g. "posts/a/index.html".
	Rel string
	// URL is where the file is published: see PageURL.
	URL string
	// Root is the published root the file belongs to.
	Root config.Root
}

// PageURL returns the URL a file at rel (slash-separated, under the publish
// dir) is served at: "a/b/index.html" is baseURL+"a/b/", "x.html" is
// baseURL+"x.html", "index.html" is baseURL. Path segments are
// percent-escaped as in a URL path. A missing trailing slash on baseURL is
// added; an empty baseURL gives the path alone, relative ("a/b/").
func PageURL(baseURL, rel string) string {
	if baseURL != "" && !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	rel = strings.TrimPrefix(rel, "/")
	if rel == "index.html" {
		rel = ""
	} else if strings.HasSuffix(rel, "/index.html") {
		rel = strings.TrimSuffix(rel, "index.html")
	}
	return baseURL + (&url.URL{Path: rel}).EscapedPath()
}

// URLPath returns the absolute URL path of a file at rel under a root
// published at baseURL: "/blog/a/b/" for rel "a/b/index.html" and base
// "https://example.org/blog/". It is the form `_redirects` rules use.
func URLPath(baseURL, rel string) string {
	p := PageURL("", rel)
	if u, err := url.Parse(PageURL(baseURL, rel)); err == nil && baseURL != "" {
		p = u.EscapedPath()
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
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
// sorted Rel order. Symbolic links below the root are never followed (a
// linked page is not a file Walk may rewrite, and there are no link loops to
// fall into); the root itself may be a link. Errors name the path.
func Walk(root config.Root, fn func(File) error) error {
	files, err := list(root, nil, isHTML)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// WalkRoots is Walk over several roots. A root nested in another (a
// multilingual site publishing "public" and "public/fr") owns its own
// files: they are visited once, under the innermost root. A directory given
// twice is walked once, under its first root.
func WalkRoots(roots []config.Root, fn func(File) error) error {
	files, err := listRoots(roots, isHTML)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// Contents lists, in one walk, the pages (HTML files, as WalkRoots visits
// them) and the feeds (see IsFeed) under roots, each sorted by Rel within its root.
func Contents(roots []config.Root) (pages, feeds []File, err error) {
	files, err := listRoots(roots, func(name string) bool { return isHTML(name) || IsFeed(name) })
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		if IsFeed(path.Base(f.Rel)) {
			feeds = append(feeds, f)
		} else {
			pages = append(pages, f)
		}
	}
	return pages, feeds, nil
}

// IsFeed reports whether a file name is a feed's: Hugo's RSS output
// (index.xml in every list's directory) and the usual names of RSS and
// Atom feeds. sitemap.xml is not a feed.
func IsFeed(name string) bool {
	switch name {
	case "index.xml", "feed.xml", "atom.xml", "rss.xml":
		return true
	}
	return false
}

func listRoots(roots []config.Root, want func(name string) bool) ([]File, error) {
	dirs := make(map[string]bool, len(roots))
	for _, r := range roots {
		d, err := cleanRoot(r.Dir)
		if err != nil {
			return nil, err
		}
		dirs[d] = true
	}
	var all []File
	seen := make(map[string]bool, len(roots))
	for _, r := range roots {
		d, _ := cleanRoot(r.Dir)
		if seen[d] {
			continue // the same directory twice: its files once
		}
		seen[d] = true
		files, err := list(r, dirs, want)
		if err != nil {
			return nil, err
		}
		all = append(all, files...)
	}
	return all, nil
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

// list returns the files of root whose names want accepts, sorted by Rel,
// skipping directories that are other roots (keys of otherRoots, cleaned
// absolute paths).
func list(root config.Root, otherRoots map[string]bool, want func(name string) bool) ([]File, error) {
	start, err := cleanRoot(root.Dir)
	if err != nil {
		return nil, err
	}
	var files []File
	err = filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		if d.IsDir() {
			if p != start && otherRoots[p] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !want(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(start, p)
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		rel = filepath.ToSlash(rel)
		files = append(files, File{
			Path: filepath.Join(root.Dir, filepath.FromSlash(rel)),
			Rel:  rel,
			URL:  PageURL(root.BaseURL, rel),
			Root: root,
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Rel, b.Rel) })
	return files, nil
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
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
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
