package hugosite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"
)

// marker is what the tests' Transform appends to a page.
const marker = "<!-- transformed -->\n"

// recorder is a Transform that appends marker once (it is idempotent, as
// Options.Transform must be) and records every call.
type recorder struct {
	mu    sync.Mutex
	calls map[string][][]byte // path → the data of each call
}

func (r *recorder) transform(path string, data []byte) []byte {
	r.mu.Lock()
	if r.calls == nil {
		r.calls = map[string][][]byte{}
	}
	r.calls[path] = append(r.calls[path], bytes.Clone(data))
	r.mu.Unlock()
	if bytes.HasSuffix(data, []byte(marker)) {
		return data
	}
	return append(data, marker...)
}

// TestBuildTransform: with a Transform, every HTML file of the build (pages,
// aliases, a static page) is written transformed, even one an earlier plain
// build left in public/ byte for byte as the static copy has it; every other
// file is what the plain build wrote.
func TestBuildTransform(t *testing.T) {
	dir := copySite(t, exampleSite)
	static := filepath.Join(dir, "static", "legacy", "page.html")
	if err := os.MkdirAll(filepath.Dir(static), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(static, []byte("<!DOCTYPE html><html><head><title>Old</title></head><body>old</body></html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(transform func(string, []byte) []byte) {
		t.Helper()
		s, err := Load(context.Background(), Options{Dir: dir, Transform: transform})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Build(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	public := filepath.Join(dir, "public")
	build(nil)
	plain := readTree(t, public)

	var rec recorder
	build(rec.transform)
	got := readTree(t, public)

	var pages, others int
	for name, want := range plain {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: not written with Transform", name)
		case isPageName(name):
			pages++
			if string(g) != string(want)+marker {
				t.Errorf("%s: not transformed:\n%s", name, g)
			}
			abs := filepath.Join(public, filepath.FromSlash(name))
			if n := len(rec.calls[abs]); n != 1 {
				t.Errorf("%s: Transform called %d times, want 1", abs, n)
			}
		default:
			others++
			if !bytes.Equal(g, want) {
				t.Errorf("%s: differs from the plain build's:\n%s", name, g)
			}
		}
	}
	if len(got) != len(plain) {
		t.Errorf("%d files written with Transform, %d without", len(got), len(plain))
	}
	if _, ok := plain["legacy/page.html"]; !ok || pages < 5 || others < 3 {
		t.Errorf("fixture too small: %d pages, %d other files, static page written: %v", pages, others, ok)
	}
	if len(rec.calls) != pages {
		t.Errorf("Transform saw %d files, want the %d pages: %v", len(rec.calls), pages, keys(rec.calls))
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestBuildTransformDefer: Hugo writes a page with templates.Defer twice
// (it reads the page back to fill in the deferred part): Transform sees the
// second write with its own output of the first.
func TestBuildTransformDefer(t *testing.T) {
	dir := writeSite(t, `-- hugo.toml --
baseURL = "https://blog.example.net/"
disableKinds = ["taxonomy", "term", "section", "page", "rss", "sitemap"]
-- layouts/home.html --
<!DOCTYPE html><html><head>{{ with (templates.Defer (dict "key" "global")) }}<meta name="pages" content="{{ len site.Pages }}">{{ end }}</head><body>home</body></html>
`)
	var rec recorder
	s, err := Load(context.Background(), Options{Dir: dir, Transform: rec.transform})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "public", "index.html")
	calls := rec.calls[home]
	if len(calls) != 2 {
		t.Fatalf("Transform called %d times for %s, want 2 (write, then the deferred rewrite)", len(calls), home)
	}
	if !bytes.HasSuffix(calls[1], []byte(marker)) {
		t.Errorf("second write does not start from the first's output:\n%s", calls[1])
	}
	b, err := os.ReadFile(home)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `<meta name="pages" content="1">`) || strings.Count(string(b), marker) != 1 {
		t.Errorf("home page:\n%s", b)
	}
}

// failingFs makes every write of its files fail.
type failingFs struct{ afero.Fs }

func (fs failingFs) Create(name string) (afero.File, error) {
	f, err := fs.Fs.Create(name)
	return failingFile{f}, err
}

type failingFile struct{ afero.File }

var errDiskFull = errors.New("disk full")

func (failingFile) Write([]byte) (int, error) { return 0, errDiskFull }

// TestTransformFsWriteError: a page whose transformed content cannot be
// written fails its Close, and the filesystem keeps the error for Build
// (Hugo drops Close errors).
func TestTransformFsWriteError(t *testing.T) {
	fs := newTransformFs(failingFs{afero.NewMemMapFs()}, func(_ string, b []byte) []byte { return b })
	f, err := fs.Create("/public/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("<html>")); err != nil {
		t.Fatalf("buffered Write: %v", err)
	}
	err = f.Close()
	if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "/public/index.html") {
		t.Errorf("Close: %v, want disk full naming the file", err)
	}
	if !errors.Is(fs.Err(), errDiskFull) {
		t.Errorf("Err() = %v", fs.Err())
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

// TestTransformFsOpen: which opens are transformed.
func TestTransformFsOpen(t *testing.T) {
	tests := []struct {
		name string
		file string
		flag int // -1: Create
		want bool
	}{
		// Hugo's pages and the static copy: Create.
		{"create page", "a/index.html", -1, true},
		// Any case of .htm counts, as in package site.
		{"create htm", "a/OLD.HTM", -1, true},
		// Other files pass through.
		{"create css", "a/site.css", -1, false},
		{"create xml", "index.xml", -1, false},
		// afero.WriteFile, used by Hugo's deferred and PostProcess passes.
		{"truncate", "a/index.html", os.O_WRONLY | os.O_CREATE | os.O_TRUNC, true},
		// A new file, whole.
		{"exclusive", "a/new.html", os.O_RDWR | os.O_CREATE | os.O_EXCL, true},
		// Reads and partial writes are left alone.
		{"read", "a/index.html", os.O_RDONLY, false},
		{"append", "a/index.html", os.O_WRONLY | os.O_APPEND, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := afero.NewMemMapFs()
			if err := afero.WriteFile(mem, "a/index.html", []byte("<html>"), 0o644); err != nil {
				t.Fatal(err)
			}
			fs := newTransformFs(mem, func(_ string, b []byte) []byte { return append(b, marker...) })
			var f afero.File
			var err error
			if tt.flag == -1 {
				f, err = fs.Create(tt.file)
			} else {
				f, err = fs.OpenFile(tt.file, tt.flag, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, wrapped := f.(*transformFile)
			if wrapped != tt.want {
				t.Errorf("transformed = %v, want %v", wrapped, tt.want)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
