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

	"github.com/hugo-pingback/hugo-pingback/linkurl"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
	"github.com/hugo-pingback/hugo-pingback/state"
)

// maxPageBytes caps what is read of one page: a larger file is reported and
// skipped, never loaded whole.
const maxPageBytes = 32 << 20

// chunkPages is how many pages make one unit of the scan's work: their
// ledger records are looked up in one read transaction, and one worker
// reads them in turn.
const chunkPages = 64

// scanWindow bounds how many chunks the walk and the workers are ahead of
// the planner: a page's bytes are released once it is hashed (and parsed,
// if it changed), and only the links of changed pages reach the planner.
const scanWindow = 4

// boundAfter is the number of pages from which a --baseline bounds its
// memory (see boundMemory): for a small site it does not matter.
const boundAfter = 20000

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
	// seen are the ledger records of the pages scanned, and those made
	// after lastRecord (by this run): the known pages whose records it
	// lacks left the site.
	seen       recordSet
	lastRecord uint64
	// feeds are the feed files of the build.
	feeds []site.File
}

// recordSet is a set of ledger records (state.PageHead.Record): a bitmap,
// since records are numbered densely from 1.
type recordSet []uint64

func (s *recordSet) add(r uint64) {
	i := int(r / 64)
	if i >= len(*s) {
		*s = append(*s, make([]uint64, i+1-len(*s))...)
	}
	(*s)[i] |= 1 << (r % 64)
}

func (s recordSet) has(r uint64) bool {
	i := int(r / 64)
	return i < len(s) && s[i]&(1<<(r%64)) != 0
}

// scanned reports whether the scan saw the page of a ledger record, or
// made the record itself.
func (res *scanResult) scanned(record uint64) bool {
	return record > res.lastRecord || res.seen.has(record)
}

// scan walks every root and hands each changed page to visit, in the order
// of the walk (root by root, sorted by path), as the walk finds them: the
// site is never listed whole. Unchanged pages cost a read and a hash and
// go no further; only changed ones are tokenized. The same walk finds the
// site's feeds.
func (s *Sender) scan(ctx context.Context, visit func(*scannedPage) error) (*scanResult, error) {
	var dirs []string
	for _, root := range s.cfg.SiteRoots() {
		if _, err := os.Stat(root.Dir); err != nil {
			return nil, fmt.Errorf("publish dir %s: %w (build the site first, or pass --public)", root.Dir, err)
		}
		dirs = append(dirs, root.Dir)
	}
	sc := &scanner{
		s:        s,
		dirs:     dirs,
		opts:     &renderer.Options{Content: s.cfg.Content, SkipRels: s.cfg.SkipRels, SkipClasses: s.cfg.SkipClasses},
		settings: s.settingsFingerprint(),
	}
	res := &scanResult{}
	if s.ledger != nil {
		var err error
		if res.lastRecord, err = s.ledger.LastRecord(); err != nil {
			return nil, err
		}
	}
	sc.known = res.lastRecord > 0
	err := sc.run(ctx, func(p *scannedPage) error {
		res.Pages++
		if res.Pages == boundAfter {
			s.boundMemory()
		}
		if p.head.Known {
			res.seen.add(p.head.Record)
		}
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
	if res.Pages == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoPages, strings.Join(dirs, ", "))
	}
	res.feeds, res.Warnings = sc.feeds, append(res.Warnings, sc.warnings...)
	sort.Strings(res.Warnings)
	return res, nil
}

// scanner runs the scan: a walk of the roots that cuts the pages it finds
// into chunks, workers that read them, and the planner that takes them in
// the walk's order.
type scanner struct {
	s        *Sender
	dirs     []string // the roots' publish dirs, for errors
	opts     *renderer.Options
	settings uint64
	// known is whether the ledger has any page record: a first run looks
	// none up.
	known bool
	// Set by the walk, read once it is over.
	feeds    []site.File
	warnings []string
}

// chunk is a run of pages of the walk, scanned by one worker.
type chunk struct {
	files []site.File
	infos []pageData // the Hugo site's data of files[i], with Options.Pages
	pages []*scannedPage
	err   error
	done  chan struct{} // closed once pages or err is set
}

// run walks the roots and scans the pages with GOMAXPROCS workers, and
// calls consume with each page in the walk's order. The walk hands its
// chunks to the workers and, in order, to consume; it stays at most
// scanWindow chunks ahead, so what the scan holds does not grow with the
// site. A walk error is returned once the pages before it are consumed.
func (sc *scanner) run(ctx context.Context, consume func(*scannedPage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	work := make(chan *chunk, scanWindow)
	order := make(chan *chunk, scanWindow)
	var walkErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(work)
		defer close(order)
		walkErr = sc.walk(func(c *chunk) error {
			select {
			case order <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
			work <- c // never blocks: order holds as many
			return nil
		})
	})
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var buf []byte
			for c := range work {
				sc.scanChunk(ctx, c, &buf)
				close(c.done)
			}
		})
	}
	// Cancel, then wait: a walk blocked on a full window sees the cancel
	// and returns, and no goroutine outlives the scan. (Deferred apart,
	// the wait would run first, and a scan that stops early would hang.)
	defer func() {
		cancel()
		wg.Wait()
	}()
	for c := range order {
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if c.err != nil {
			return c.err
		}
		for i, p := range c.pages {
			c.pages[i] = nil
			if err := consume(p); err != nil {
				return err
			}
		}
	}
	if walkErr != nil { // the walk is over: order is closed
		return walkErr
	}
	return ctx.Err()
}

// walk walks the roots, keeps the feeds and cuts the pages into chunks,
// which it hands to dispatch. Its errors are the walk's, naming the
// publish dirs, and dispatch's, as they are.
func (sc *scanner) walk(dispatch func(*chunk) error) (err error) {
	var match site.PageMatcher
	if sc.s.opts.Pages != nil {
		match = sc.s.opts.Pages.Matcher()
		defer func() {
			if cerr := match.Close(); err == nil {
				err = cerr
			}
		}()
	}
	c := &chunk{done: make(chan struct{})}
	var stopped error // dispatch's
	err = site.WalkContents(sc.s.cfg.SiteRoots(), func(f site.File, feed bool) error {
		switch {
		case feed:
			sc.feeds = append(sc.feeds, f)
			return nil
		case len(f.URL) > linkurl.MaxLength:
			sc.warnings = append(sc.warnings, fmt.Sprintf("%s: its URL is %d bytes, longer than %d; the page is not scanned", f.Path, len(f.URL), linkurl.MaxLength))
			return nil
		}
		c.files = append(c.files, f)
		if match != nil {
			info, ok, err := match.Match(f)
			if err != nil {
				stopped = err
				return err
			}
			c.infos = append(c.infos, pageData{info, ok})
		}
		if len(c.files) < chunkPages {
			return nil
		}
		full := c
		c = &chunk{done: make(chan struct{})}
		stopped = dispatch(full)
		return stopped
	})
	switch {
	case stopped != nil:
		return stopped
	case err != nil:
		return fmt.Errorf("scan %s: %w", strings.Join(sc.dirs, ", "), err)
	case len(c.files) > 0:
		return dispatch(c)
	}
	return nil
}

// scanChunk looks up the ledger records of a chunk's pages in one read
// transaction and scans them in turn; buf is the worker's read buffer.
func (sc *scanner) scanChunk(ctx context.Context, c *chunk, buf *[]byte) {
	if c.err = ctx.Err(); c.err != nil {
		return
	}
	heads := make([]state.PageHead, len(c.files))
	if sc.known {
		urls := make([]string, len(c.files))
		for i, f := range c.files {
			urls[i] = f.URL
		}
		if heads, c.err = sc.s.ledger.PageHeads(urls); c.err != nil {
			return
		}
	}
	c.pages = make([]*scannedPage, len(c.files))
	for i, f := range c.files {
		var pd pageData
		if c.infos != nil {
			pd = c.infos[i]
		}
		if c.pages[i], c.err = sc.page(f, heads[i], pd, buf); c.err != nil {
			return
		}
	}
	c.files, c.infos = nil, nil
}

// pageData is the Hugo site's data of a page, and whether it lists it.
type pageData struct {
	info PageInfo
	hugo bool
}

// page reads, hashes and, when changed, extracts file f, whose ledger
// record is head and Hugo page data pd, reading into *buf (grown as
// needed). A page that cannot
// be read is an error naming the file; a page too large to read is a
// warning and is not a source.
func (sc *scanner) page(f site.File, head state.PageHead, pd pageData, buf *[]byte) (*scannedPage, error) {
	p := &scannedPage{file: f, head: head}
	if why := site.SkipReason(f.Rel); why != "" {
		p.skip, p.hash = why, "skip"
		return p, nil
	}
	s := sc.s
	info, hugo := pd.info, pd.hugo
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
		// Marked deleted when it left Hugo's list (a draft now): while its
		// stale file stays, it stays deleted, not a new page every run.
		p.changed = !(head.Known && head.Deleted)
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
// until *buf is used again. openPage (per platform) opens the file and
// stats it.
func readPage(path string, buf *[]byte) ([]byte, int64, error) {
	f, size, err := openPage(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return readAll(f, size, buf)
}

// readAll reads r, whose size a stat gave, into *buf. A read that brings
// the total to that size without filling the buffer (one byte longer)
// ends it: a page is read with one read. A file that grew or shrank since
// its stat is read to its end, up to maxPageBytes.
func readAll(r io.Reader, size int64, buf *[]byte) ([]byte, int64, error) {
	if size > maxPageBytes {
		return nil, size, nil
	}
	want := int(size) + 1
	if cap(*buf) < want {
		*buf = make([]byte, want+want/4)
	}
	b := (*buf)[:cap(*buf)]
	got := 0
	for {
		if got == len(b) { // it grew since its stat
			if got > maxPageBytes {
				return nil, int64(got), nil
			}
			b = slices.Grow(b, len(b)/2+1)
			b = b[:cap(b)]
			*buf = b
		}
		n, err := r.Read(b[got:])
		got += n
		switch {
		case err != nil && err != io.EOF:
			return nil, 0, err
		case err == nil && n > 0 && (int64(got) != size || got == len(b)):
			continue // short of the size of its stat, or past it
		case got > maxPageBytes:
			return nil, int64(got), nil
		}
		return b[:got], int64(got), nil
	}
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
