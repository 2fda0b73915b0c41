package sender

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/sync/errgroup"

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// maxPageBytes caps what is read of one page: a larger file is reported and
// skipped, never loaded whole.
const maxPageBytes = 32 << 20

// scannedPage is one HTML file of the build as this run sees it.
type scannedPage struct {
	file site.File
	hash string
	// changed is true for pages that are new or whose hash differs from the
	// ledger's; only those were parsed.
	changed bool
	// source is true for pages that may send; skip says why not.
	source bool
	skip   string
	// links are the notifiable content links (changed pages only).
	links []string
	// version names the set of links: Webmention targets hear again when it
	// changes (not on every byte of the page, or a theme edit would re-send
	// every Webmention of the site).
	version string
	// goneFromHugo is a file the Hugo site no longer lists as a page.
	goneFromHugo bool
	// hidden are links of Hugo's rendered content missing from the file.
	hidden    []string
	title     string
	excerpt   string
	published time.Time
}

// scan reads every page of every root. Unchanged pages cost a read and a
// hash; only changed ones are tokenized. The same walk finds the site's
// feeds, returned for the update services.
func (s *Sender) scan(ctx context.Context, known map[string]state.Page, rep *Report) ([]*scannedPage, []site.File, error) {
	var dirs []string
	for _, root := range s.cfg.SiteRoots() {
		if _, err := os.Stat(root.Dir); err != nil {
			return nil, nil, fmt.Errorf("publish dir %s: %w (build the site first, or pass --public)", root.Dir, err)
		}
		dirs = append(dirs, root.Dir)
	}
	files, feeds, err := site.Contents(s.cfg.SiteRoots())
	if err != nil {
		return nil, nil, fmt.Errorf("scan %s: %w", strings.Join(dirs, ", "), err)
	}
	files = slices.DeleteFunc(files, func(f site.File) bool {
		if len(f.URL) <= linkurl.MaxLength {
			return false
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: its URL is %d bytes, longer than %d; the page is not scanned", f.Path, len(f.URL), linkurl.MaxLength))
		return true
	})
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w in %s", ErrNoPages, strings.Join(dirs, ", "))
	}

	opts := &renderer.Options{Content: s.cfg.Content, SkipRels: s.cfg.SkipRels, SkipClasses: s.cfg.SkipClasses}
	settings := s.settingsFingerprint()
	pages := make([]*scannedPage, len(files))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			p, warn, err := s.scanPage(f, known, opts, settings)
			if err != nil {
				return err
			}
			pages[i] = p
			if warn != "" {
				mu.Lock()
				rep.Warnings = append(rep.Warnings, warn)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	sort.Strings(rep.Warnings)
	for _, p := range pages {
		rep.Pages++
		switch {
		case !p.changed:
			rep.Unchanged++
		case known[p.file.URL].URL == "" || known[p.file.URL].Deleted:
			rep.NewPages++
		default:
			rep.Changed++
		}
		if !p.source {
			rep.NotSources++
		}
	}
	return pages, feeds, nil
}

// scanPage reads, hashes and, when changed, extracts one page. A page that
// cannot be read is an error naming the file; a page too large to read is a
// warning and is not a source.
func (s *Sender) scanPage(f site.File, known map[string]state.Page, opts *renderer.Options, settings string) (*scannedPage, string, error) {
	p := &scannedPage{file: f}
	if why := site.SkipReason(f.Rel); why != "" {
		p.skip = why
		p.hash = "skip"
		return p, "", nil
	}
	info, hugo := s.opts.Pages[f.URL]
	src, size, err := readPage(f.Path)
	if err != nil {
		return nil, "", fmt.Errorf("read page %s: %w", f.Path, err)
	}
	if src == nil {
		p.skip = "larger than 32 MiB"
		p.hash = fmt.Sprintf("size-%d", size)
		return p, fmt.Sprintf("%s: %d bytes, larger than the 32 MiB page limit; not scanned", f.Path, size), nil
	}
	pageSettings := settings
	if s.opts.Pages != nil {
		pageSettings += "|" + pageInfoFingerprint(info, hugo)
	}
	p.hash = fmt.Sprintf("%016x-%s", xxhash.Sum64(src), pageSettings)
	old, seen := known[f.URL]
	p.changed = !seen || old.Deleted || old.Hash != p.hash
	if !p.changed {
		p.source = true // its links are settled in the ledger already
		return p, "", nil
	}

	switch {
	case s.opts.Pages != nil && !hugo:
		p.skip, p.goneFromHugo = "not a regular page of the Hugo site", true
		return p, "", nil
	case hugo && info.NoSend:
		p.skip = "pingback: false in front matter"
		return p, "", nil
	case !hugo && f.ListFeed != "":
		p.skip = "list page (Hugo wrote its feed " + f.ListFeed + ")"
		return p, "", nil
	}
	pageURL, err := url.Parse(f.URL)
	if err != nil {
		return nil, "", fmt.Errorf("page %s: bad URL %q: %w", f.Path, f.URL, err)
	}
	ex, err := renderer.Extract(src, pageURL, opts)
	if err != nil {
		return nil, "", fmt.Errorf("page %s: %w", f.Path, err)
	}
	p.title, p.excerpt = ex.Title, ex.Excerpt
	p.published = info.Published
	switch ex.Kind {
	case renderer.KindList:
		if !hugo {
			p.skip = "list page"
			return p, "", nil
		}
	case renderer.KindAlias:
		p.skip = "alias (redirect) page"
		return p, "", nil
	}
	p.source = true
	if hugo && info.Links != nil {
		p.links, p.hidden = s.hugoLinks(src, pageURL, info, opts)
		if info.Title != "" {
			p.title = info.Title
		}
	} else {
		for _, l := range ex.Links {
			if l.Skip == "" {
				p.links = append(p.links, l.URL)
			}
		}
	}
	var warn string
	if p.links, warn = dropLong(f, p.links); warn != "" {
		p.hidden, _ = dropLong(f, p.hidden)
	}
	p.version = linksVersion(p.links)
	return p, warn, nil
}

// dropLong takes out the links longer than linkurl.MaxLength, which no
// receiver would take and the ledger cannot key, and says which page had
// them: one odd or hostile link must not stop the run for every page.
func dropLong(f site.File, links []string) (kept []string, warn string) {
	var long []string
	for _, l := range links {
		if len(l) > linkurl.MaxLength {
			long = append(long, l)
		} else {
			kept = append(kept, l)
		}
	}
	if len(long) == 0 {
		return links, ""
	}
	return kept, fmt.Sprintf("%s (%s): %d link(s) longer than %d bytes not notified, the first of %d bytes: %.60s…",
		f.URL, f.Path, len(long), linkurl.MaxLength, len(long[0]), long[0])
}

// linksVersion is a short hash of a set of links, whatever their order.
func linksVersion(links []string) string {
	sorted := append([]string(nil), links...)
	sort.Strings(sorted)
	h := fnv.New64a()
	for _, l := range sorted {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("links-%016x", h.Sum64())
}

// readPage reads a whole page, or returns nil and its size when it is larger
// than maxPageBytes.
func readPage(path string) ([]byte, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if fi.Size() > maxPageBytes {
		return nil, fi.Size(), nil
	}
	buf := make([]byte, fi.Size()+1) // +1 sees a file that grew
	n, err := io.ReadFull(f, buf)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return buf[:n], int64(n), nil
	case err != nil:
		return nil, 0, err
	}
	rest, err := io.ReadAll(io.LimitReader(f, maxPageBytes))
	if err != nil {
		return nil, 0, err
	}
	return append(buf, rest...), int64(n + len(rest)), nil
}

// hugoLinks sorts the links of Hugo's rendered content, which are final
// (see site.PageInfo), into those the published file really carries and
// those it does not: theme chrome never counts, and content a theme hides is
// reported, not sent.
func (s *Sender) hugoLinks(src []byte, pageURL *url.URL, info PageInfo, opts *renderer.Options) (links, hidden []string) {
	inFile := map[string]bool{}
	if all, err := renderer.Links(bytes.NewReader(src), pageURL, opts); err == nil {
		for _, l := range all {
			inFile[l.URL] = true
		}
	}
	for _, target := range info.Links {
		if inFile[target] {
			links = append(links, target)
		} else {
			hidden = append(hidden, target)
		}
	}
	return links, hidden
}

// settingsFingerprint changes when a setting that shapes extraction changes,
// so that pages are re-parsed under new rules although their bytes did not.
func (s *Sender) settingsFingerprint() string {
	h := fnv.New32a()
	fmt.Fprintf(h, "v1|%d|%s|%s|%s", renderer.RulesVersion, s.cfg.Content, strings.Join(s.cfg.SkipRels, ","), strings.Join(s.cfg.SkipClasses, ","))
	return fmt.Sprintf("%08x", h.Sum32())
}

func pageInfoFingerprint(info PageInfo, ok bool) string {
	if !ok {
		return "nohugo"
	}
	h := fnv.New32a()
	fmt.Fprintf(h, "%t|%d|%s", info.NoSend, info.Published.Unix(), strings.Join(info.Links, "\n"))
	return fmt.Sprintf("%08x", h.Sum32())
}
