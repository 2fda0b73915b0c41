package site

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/hugo-pingback/hugo-pingback/renderer"
)

// ErrUndo is returned by Injector.Undo for a page it cannot give back its
// bytes of before the injection: the file changed since it was written.
var ErrUndo = errors.New("cannot take the injected tags out")

// Injector injects link tags into pages as a build writes them, and takes
// them out again of pages found afterwards to be opted out (front matter is
// known only after the build), without keeping pages in memory.
//
// Transform is the hook a build calls with each page it writes (see
// hugosite.Options.Transform); Undo and Report are called after the build.
// For a page that only had tags inserted (nearly all pages) it remembers
// where and what; for the rare page whose existing tags were replaced or
// removed it keeps a copy of the page as the build rendered it.
type Injector struct {
	// Tags are the endpoints advertised in every page; set before the build.
	Tags renderer.Tags
	// Root, when set, is the publish dir: Report names pages by their slash
	// path under it, as Inject does for one root. Otherwise it names them by
	// their slash file path.
	Root string

	mu     sync.Mutex
	pages  map[string]*injected // by clean absolute path
	intern map[string]string    // the distinct inserted byte strings
}

// The states of a transformed page.
const (
	pageUnchanged = iota
	pageChanged
	pageNotHTML
)

// injected is what Transform did to one page, and how to undo it.
type injected struct {
	state    uint8
	skipped  bool     // undone: opted out
	replaced []string // "old → new"

	// A pure insertion: out = src[:off] + ins + src[off:].
	off int
	ins string // interned: most pages share it
	// Otherwise (state pageChanged, ins empty): the page as rendered, and
	// the length and hash of what was written instead.
	orig   []byte
	outLen int
	outSum uint64
	// lost is set when the build rewrote a page of the second kind with
	// other bytes: its original is no longer known.
	lost bool
}

// NewInjector returns an Injector advertising tags.
func NewInjector(tags renderer.Tags) *Injector {
	return &Injector{Tags: tags}
}

// Transform returns src, the page at path (absolute), with the tags
// injected (renderer.Inject), and records how to undo it. It is safe for
// concurrent use and keeps no reference to src or to the result.
//
// A page written twice (Hugo rewrites pages with deferred templates after
// writing them) comes back with the tags already in; Transform then leaves
// it as it is and finds the inserted tags again, so Undo still works.
func (in *Injector) Transform(path string, src []byte) []byte {
	path = filepath.Clean(path)
	out, res := renderer.Inject(src, in.Tags)
	rec := &injected{state: pageUnchanged}
	var ins []byte // the bytes inserted, when that is all that changed
	switch {
	case res.NotHTML:
		rec.state = pageNotHTML
	case res.Changed:
		rec.state = pageChanged
		for i, old := range res.Replaced {
			to := in.Tags.Pingback
			if res.ReplacedRel[i] == renderer.RelWebmention {
				to = in.Tags.Webmention
			}
			rec.replaced = append(rec.replaced, old+" → "+to)
		}
		if off, n, ok := insertion(src, out); ok {
			rec.off = off
			ins = out[off : off+n]
		} else {
			rec.orig = bytes.Clone(src)
			rec.outLen = len(out)
			rec.outSum = xxhash.Sum64(out)
		}
	}

	in.mu.Lock()
	defer in.mu.Unlock()
	if in.pages == nil {
		in.pages = map[string]*injected{}
		in.intern = map[string]string{}
	}
	if prev := in.pages[path]; prev != nil && prev.state == pageChanged && !res.Changed && prev.rewritten(src) {
		return out // the build rewrote our output: prev still says how to undo it
	}
	if ins != nil {
		s, ok := in.intern[string(ins)]
		if !ok {
			s = string(ins)
			in.intern[s] = s
		}
		rec.ins = s
	}
	in.pages[path] = rec
	return out
}

// insertion reports whether out is src with n bytes inserted at off, and
// where: off is the length of their common prefix.
func insertion(src, out []byte) (off, n int, ok bool) {
	n = len(out) - len(src)
	if n <= 0 {
		return 0, 0, false
	}
	for off < len(src) && src[off] == out[off] {
		off++
	}
	return off, n, bytes.Equal(out[off+n:], src[off:])
}

// rewritten updates rec, a changed page, for src, the page the build wrote
// again over the output of Transform, unchanged by Inject this time. It
// reports false when src is not that output rewritten (a new page that
// happens to carry the tags already), which then replaces rec.
func (rec *injected) rewritten(src []byte) bool {
	if rec.ins != "" {
		if rec.off+len(rec.ins) <= len(src) && string(src[rec.off:rec.off+len(rec.ins)]) == rec.ins {
			return true
		}
		i := bytes.Index(src, []byte(rec.ins))
		if i < 0 {
			return false
		}
		rec.off = i
		return true
	}
	if len(src) != rec.outLen || xxhash.Sum64(src) != rec.outSum {
		rec.lost = true
	}
	return true
}

// Undo gives the pages at paths (absolute) back their bytes of before
// Transform, for pages found after the build to be opted out. A path
// Transform never saw is ignored. A page that changed since it was written
// is left as it is and reported in the error (ErrUndo, naming the file);
// the others are still undone.
func (in *Injector) Undo(paths []string) error {
	var errs []error
	for _, p := range paths {
		p = filepath.Clean(p)
		in.mu.Lock()
		rec := in.pages[p]
		var undo injected
		if rec != nil {
			undo = *rec
		}
		in.mu.Unlock()
		if rec == nil || undo.skipped {
			continue
		}
		if undo.state == pageChanged {
			if err := undo.restore(p); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		in.mu.Lock()
		rec.skipped = true
		rec.orig = nil
		in.mu.Unlock()
	}
	return errors.Join(errs...)
}

// restore writes the page at path back without the injection.
func (rec *injected) restore(path string) error {
	if rec.lost {
		return fmt.Errorf("undo inject in %s: %w: the build rewrote the page after the tags were injected", path, ErrUndo)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("undo inject in %s: %w", path, err)
	}
	var orig []byte
	if rec.ins != "" {
		end := rec.off + len(rec.ins)
		if end > len(b) || string(b[rec.off:end]) != rec.ins {
			return fmt.Errorf("undo inject in %s: %w: the tags are no longer at byte %d", path, ErrUndo, rec.off)
		}
		orig = append(b[:rec.off:rec.off], b[end:]...)
	} else {
		if len(b) != rec.outLen || xxhash.Sum64(b) != rec.outSum {
			return fmt.Errorf("undo inject in %s: %w: the page changed since it was written", path, ErrUndo)
		}
		orig = rec.orig
	}
	// Unsynced, as Inject writes pages: the rename keeps it whole.
	return writeFileAtomic(path, orig, false)
}

// Report sums up what Transform and Undo did, as Inject's report does:
// pages undone count as Skipped, and neither their files nor their replaced
// tags are listed. Files and Replaced are sorted by page.
func (in *Injector) Report() *InjectReport {
	in.mu.Lock()
	defer in.mu.Unlock()
	paths := make([]string, 0, len(in.pages))
	for p := range in.pages {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	rep := &InjectReport{Pages: len(paths)}
	for _, p := range paths {
		rec := in.pages[p]
		switch {
		case rec.skipped:
			rep.Skipped++
			continue
		case rec.state == pageNotHTML:
			rep.NotHTML++
			continue
		case rec.state == pageUnchanged:
			rep.Unchanged++
			continue
		}
		rep.Changed++
		name := in.name(p)
		rep.Files = append(rep.Files, name)
		for _, r := range rec.replaced {
			rep.Replaced = append(rep.Replaced, name+": "+r)
		}
	}
	return rep
}

// name is how the report names the page at path.
func (in *Injector) name(path string) string {
	if in.Root != "" {
		if rel, err := filepath.Rel(in.Root, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(path)
}
