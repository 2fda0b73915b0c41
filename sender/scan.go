package sender

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// maxPageBytes caps what is read of one page: a larger file is reported and
// skipped, never loaded whole.
const maxPageBytes = 32 << 20

// scanWindow bounds how far the scan's workers read ahead of the planner:
// a page's bytes are released once it is hashed (and parsed, if it
// changed), and only the links of changed pages reach the planner.
const scanWindow = 256

// freeAfterWalk is the number of pages from which the memory of the walk is
// given back at once: for a small site it does not matter.
const freeAfterWalk = 20000

// headChunk is how many pages' ledger records are looked up in one read
// transaction.
const headChunk = 256

// scannedPage is one HTML file of the build as this run sees it. Only
// pages whose bytes or settings changed carry more than their counts.
type scannedPage struct {
	file site.File
	head state.PageHead // the ledger's record of the page when the run began
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
	// skipped are the content links not notified and why: opted out by rel
	// or class, too long, missing from the published file.
	skipped   []Item
	warnings  []string
	title     string
	excerpt   string
	published time.Time
}

// scanResult is what the scan counted.
type scanResult struct {
	Pages      int // HTML files scanned
	NewPages   int // not in the ledger before
	Changed    int // bytes or settings changed
	Unchanged  int // not parsed again
	NotSources int // changed pages that never send: lists, aliases, 404, opted out
	Warnings   []string
	Skipped    []Item
	// urls are the URLs of every page scanned, sorted, to find the known
	// pages that left the site.
	urls []string
	// feeds are the feed files of the build.
	feeds []site.File
}

// scan reads every page of every root, in order, and hands each changed
// page to visit. Unchanged pages cost a read and a hash and go no further;
// only changed ones are tokenized. Workers read ahead of visit by at most
// scanWindow pages. The same walk finds the site's feeds.
func (s *Sender) scan(ctx context.Context, visit func(*scannedPage) error) (*scanResult, error) {
	var dirs []string
	for _, root := range s.cfg.SiteRoots() {
		if _, err := os.Stat(root.Dir); err != nil {
			return nil, fmt.Errorf("publish dir %s: %w (build the site first, or pass --public)", root.Dir, err)
		}
		dirs = append(dirs, root.Dir)
	}
	files, feeds, err := site.Contents(s.cfg.SiteRoots())
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", strings.Join(dirs, ", "), err)
	}
	res := &scanResult{feeds: feeds}
	files = slices.DeleteFunc(files, func(f site.File) bool {
		if len(f.URL) <= linkurl.MaxLength {
			return false
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: its URL is %d bytes, longer than %d; the page is not scanned", f.Path, len(f.URL), linkurl.MaxLength))
		return true
	})
	if len(files) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoPages, strings.Join(dirs, ", "))
	}
	sc := &scanner{
		s:        s,
		opts:     &renderer.Options{Content: s.cfg.Content, SkipRels: s.cfg.SkipRels, SkipClasses: s.cfg.SkipClasses},
		settings: s.settingsFingerprint(),
		heads:    make([]headLookup, (len(files)+headChunk-1)/headChunk),
	}
	sc.files, sc.roots = compactFiles(files)
	// The compact list is all the scan keeps of every page: the walk's
	// listing (three times its size, and the garbage of making it) goes
	// back to the system now, before the scan and the ledger's memory map
	// grow, rather than when the runtime gets round to it.
	files = nil
	if len(sc.files) > freeAfterWalk {
		debug.FreeOSMemory()
		s.boundMemory()
	}
	res.urls = make([]string, 0, len(sc.files))
	err = sc.run(ctx, func(p *scannedPage) error {
		res.Pages++
		res.urls = append(res.urls, p.file.URL)
		switch {
		case !p.changed:
			res.Unchanged++
		case !p.head.Known || p.head.Deleted:
			res.NewPages++
		default:
			res.Changed++
		}
		if !p.source {
			res.NotSources++
		}
		res.Warnings = append(res.Warnings, p.warnings...)
		if s.opts.Verbose {
			res.Skipped = append(res.Skipped, p.skipped...)
		}
		if !p.changed {
			return nil
		}
		return visit(p)
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(res.Warnings)
	slices.Sort(res.urls)
	return res, nil
}

// pageFile is a page of the scan as it waits for its turn: small, since a
// site of 100,000 pages has 100,000 of them (site.File is three times the
// size, with its path and root spelled out).
type pageFile struct {
	rel, url string
	listFeed string // site.File.ListFeed
	root     int    // index in scanner.roots
}

// compactFiles turns site.Files into pageFiles and their roots.
func compactFiles(files []site.File) ([]pageFile, []config.Root) {
	var roots []config.Root
	index := map[config.Root]int{}
	out := make([]pageFile, len(files))
	for i, f := range files {
		r, ok := index[f.Root]
		if !ok {
			r = len(roots)
			index[f.Root] = r
			roots = append(roots, f.Root)
		}
		out[i] = pageFile{rel: f.Rel, url: f.URL, listFeed: f.ListFeed, root: r}
	}
	return out, roots
}

// file is the site.File of page i.
func (sc *scanner) file(i int) site.File {
	f := sc.files[i]
	root := sc.roots[f.root]
	return site.File{Path: filepath.Join(root.Dir, filepath.FromSlash(f.rel)), Rel: f.rel, URL: f.url, Root: root, ListFeed: f.listFeed}
}

// scanner runs the scan's workers over a list of files.
type scanner struct {
	s        *Sender
	files    []pageFile
	roots    []config.Root
	opts     *renderer.Options
	settings uint64
	heads    []headLookup
}

// headLookup is the ledger records of one chunk of files, read once by
// whichever worker needs them first.
type headLookup struct {
	once  sync.Once
	heads []state.PageHead
	err   error
}

// slot holds one scanned page until the consumer takes it.
type slot struct {
	p    *scannedPage
	err  error
	done chan struct{}
}

// run scans the files with GOMAXPROCS workers and calls consume with each
// page in file order. Pages are taken by index from a shared counter; a
// worker takes a new index only with one of scanWindow tokens, which
// consume gives back, so at most scanWindow pages are in memory at once.
func (sc *scanner) run(ctx context.Context, consume func(*scannedPage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := len(sc.files)
	ring := make([]slot, scanWindow)
	for i := range ring {
		ring[i].done = make(chan struct{})
	}
	tokens := make(chan struct{}, scanWindow)
	for range scanWindow {
		tokens <- struct{}{}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-tokens:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				sl := &ring[i%scanWindow]
				sl.p, sl.err = sc.page(i)
				close(sl.done)
			}
		}()
	}
	defer wg.Wait() // after cancel: no worker outlives the scan
	for i := range n {
		sl := &ring[i%scanWindow]
		select {
		case <-sl.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		p, err := sl.p, sl.err
		// Free the slot before giving its token back: the worker that gets
		// the token may fill it at once.
		sl.p, sl.err, sl.done = nil, nil, make(chan struct{})
		tokens <- struct{}{}
		if err != nil {
			return err
		}
		if err := consume(p); err != nil {
			return err
		}
		if i%headChunk == headChunk-1 {
			sc.heads[i/headChunk].heads = nil // consumed
		}
	}
	return ctx.Err()
}

// head returns the ledger's record of file i, looking up its chunk once.
func (sc *scanner) head(i int) (state.PageHead, error) {
	c := &sc.heads[i/headChunk]
	c.once.Do(func() {
		if sc.s.ledger == nil {
			c.heads = make([]state.PageHead, headChunk)
			return
		}
		start := i / headChunk * headChunk
		chunk := sc.files[start:min(start+headChunk, len(sc.files))]
		urls := make([]string, len(chunk))
		for j, f := range chunk {
			urls[j] = f.url
		}
		c.heads, c.err = sc.s.ledger.PageHeads(urls)
	})
	if c.err != nil {
		return state.PageHead{}, c.err
	}
	return c.heads[i%headChunk], nil
}

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// page reads, hashes and, when changed, extracts file i. A page that
// cannot be read is an error naming the file; a page too large to read is
// a warning and is not a source.
func (sc *scanner) page(i int) (*scannedPage, error) {
	f := sc.file(i)
	head, err := sc.head(i)
	if err != nil {
		return nil, err
	}
	p := &scannedPage{file: f, head: head}
	if why := site.SkipReason(f.Rel); why != "" {
		p.skip, p.hash = why, "skip"
		return p, nil
	}
	s := sc.s
	info, hugo := s.opts.Pages[f.URL]
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	src, size, err := readPage(f.Path, buf)
	if err != nil {
		return nil, fmt.Errorf("read page %s: %w", f.Path, err)
	}
	if src == nil {
		p.skip = "larger than 32 MiB"
		p.hash = fmt.Sprintf("size-%d", size)
		p.changed = !head.Known || head.Deleted || head.Hash != p.hash
		p.warnings = []string{fmt.Sprintf("%s: %d bytes, larger than the 32 MiB page limit; not scanned", f.Path, size)}
		return p, nil
	}
	// One 64-bit hash of the bytes and of what shapes their reading (the
	// settings, the Hugo site's data of the page): 16 characters in the
	// ledger for every page.
	h := xxhash.Sum64(src) ^ sc.settings
	if s.opts.Pages != nil {
		h ^= pageInfoFingerprint(info, hugo)
	}
	p.hash = fmt.Sprintf("%016x", h)
	p.changed = !head.Known || head.Deleted || head.Hash != p.hash
	if !p.changed {
		p.source = true // its links are settled in the ledger already
		return p, nil
	}

	switch {
	case s.opts.Pages != nil && !hugo:
		p.skip, p.goneFromHugo = "not a regular page of the Hugo site", true
		return p, nil
	case hugo && info.NoSend:
		p.skip = "pingback: false in front matter"
		return p, nil
	case !hugo && f.ListFeed != "":
		p.skip = "list page (Hugo wrote its feed " + f.ListFeed + ")"
		return p, nil
	}
	pageURL := linkurl.Parse(f.URL)
	if pageURL == nil {
		return nil, fmt.Errorf("page %s: bad URL %q", f.Path, f.URL)
	}
	ex, err := renderer.Extract(src, pageURL, sc.opts)
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", f.Path, err)
	}
	p.title, p.excerpt = ex.Title, ex.Excerpt
	p.published = info.Published
	switch ex.Kind {
	case renderer.KindList:
		if !hugo {
			p.skip = "list page"
			return p, nil
		}
	case renderer.KindAlias:
		p.skip = "alias (redirect) page"
		return p, nil
	}
	p.source = true
	if hugo && info.Links != nil {
		var hidden []string
		p.links, hidden = hugoLinks(src, pageURL, info, sc.opts)
		for _, h := range hidden {
			p.warnings = append(p.warnings, fmt.Sprintf("%s: link to %s is in the page's content but not in the published file; not sent", f.URL, h))
			p.skipped = append(p.skipped, skippedLink(f.URL, h, "in the page's content but not in the published file"))
		}
		if info.Title != "" {
			p.title = info.Title
		}
	} else {
		for _, l := range ex.Links {
			if l.Skip == "" {
				p.links = append(p.links, l.URL)
			} else if s.opts.Verbose {
				p.skipped = append(p.skipped, skippedLink(f.URL, l.URL, l.Skip))
			}
		}
	}
	var long []string
	p.links, long = dropLong(p.links)
	if len(long) > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%s (%s): %d link(s) longer than %d bytes not notified, the first of %d bytes: %.60s…",
			f.URL, f.Path, len(long), linkurl.MaxLength, len(long[0]), long[0]))
		for _, l := range long {
			p.skipped = append(p.skipped, skippedLink(f.URL, fmt.Sprintf("%.60s…", l), fmt.Sprintf("%d bytes, longer than %d", len(l), linkurl.MaxLength)))
		}
	}
	p.version = linksVersion(p.links)
	return p, nil
}

// skippedLink is the report's line for a content link that is not notified.
func skippedLink(source, target, why string) Item {
	return Item{Source: source, Target: target, Kind: KindNew, Status: string(state.StatusSkipped), Error: why}
}

// dropLong takes out the links longer than linkurl.MaxLength, which no
// receiver would take and the ledger cannot key: one odd or hostile link
// must not stop the run for every page.
func dropLong(links []string) (kept, long []string) {
	for _, l := range links {
		if len(l) > linkurl.MaxLength {
			long = append(long, l)
		} else {
			kept = append(kept, l)
		}
	}
	return kept, long
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

// readPage reads a whole page into *buf (grown as needed), or returns nil
// and its size when it is larger than maxPageBytes. The bytes are valid
// until *buf is used again.
func readPage(path string, buf *[]byte) ([]byte, int64, error) {
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
	want := int(fi.Size()) + 1 // +1 sees a file that grew
	if cap(*buf) < want {
		*buf = make([]byte, want+want/4)
	}
	b := (*buf)[:want]
	n, err := io.ReadFull(f, b)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return b[:n], int64(n), nil
	case err != nil:
		return nil, 0, err
	}
	rest, err := io.ReadAll(io.LimitReader(f, maxPageBytes))
	if err != nil {
		return nil, 0, err
	}
	all := append(b, rest...)
	if int64(len(all)) > maxPageBytes {
		return nil, int64(len(all)), nil
	}
	return all, int64(len(all)), nil
}

// hugoLinks sorts the links of Hugo's rendered content, which are final
// (see site.PageInfo), into those the published file really carries and
// those it does not: theme chrome never counts, and content a theme hides is
// reported, not sent.
func hugoLinks(src []byte, pageURL *url.URL, info PageInfo, opts *renderer.Options) (links, hidden []string) {
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
func (s *Sender) settingsFingerprint() uint64 {
	return xxhash.Sum64String(fmt.Sprintf("v2|%d|%s|%s|%s", renderer.RulesVersion, s.cfg.Content, strings.Join(s.cfg.SkipRels, ","), strings.Join(s.cfg.SkipClasses, ",")))
}

// pageInfoFingerprint changes when what the Hugo site says of a page does.
func pageInfoFingerprint(info PageInfo, ok bool) uint64 {
	if !ok {
		return xxhash.Sum64String("nohugo")
	}
	return xxhash.Sum64String(fmt.Sprintf("%t|%d|%s", info.NoSend, info.Published.Unix(), strings.Join(info.Links, "\n")))
}
