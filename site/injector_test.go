package site

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/renderer"
)

var injectorTags = renderer.Tags{
	Pingback:   "https://receiver.example/xmlrpc",
	Webmention: "https://receiver.example/webmention",
}

// build simulates a build writing a page through in.Transform.
func build(t *testing.T, in *Injector, path, page string) string {
	t.Helper()
	out := in.Transform(path, []byte(page))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInjectorUndo: Undo gives an opted-out page back exactly the bytes the
// build rendered, whatever Transform did to it.
func TestInjectorUndo(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		changed bool
	}{
		// The common case: tags inserted after <meta charset>.
		{"insertion", `<!DOCTYPE html><html><head><meta charset="utf-8"><title>A</title></head><body><p>a</p></body></html>`, true},
		// The bytes after the insertion point start like the tags: the
		// common prefix runs into the inserted bytes.
		{"insertion before a link", `<!DOCTYPE html><html><head><link rel="stylesheet" href="/s.css"></head><body></body></html>`, true},
		// XHTML tags end in " />".
		{"xhtml", `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><meta charset="utf-8" /></head><body/></html>`, true},
		// An old receiver's tag: its href is replaced, not a pure insertion.
		{"old receiver", `<!DOCTYPE html><html><head><link rel="pingback" href="https://old.example/xmlrpc.php"><title>B</title></head><body></body></html>`, true},
		// A tag with both rels is removed and two tags inserted, with
		// nothing reported Replaced: still not a pure insertion.
		{"both rels", `<!DOCTYPE html><html><head><link rel="pingback webmention" href="https://receiver.example/xmlrpc"></head><body></body></html>`, true},
		// A duplicate further down is removed.
		{"duplicate in body", `<!DOCTYPE html><html><head></head><body><link rel="webmention" href="https://receiver.example/webmention"></body></html>`, true},
		// Already carrying the tags: nothing to undo.
		{"already tagged", `<!DOCTYPE html><html><head><link rel="pingback" href="https://receiver.example/xmlrpc"><link rel="webmention" href="https://receiver.example/webmention"></head></html>`, false},
		// Not a page: untouched.
		{"fragment", `<p>a fragment</p>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a", "index.html")
			other := filepath.Join(dir, "b", "index.html")
			in := NewInjector(injectorTags)
			out := build(t, in, path, tt.page)
			otherOut := build(t, in, other, tt.page)
			if (out != tt.page) != tt.changed {
				t.Fatalf("Transform changed the page: %v, want %v:\n%s", out != tt.page, tt.changed, out)
			}
			if err := in.Undo([]string{path}); err != nil {
				t.Fatal(err)
			}
			if got := readString(t, path); got != tt.page {
				t.Errorf("after Undo:\n%s\nwant the page as rendered:\n%s", got, tt.page)
			}
			if got := readString(t, other); got != otherOut {
				t.Errorf("a page not undone changed:\n%s", got)
			}
			if rep := in.Report(); rep.Skipped != 1 || rep.Pages != 2 {
				t.Errorf("report %+v: want 2 pages, 1 skipped", rep)
			}
			// A second Undo of the same page does nothing.
			if err := in.Undo([]string{path}); err != nil {
				t.Errorf("second Undo: %v", err)
			}
			if got := readString(t, path); got != tt.page {
				t.Errorf("after a second Undo:\n%s", got)
			}
		})
	}
}

// TestInjectorUndoUnknown: a path Transform never saw is left alone.
func TestInjectorUndoUnknown(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "static.html")
	page := `<!DOCTYPE html><html><head></head></html>`
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	in := NewInjector(injectorTags)
	if err := in.Undo([]string{path, filepath.Join(dir, "missing.html")}); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != page {
		t.Errorf("untransformed page rewritten:\n%s", got)
	}
	if rep := in.Report(); !reflect.DeepEqual(rep, &InjectReport{}) {
		t.Errorf("report %+v, want empty", rep)
	}
}

// TestInjectorUndoChanged: a page that changed since it was written is left
// as it is, with an error naming it; the other pages are still undone.
func TestInjectorUndoChanged(t *testing.T) {
	dir := t.TempDir()
	in := NewInjector(injectorTags)
	page := `<!DOCTYPE html><html><head><title>T</title></head><body></body></html>`
	old := `<!DOCTYPE html><html><head><link rel="pingback" href="https://old.example/x"></head></html>`
	moved := filepath.Join(dir, "moved.html")
	edited := filepath.Join(dir, "edited.html")
	fine := filepath.Join(dir, "fine.html")
	build(t, in, moved, page)
	build(t, in, edited, old)
	build(t, in, fine, page)
	// Someone else rewrote the pages: the tags moved; the copy no longer matches.
	if err := os.WriteFile(moved, []byte("<!-- x -->"+readString(t, moved)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(edited, []byte(readString(t, edited)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	movedBefore, editedBefore := readString(t, moved), readString(t, edited)

	err := in.Undo([]string{moved, edited, fine})
	if !errors.Is(err, ErrUndo) || !strings.Contains(err.Error(), moved) || !strings.Contains(err.Error(), edited) {
		t.Fatalf("Undo: %v, want ErrUndo naming both changed pages", err)
	}
	if readString(t, moved) != movedBefore || readString(t, edited) != editedBefore {
		t.Error("a page that could not be undone was rewritten")
	}
	if got := readString(t, fine); got != page {
		t.Errorf("the unchanged page was not undone:\n%s", got)
	}
	if rep := in.Report(); rep.Skipped != 1 || rep.Changed != 2 {
		t.Errorf("report %+v: want 1 skipped, 2 still changed", rep)
	}
}

// TestInjectorRewrite: Hugo writes a page again over Transform's output
// (templates.Defer fills in a placeholder); Transform leaves it and Undo
// takes out the tags where they now are.
func TestInjectorRewrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.html")
	in := NewInjector(injectorTags)
	first := build(t, in, path, `<!DOCTYPE html><html><head><meta charset="utf-8">__hdeferred/1__</head><body></body></html>`)
	// The placeholder before the tags: they move.
	if err := os.WriteFile(path, []byte(strings.Replace(first, `<meta charset="utf-8">`, `<meta charset="utf-8"><!-- a longer head -->`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	shifted := readString(t, path)
	if got := build(t, in, path, shifted); got != shifted {
		t.Fatalf("second Transform changed the page:\n%s", got)
	}
	if err := in.Undo([]string{path}); err != nil {
		t.Fatal(err)
	}
	want := `<!DOCTYPE html><html><head><meta charset="utf-8"><!-- a longer head -->__hdeferred/1__</head><body></body></html>`
	if got := readString(t, path); got != want {
		t.Errorf("after Undo:\n%s\nwant\n%s", got, want)
	}

	// A page whose old tag was replaced, rewritten with other bytes: its
	// original is lost, and Undo says so.
	old := filepath.Join(dir, "old.html")
	out := build(t, in, old, `<!DOCTYPE html><html><head><link rel="pingback" href="https://old.example/x">__hdeferred/1__</head></html>`)
	build(t, in, old, strings.Replace(out, "__hdeferred/1__", "", 1))
	if err := in.Undo([]string{old}); !errors.Is(err, ErrUndo) || !strings.Contains(err.Error(), old) {
		t.Errorf("Undo of a lost page: %v, want ErrUndo naming it", err)
	}
	if rep := in.Report(); rep.Pages != 2 || rep.Skipped != 1 || rep.Changed != 1 || len(rep.Replaced) != 1 {
		t.Errorf("report %+v", rep)
	}
}

// TestInjectorConcurrent: Transform from many goroutines at once (run with
// -race), the same page written several times.
func TestInjectorConcurrent(t *testing.T) {
	in := NewInjector(injectorTags)
	page := []byte(`<!DOCTYPE html><html><head><title>T</title></head><body></body></html>`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				path := fmt.Sprintf("/public/p%d/index.html", (g*50+i)%200)
				in.Transform(path, page)
			}
		}()
	}
	wg.Wait()
	if rep := in.Report(); rep.Pages != 200 || rep.Changed != 200 || len(rep.Files) != 200 {
		t.Errorf("report: %d pages, %d changed, %d files; want 200", rep.Pages, rep.Changed, len(rep.Files))
	}
}

// TestInjectorReport: the report counts pages as Inject's does.
func TestInjectorReport(t *testing.T) {
	dir := t.TempDir()
	in := NewInjector(injectorTags)
	in.Root = dir
	plain := `<!DOCTYPE html><html><head></head><body></body></html>`
	build(t, in, filepath.Join(dir, "posts", "a", "index.html"), plain)
	build(t, in, filepath.Join(dir, "index.html"), plain)
	build(t, in, filepath.Join(dir, "old", "index.html"), `<!DOCTYPE html><html><head><link rel="webmention" href="https://old.example/wm"></head></html>`)
	build(t, in, filepath.Join(dir, "tagged.html"), `<!DOCTYPE html><html><head><link rel="pingback" href="https://receiver.example/xmlrpc"><link rel="webmention" href="https://receiver.example/webmention"></head></html>`)
	build(t, in, filepath.Join(dir, "frag.html"), `<div>fragment</div>`)
	build(t, in, filepath.Join(dir, "quiet", "index.html"), plain)
	if err := in.Undo([]string{filepath.Join(dir, "quiet", "index.html")}); err != nil {
		t.Fatal(err)
	}
	want := &InjectReport{
		Pages: 6, Changed: 3, Unchanged: 1, Skipped: 1, NotHTML: 1,
		Replaced: []string{"old/index.html: https://old.example/wm → https://receiver.example/webmention"},
		Files:    []string{"index.html", "old/index.html", "posts/a/index.html"},
	}
	if got := in.Report(); !reflect.DeepEqual(got, want) {
		t.Errorf("report\n%+v\nwant\n%+v", got, want)
	}
}
