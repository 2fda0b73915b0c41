package site

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/renderer"
)

// ErrNoTags is returned by Inject when neither a pingback nor a webmention
// endpoint is given.
var ErrNoTags = errors.New("no endpoint to advertise")

// InjectOptions says what Inject writes.
type InjectOptions struct {
	// Tags are the endpoints advertised in every page.
	Tags renderer.Tags
	// DryRun computes everything and writes nothing.
	DryRun bool
	// Skip holds the pages opted out of receiving (front matter), by Rel
	// path or, where several roots hold the same Rel, by absolute file path;
	// they are counted as Skipped and not read.
	Skip map[string]bool
	// Sync fsyncs every rewritten page. Off by default: the rename already
	// keeps a killed run from leaving a truncated page, the build that wrote
	// the pages did not sync them either, and syncing made a fresh inject
	// about 3.5x slower in BenchmarkInjectFresh.
	Sync bool
	// Concurrency is how many pages are processed at once; 0 means the
	// number of CPUs.
	Concurrency int
	// Logger receives one debug line per changed page and warnings; nil
	// means silence.
	Logger *slog.Logger
}

// InjectReport is what Inject did (or, with DryRun, would do).
type InjectReport struct {
	// Pages counts the HTML files found: Changed + Unchanged + Skipped + NotHTML.
	Pages     int `json:"pages"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	NotHTML   int `json:"not_html"`
	// Replaced lists "page: old → new" for every tag that named another endpoint.
	Replaced []string `json:"replaced,omitempty"`
	// Files lists the changed pages (Rel, or the slash path of the file
	// when there are several roots), in walk order.
	Files []string `json:"files,omitempty"`
	// Removed are the temporary files a killed run left behind, removed
	// (not with DryRun), by path.
	Removed []string `json:"removed_temp_files,omitempty"`
}

// pageResult is one page's outcome, filled in by a worker.
type pageResult struct {
	skipped  bool
	notHTML  bool
	changed  bool
	replaced []string // "old → new"
	inserted []string
}

// Inject advertises opts.Tags in every HTML page under roots, rewriting
// only pages whose bytes change (see renderer.Inject), in parallel. A page
// that cannot be read or written stops the run with an error naming it;
// pages already written stay written (each is complete, old or new).
func Inject(ctx context.Context, roots []config.Root, opts InjectOptions) (*InjectReport, error) {
	if opts.Tags.Pingback == "" && opts.Tags.Webmention == "" {
		return nil, ErrNoTags
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// A killed run's temporary files go on this walk: they must not ship.
	files, removed, err := listRoots(roots, isHTML, !opts.DryRun)
	if err != nil {
		return nil, err
	}
	results := make([]pageResult, len(files))
	limit := opts.Concurrency
	if limit <= 0 {
		limit = runtime.NumCPU()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, f := range files {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			r, err := injectFile(f, opts)
			results[i] = r
			if err == nil && r.changed {
				log.Debug("inject", "page", f.Path, "inserted", r.inserted, "replaced", r.replaced, "dry_run", opts.DryRun)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rep := &InjectReport{Pages: len(files), Removed: removed}
	for i, r := range results {
		name := displayName(files[i], len(roots))
		switch {
		case r.skipped:
			rep.Skipped++
		case r.notHTML:
			rep.NotHTML++
		case r.changed:
			rep.Changed++
			rep.Files = append(rep.Files, name)
		default:
			rep.Unchanged++
		}
		for _, rp := range r.replaced {
			rep.Replaced = append(rep.Replaced, name+": "+rp)
		}
	}

	return rep, nil
}

// injectFile reads one page, injects, and writes it back if it changed.
func injectFile(f File, opts InjectOptions) (pageResult, error) {
	var r pageResult
	if opts.skips(f) {
		r.skipped = true
		return r, nil
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	src, err := readInto(f.Path, *bp)
	if err != nil {
		return r, err
	}
	if cap(src) <= 4<<20 {
		*bp = src[:0] // keep a grown buffer, but not a huge one
	}
	out, res := renderer.Inject(src, opts.Tags)
	r.notHTML = res.NotHTML
	r.changed = res.Changed
	r.inserted = res.Inserted
	for i, old := range res.Replaced {
		to := opts.Tags.Pingback
		if res.ReplacedRel[i] == renderer.RelWebmention {
			to = opts.Tags.Webmention
		}
		r.replaced = append(r.replaced, old+" → "+to)
	}
	if !res.Changed || opts.DryRun {
		return r, nil
	}
	if err := writeFileAtomic(f.Path, out, opts.Sync); err != nil {
		return r, err
	}
	return r, nil
}

// bufPool recycles page buffers: a no-op run reads every page and keeps
// none of them, so one buffer per worker is all it needs.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// readInto reads the file at path into buf (grown if needed).
func readInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read page: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read page %s: %w", path, err)
	}
	// One byte more than the size, so the read that sees EOF needs no growth.
	if n := int(fi.Size()) + 1; cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	buf = buf[:0]
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read page %s: %w", path, err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // the file grew: make room
		}
	}
}

func displayName(f File, nroots int) string {
	if nroots > 1 {
		return filepath.ToSlash(f.Path)
	}
	return f.Rel
}

// skips reports whether f is opted out: Skip names it by its Rel path, or by
// its absolute path where several roots hold the same Rel (multihost sites).
func (o *InjectOptions) skips(f File) bool {
	if len(o.Skip) == 0 {
		return false
	}
	if o.Skip[f.Rel] {
		return true
	}
	abs, err := filepath.Abs(f.Path)
	return err == nil && o.Skip[abs]
}
