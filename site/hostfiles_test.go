package site

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/renderer"
)

const ourHeaders = `# hugo-pingback: begin (hugo-pingback inject --headers rewrites this block)
/*
  X-Pingback: https://webmention.io/example.org/xmlrpc
  Link: <https://webmention.io/example.org/webmention>; rel="webmention"
# hugo-pingback: end
`

func TestMergeHeaders(t *testing.T) {
	for _, c := range []struct {
		name     string
		in       string
		tags     renderer.Tags
		want     string
		conflict []string
	}{
		{
			name: "no file: the block alone",
			in:   "",
			tags: tags,
			want: ourHeaders,
		},
		{
			name: "other rules: kept byte for byte, block appended after a blank line",
			in:   "/css/*\n  Cache-Control: max-age=31536000\n/*\n  X-Frame-Options: DENY",
			tags: tags,
			want: "/css/*\n  Cache-Control: max-age=31536000\n/*\n  X-Frame-Options: DENY\n\n" + ourHeaders,
		},
		{
			name: "already ours: unchanged",
			in:   "/a\n  X: y\n\n" + ourHeaders + "\n/b\n  X: z\n",
			tags: tags,
			want: "/a\n  X: y\n\n" + ourHeaders + "\n/b\n  X: z\n",
		},
		{
			name: "old receiver: the block is replaced in place, user rules around it stay",
			in:   "/a\n  X: y\n# hugo-pingback: begin\n/*\n  X-Pingback: https://old.example/xmlrpc.php\n# hugo-pingback: end\n/b\n  X: z\n",
			tags: tags,
			want: "/a\n  X: y\n" + ourHeaders + "/b\n  X: z\n",
		},
		{
			name: "pingback only: no Link line",
			in:   "",
			tags: renderer.Tags{Pingback: tags.Pingback},
			want: "# hugo-pingback: begin (hugo-pingback inject --headers rewrites this block)\n/*\n  X-Pingback: https://webmention.io/example.org/xmlrpc\n# hugo-pingback: end\n",
		},
		{
			name: "no endpoints: the block is removed",
			in:   "/a\n  X: y\n\n" + ourHeaders,
			tags: renderer.Tags{},
			want: "/a\n  X: y\n\n",
		},
		{
			name: "two blocks (a bad manual merge): one left",
			in:   ourHeaders + "/a\n  X: y\n" + ourHeaders,
			tags: tags,
			want: ourHeaders + "/a\n  X: y\n",
		},
		{
			name: "begin without end: the block runs to the blank line",
			in:   "# hugo-pingback: begin\n/*\n  X-Pingback: https://old.example/x\n\n/a\n  X: y\n",
			tags: tags,
			want: ourHeaders + "\n/a\n  X: y\n",
		},
		{
			name: "begin without end or blank line: the block stops at the user's next rule",
			in:   "# hugo-pingback: begin\n/*\n  X-Pingback: https://old.example/x\n/a\n  X: y\n",
			tags: tags,
			want: ourHeaders + "/a\n  X: y\n",
		},
		{
			name: "CRLF file: our lines use CRLF too",
			in:   "/a\r\n  X: y\r\n",
			tags: renderer.Tags{Pingback: tags.Pingback},
			want: "/a\r\n  X: y\r\n\r\n# hugo-pingback: begin (hugo-pingback inject --headers rewrites this block)\r\n/*\r\n  X-Pingback: https://webmention.io/example.org/xmlrpc\r\n# hugo-pingback: end\r\n",
		},
		{
			name:     "the user's own X-Pingback and webmention Link are reported as conflicts",
			in:       "/*\n  X-Pingback: https://mine.example/x\n  link: <https://mine.example/wm>; rel=webmention\n  Link: </style.css>; rel=preload\n",
			tags:     tags,
			want:     "/*\n  X-Pingback: https://mine.example/x\n  link: <https://mine.example/wm>; rel=webmention\n  Link: </style.css>; rel=preload\n\n" + ourHeaders,
			conflict: []string{"X-Pingback: https://mine.example/x", "link: <https://mine.example/wm>; rel=webmention"},
		},
		{
			name: "a newline in an endpoint cannot add a line",
			in:   "",
			tags: renderer.Tags{Pingback: "https://r.example/x\n/*\n  Evil: 1"},
			want: "# hugo-pingback: begin (hugo-pingback inject --headers rewrites this block)\n/*\n  X-Pingback: https://r.example/x/*  Evil: 1\n# hugo-pingback: end\n",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, changed := mergeHeaders([]byte(c.in), c.tags)
			if string(got) != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
			if changed != (c.in != c.want) {
				t.Errorf("changed = %v", changed)
			}
			again, changed := mergeHeaders(got, c.tags)
			if changed || string(again) != string(got) {
				t.Errorf("second merge changed the file:\n%s", again)
			}
			if cs := conflictingHeaders(got); !slices.Equal(cs, c.conflict) {
				t.Errorf("conflicts = %q, want %q", cs, c.conflict)
			}
		})
	}
}

func TestMergeRedirects(t *testing.T) {
	const begin = "# hugo-pingback: begin (pages deleted since they were notified: 410 Gone)\n"
	const end = "# hugo-pingback: end\n"
	for _, c := range []struct {
		name string
		in   string
		gone []string
		want string
	}{
		{
			name: "no file, nothing gone: still no file",
			in:   "",
			gone: nil,
			want: "",
		},
		{
			name: "no file: a sorted block",
			in:   "",
			gone: []string{"/posts/b/", "/posts/a/"},
			want: begin + "/posts/a/ /404.html 410\n/posts/b/ /404.html 410\n" + end,
		},
		{
			name: "user rules kept; block appended at the end so the user's rules match first",
			in:   "/old /new 301\n/blog/* /posts/:splat 301\n",
			gone: []string{"/posts/a/"},
			want: "/old /new 301\n/blog/* /posts/:splat 301\n\n" + begin + "/posts/a/ /404.html 410\n" + end,
		},
		{
			name: "merged with the gone set already in the block, no duplicates",
			in:   "/x /y 301\n\n" + begin + "/posts/c/ /404.html 410\n/posts/a/ /404.html 410\n" + end,
			gone: []string{"/posts/a/", "/posts/b/"},
			want: "/x /y 301\n\n" + begin + "/posts/a/ /404.html 410\n/posts/b/ /404.html 410\n/posts/c/ /404.html 410\n" + end,
		},
		{
			name: "nothing new: unchanged",
			in:   begin + "/posts/a/ /404.html 410\n" + end,
			gone: []string{"/posts/a/"},
			want: begin + "/posts/a/ /404.html 410\n" + end,
		},
		{
			name: "a path the user already redirects (a moved page) is left to the user's rule",
			in:   "/posts/a/ /posts/new-a/ 301\n",
			gone: []string{"/posts/a/", "/posts/b/"},
			want: "/posts/a/ /posts/new-a/ 301\n\n" + begin + "/posts/b/ /404.html 410\n" + end,
		},
		{
			name: "full URLs cut to their path, spaces escaped, relative made absolute, blanks dropped",
			in:   "",
			gone: []string{"https://example.org/posts/a/", "/a b/", "posts/c/", "  ", "/caf%C3%A9/"},
			want: begin + "/a%20b/ /404.html 410\n/caf%C3%A9/ /404.html 410\n/posts/a/ /404.html 410\n/posts/c/ /404.html 410\n" + end,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, changed := mergeRedirects([]byte(c.in), c.gone)
			if string(got) != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
			if changed != (c.in != c.want) {
				t.Errorf("changed = %v", changed)
			}
			again, changed := mergeRedirects(got, c.gone)
			if changed || string(again) != string(got) {
				t.Errorf("second merge changed the file:\n%s", again)
			}
		})
	}
	// An unclosed block keeps the user's rules that follow it.
	got, _ := mergeRedirects([]byte(begin+"/gone/ /404.html 410\n/x /y 301\n"), []string{"/new/"})
	if want := begin + "/gone/ /404.html 410\n/new/ /404.html 410\n" + end + "/x /y 301\n"; string(got) != want {
		t.Errorf("unclosed block:\n%s\nwant:\n%s", got, want)
	}
	// RedirectsGone reads the set back.
	b, _ := mergeRedirects([]byte("/x /y 301\n"), []string{"/b/", "/a/"})
	if got := redirectsGone(b); !slices.Equal(got, []string{"/a/", "/b/"}) {
		t.Errorf("RedirectsGone = %q", got)
	}
}

// userPart is a host file without hugo-pingback's blocks, trailing line
// breaks ignored (a block added at the end brings a separating blank line).
func userPart(b []byte, ours lineRule) string {
	return strings.TrimRight(strings.Join(outsideBlock(b, ours), ""), "\r\n")
}

func FuzzMergeHeaders(f *testing.F) {
	f.Add([]byte(""), false)
	f.Add([]byte("/a\n  X: y\n\n"+ourHeaders), true)
	f.Add([]byte("# hugo-pingback: begin\n/*\n  X-Pingback: x\n/a\n"), false)
	f.Add([]byte("/a\r\n  X: y\r\n# hugo-pingback: end\n"), false)
	f.Fuzz(func(t *testing.T, in []byte, onlyPingback bool) {
		tg := tags
		if onlyPingback {
			tg.Webmention = ""
		}
		out, changed := mergeHeaders(in, tg)
		if changed == bytes.Equal(in, out) {
			t.Fatalf("changed = %v but equal = %v", changed, bytes.Equal(in, out))
		}
		if again, ch := mergeHeaders(out, tg); ch || !bytes.Equal(again, out) {
			t.Fatalf("second merge changed:\n%q\n%q", out, again)
		}
		if userPart(out, headersLine) != userPart(in, headersLine) {
			t.Fatalf("user rules changed:\n%q\n%q", userPart(in, headersLine), userPart(out, headersLine))
		}
		if n := strings.Count(string(out), "X-Pingback: "+tg.Pingback); n < 1 {
			t.Fatalf("no X-Pingback line in\n%s", out)
		}
	})
}

func FuzzMergeRedirects(f *testing.F) {
	f.Add([]byte(""), "/a/")
	f.Add([]byte("/x /y 301\n# hugo-pingback: begin\n/b/ /404.html 410\n"), "https://e.org/c d/")
	f.Fuzz(func(t *testing.T, in []byte, gone string) {
		out, changed := mergeRedirects(in, []string{gone})
		if changed == bytes.Equal(in, out) {
			t.Fatalf("changed = %v but equal = %v", changed, bytes.Equal(in, out))
		}
		if again, ch := mergeRedirects(out, []string{gone}); ch || !bytes.Equal(again, out) {
			t.Fatalf("second merge changed:\n%q\n%q", out, again)
		}
		if userPart(out, redirectsLine) != userPart(in, redirectsLine) {
			t.Fatalf("user rules changed:\n%q\n%q", userPart(in, redirectsLine), userPart(out, redirectsLine))
		}
	})
}

// TestWriteHostFiles: the one writer of _headers and _redirects, which
// build and inject both use. Each host file belongs to the top of a deploy:
// a root nested in another of the same host shares its files; a root of
// another host (Hugo multihost) has its own; a root given twice is written
// once. The user's own rules are kept, and those that set our headers too
// are reported.
func TestWriteHostFiles(t *testing.T) {
	dir := t.TempDir()
	fr := filepath.Join(dir, "fr")
	de := filepath.Join(dir, "de")
	for _, d := range []string{fr, de} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	userHeaders := "/*\n  X-Pingback: https://old.example/xmlrpc.php\n/css/*\n  Cache-Control: max-age=31536000\n"
	os.WriteFile(filepath.Join(dir, "_headers"), []byte(userHeaders), 0o644)
	os.WriteFile(filepath.Join(dir, "_redirects"), []byte("/old /new 301\n"), 0o644)
	roots := []config.Root{
		{Dir: dir, BaseURL: "https://example.org/"},
		// Served under /fr/ of the same host: the top files cover it.
		{Dir: fr, BaseURL: "https://example.org/fr/"},
		// Its own host (Hugo multihost): its own files.
		{Dir: de, BaseURL: "https://example.de/"},
		// The top root again: written once.
		{Dir: dir, BaseURL: "https://example.org/"},
	}
	gone := []string{"https://example.org/posts/a/", "https://example.org/fr/posts/b/", "https://example.de/c/", "https://elsewhere.example/x/"}
	hf := HostFiles{Headers: true, Tags: tags, Gone: gone}

	// A dry run says what it would do and writes nothing.
	dry := hf
	dry.DryRun = true
	rep, err := WriteHostFiles(roots, dry)
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := filepath.ToSlash(dir) + ": updated, " + filepath.ToSlash(de) + ": created"
	wantTombstones := []string{filepath.Join(de, "_redirects"), filepath.Join(dir, "_redirects")}
	slices.Sort(wantTombstones)
	wantConflicts := []string{filepath.Join(dir, "_headers") + ": X-Pingback: https://old.example/xmlrpc.php"}
	if rep.Headers != wantHeaders || !slices.Equal(rep.Tombstones, wantTombstones) || !slices.Equal(rep.HeaderConflicts, wantConflicts) {
		t.Errorf("dry run: %+v\nwant headers %q, tombstones %q, conflicts %q", rep, wantHeaders, wantTombstones, wantConflicts)
	}
	for _, f := range []string{filepath.Join(de, "_redirects"), filepath.Join(de, "_headers")} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("dry run wrote %s: %v", f, err)
		}
	}

	got, err := WriteHostFiles(roots, hf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Headers != wantHeaders || !slices.Equal(got.Tombstones, wantTombstones) || !slices.Equal(got.HeaderConflicts, wantConflicts) {
		t.Errorf("run: %+v", got)
	}
	top, _ := os.ReadFile(filepath.Join(dir, "_redirects"))
	deb, _ := os.ReadFile(filepath.Join(de, "_redirects"))
	if got := redirectsGone(top); !slices.Equal(got, []string{"/fr/posts/b/", "/posts/a/"}) || !strings.HasPrefix(string(top), "/old /new 301\n") {
		t.Errorf("top _redirects:\n%s", top)
	}
	if got := redirectsGone(deb); !slices.Equal(got, []string{"/c/"}) {
		t.Errorf("de _redirects:\n%s", deb)
	}
	if h, _ := os.ReadFile(filepath.Join(dir, "_headers")); !strings.HasPrefix(string(h), userHeaders) || strings.Count(string(h), "X-Pingback: "+tags.Pingback) != 1 {
		t.Errorf("top _headers:\n%s", h)
	}
	for _, f := range []string{"_redirects", "_headers"} {
		if _, err := os.Stat(filepath.Join(fr, f)); !os.IsNotExist(err) {
			t.Errorf("a nested root of the same host got its own %s: %v", f, err)
		}
	}

	// Again: nothing changes; the conflict is still reported.
	again, err := WriteHostFiles(roots, hf)
	want := filepath.ToSlash(dir) + ": unchanged, " + filepath.ToSlash(de) + ": unchanged"
	if err != nil || again.Headers != want || len(again.Tombstones) != 0 || len(again.HeaderConflicts) != 1 {
		t.Errorf("second run: %+v, %v", again, err)
	}

	// Nothing asked, nothing touched.
	if rep, err := WriteHostFiles(roots, HostFiles{Tags: tags}); err != nil || rep.Headers != "" || rep.Tombstones != nil {
		t.Errorf("no host files asked: %+v, %v", rep, err)
	}
}
