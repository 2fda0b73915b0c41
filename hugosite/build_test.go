package hugosite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/internal/hugotest"
)

// exampleSite is the repository's demo site, the fixture of these tests.
const exampleSite = "../example-site"

// copySite copies a site into a fresh temp dir, without build output.
func copySite(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch rel {
		case "public", "resources", ".hugo-pingback", ".hugo_build.lock":
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// readTree returns every regular file under dir by slash path.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files, err := hugotest.ReadTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// hugoReference builds dir with Hugo's own command, in-process, as
// `hugo --source dir --destination dest args...` would.
func hugoReference(t testing.TB, dir, dest string, args ...string) {
	t.Helper()
	if err := hugotest.Build(dir, dest, args...); err != nil {
		t.Fatal(err)
	}
}

// diffTrees reports every difference between two built sites.
func diffTrees(t testing.TB, got, want map[string][]byte) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		g, gok := got[n]
		w, wok := want[n]
		switch {
		case !gok:
			t.Errorf("%s: missing (hugo wrote it)", n)
		case !wok:
			t.Errorf("%s: written, but hugo did not write it", n)
		case !bytes.Equal(g, w):
			t.Errorf("%s: differs from hugo's\n--- got\n%s\n--- hugo\n%s", n, g, w)
		}
	}
}

// multihostSite has a language per host, each published with its own copy of
// the static files, and a stale file that cleanDestinationDir removes.
const multihostSite = `-- hugo.toml --
defaultContentLanguage = "en"
cleanDestinationDir = true
[languages.en]
baseURL = "https://en.example.net/"
weight = 1
[languages.fr]
baseURL = "https://fr.example.net/"
weight = 2
-- layouts/single.html --
<html><head><title>{{ .Title }}</title></head><body><article class="h-entry"><div class="e-content">{{ .Content }}</div></article></body></html>
-- layouts/list.html --
<html><body>{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</body></html>
-- content/posts/hello.en.md --
---
title: Hello
date: 2024-01-01
---
[elsewhere](https://example.org/en)
-- content/posts/hello.fr.md --
---
title: Bonjour
date: 2024-01-01
---
[ailleurs](https://example.org/fr)
-- static/style.css --
body{}
-- public/stale.txt --
from an old build
`

// altConfigSite has its config in alt.toml and its content in articles/:
// only hugo --config and --contentDir find them.
const altConfigSite = `-- alt.toml --
baseURL = "https://alt.example.net/"
disableKinds = ["RSS", "sitemap", "taxonomy", "term"]
-- layouts/single.html --
<html><body><article>{{ .Content }}</article></body></html>
-- layouts/list.html --
<html><body>{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</body></html>
-- articles/posts/a.md --
---
title: A
date: 2024-01-01
---
[x](https://x.example/)
-- articles/posts/b.md --
---
title: B
date: 2024-01-02
---
[y](https://y.example/)
-- static/css/site.css --
body{}
`

// loadAndBuild loads the site of opts and builds it; the site is closed
// when the test ends.
func loadAndBuild(t *testing.T, opts Options) *BuildResult {
	t.Helper()
	s, err := Load(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	res, err := s.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestBuildMatchesHugo(t *testing.T) {
	tests := []struct {
		name    string
		archive string // the site; empty means example-site/
		opts    Options
		args    []string // the same options as hugo flags
	}{
		// The plain build, as in CI.
		{name: "default"},
		// --minify, --buildDrafts and --baseURL change every page.
		{name: "minify drafts baseURL", opts: Options{Flags: Flags{"minify": {"true"}, "buildDrafts": {"true"}}, BaseURL: "https://preview.example.net/blog/"},
			args: []string{"--minify", "--buildDrafts", "--baseURL", "https://preview.example.net/blog/"}},
		// Future and expired posts, fewer kinds, the caches cleaned.
		{name: "future expired disableKinds gc", opts: Options{Flags: Flags{"buildFuture": {"true"}, "buildExpired": {"true"}, "disableKinds": {"taxonomy", "term"}, "gc": {"true"}}},
			args: []string{"-F", "-E", "--disableKinds", "taxonomy,term", "--gc"}},
		// Another config file and content dir, as hugo --config --contentDir.
		{name: "config contentDir", archive: altConfigSite, opts: Options{Flags: Flags{"config": {"alt.toml"}, "contentDir": {"articles"}}},
			args: []string{"--config", "alt.toml", "--contentDir", "articles"}},
		// Another environment reads other config (none here) and sets hugo.Environment.
		{name: "environment", opts: Options{Environment: "staging"}, args: []string{"--environment", "staging"}},
		// Multihost: static files go into each language's dir; cleanDestinationDir
		// deletes the stale file.
		{name: "multihost", archive: multihostSite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ours, ref string
			if tt.archive == "" {
				ours, ref = copySite(t, exampleSite), copySite(t, exampleSite)
			} else {
				ours, ref = writeSite(t, tt.archive), writeSite(t, tt.archive)
			}
			// Hugo builds into the site's own publish dir, as a user runs it.
			hugoReference(t, ref, filepath.Join(ref, "public"), tt.args...)

			opts := tt.opts
			opts.Dir = ours
			res := loadAndBuild(t, opts)
			got := readTree(t, filepath.Join(ours, "public"))
			want := readTree(t, filepath.Join(ref, "public"))
			if len(want) < 5 {
				t.Fatalf("hugo wrote only %d files", len(want))
			}
			diffTrees(t, got, want)
			if res.Pages == 0 || res.Files == 0 {
				t.Errorf("result %+v: want pages and static files", res)
			}
		})
	}
}

// TestBuildDestination: --destination puts the site elsewhere, static files
// included, and nothing into public/.
func TestBuildDestination(t *testing.T) {
	dir := copySite(t, exampleSite)
	out := filepath.Join(t.TempDir(), "out")
	s, err := Load(context.Background(), Options{Dir: dir, Flags: Flags{"destination": {out}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	files := readTree(t, out)
	for _, f := range []string{"index.html", "posts/hello-world/index.html", "css/site.css", "images/logo.svg"} {
		if _, ok := files[f]; !ok {
			t.Errorf("%s not written to the destination", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "public")); !os.IsNotExist(err) {
		t.Errorf("public/ was written: %v", err)
	}
}

// TestBuildOnce: Hugo builds a site once; a second Build says so.
func TestBuildOnce(t *testing.T) {
	s, err := Load(context.Background(), Options{Dir: copySite(t, exampleSite)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Build(context.Background()); !errors.Is(err, ErrBuilt) {
		t.Fatalf("second Build: %v, want ErrBuilt", err)
	}
}

// TestBuildLogs: Hugo's own log goes to Options.Stderr in Hugo's format,
// each warning once (Hugo drops repeats) and counted; without Stderr it goes
// to the Logger at Info level only (send and inject keep the build's
// warnings out of the way); errors fail the build.
func TestBuildLogs(t *testing.T) {
	warnSite := `-- hugo.toml --
baseURL = "https://blog.example.net/"
disableKinds = ["taxonomy", "term", "section", "page"]
-- layouts/home.html --
{{ warnf "careful with %s" "this" }}{{ warnf "careful with %s" "this" }}home
-- content/_index.md --
`
	tests := []struct {
		name      string
		stderr    bool       // Options.Stderr set
		level     slog.Level // the Logger's level
		flags     Flags
		wantHugo  string // in Stderr
		wantSlog  string // in the Logger's output
		forbidden string // in neither
	}{
		// build: Hugo's format, on Hugo's stderr.
		{name: "hugo format", stderr: true, level: slog.LevelWarn, wantHugo: "WARN  careful with this\n"},
		// send, inject: out of the way, unless --verbose.
		{name: "quiet for page data", level: slog.LevelWarn, forbidden: "careful"},
		{name: "verbose page data", level: slog.LevelInfo, wantSlog: `level=INFO msg="careful with this" from=hugo level=warn`},
		// --quiet: nothing at all, as hugo --quiet.
		{name: "hugo --quiet", stderr: true, level: slog.LevelWarn, flags: Flags{"quiet": {"true"}}, forbidden: "careful"},
		// --logLevel error: warnings are not shown (still counted).
		{name: "hugo --logLevel error", stderr: true, level: slog.LevelWarn, flags: Flags{"logLevel": {"error"}}, forbidden: "careful"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hugoLog, ourLog strings.Builder
			opts := Options{Dir: writeSite(t, warnSite), Flags: tt.flags, Logger: slog.New(slog.NewTextHandler(&ourLog, &slog.HandlerOptions{Level: tt.level}))}
			if tt.stderr {
				opts.Stderr = &hugoLog
			}
			res := loadAndBuild(t, opts)
			if tt.wantHugo != "" && strings.Count(hugoLog.String(), tt.wantHugo) != 1 {
				t.Errorf("Hugo's log %q, want %q once", hugoLog.String(), tt.wantHugo)
			}
			if tt.wantSlog != "" && strings.Count(ourLog.String(), tt.wantSlog) != 1 {
				t.Errorf("log %q, want %q once", ourLog.String(), tt.wantSlog)
			}
			if tt.forbidden != "" && (strings.Contains(hugoLog.String(), tt.forbidden) || strings.Contains(ourLog.String(), tt.forbidden)) {
				t.Errorf("shown although it should not be:\nHugo's log %q\nlog %q", hugoLog.String(), ourLog.String())
			}
			if tt.flags.last("logLevel") == "" && res.Warnings != 1 {
				t.Errorf("Warnings = %d, want 1 (Hugo drops the repeat)", res.Warnings)
			}
		})
	}

	bad := writeSite(t, `-- hugo.toml --
baseURL = "https://blog.example.net/"
-- layouts/home.html --
{{ errorf "broken %s" "template" }}
`)
	var hugoLog strings.Builder
	s2, err := Load(context.Background(), Options{Dir: bad, Stderr: &hugoLog})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Build(context.Background()); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Build with errorf: %v, want an error naming the site", err)
	}
	if !strings.Contains(hugoLog.String(), "ERROR broken template") {
		t.Errorf("error not logged in Hugo's format; log:\n%s", hugoLog.String())
	}
}

// TestBuildQuiet: a build prints nothing to the process's stdout or stderr,
// not even Hugo's warnings (they go to Options.Stderr, when set).
func TestBuildQuiet(t *testing.T) {
	dir := copySite(t, exampleSite)
	if err := os.WriteFile(filepath.Join(dir, "layouts", "home.html"), []byte(`{{ warnf "a warning" }}{{ .Site.Data }}home`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	func() {
		defer func() { os.Stdout, os.Stderr = stdout, stderr }()
		s, err := Load(context.Background(), Options{Dir: dir})
		if err != nil {
			t.Error(err)
			return
		}
		defer s.Close()
		if _, err := s.Build(context.Background()); err != nil {
			t.Error(err)
		}
		if _, err := s.Pages(context.Background(), nil); err != nil {
			t.Error(err)
		}
	}()
	w.Close()
	out, _ := io.ReadAll(r)
	if len(out) > 0 {
		t.Errorf("build printed:\n%s", out)
	}
}

// TestBuildUnsupported: a site that needs what the embedded Hugo lacks
// (here Hugo extended's LibSass) loads, but its build fails with an error
// naming the site: the caller falls back to the built public/ dir.
func TestBuildUnsupported(t *testing.T) {
	dir := writeSite(t, `-- hugo.toml --
baseURL = "https://blog.example.net/"
disableKinds = ["taxonomy", "term", "section", "page", "rss", "sitemap"]
-- assets/main.scss --
$c: red;
body { color: $c; }
-- layouts/home.html --
{{ $css := resources.Get "main.scss" | css.Sass (dict "transpiler" "libsass") }}<link rel="stylesheet" href="{{ $css.RelPermalink }}">
`)
	s, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Build(context.Background())
	if err == nil {
		t.Fatal("Build of a site needing Hugo extended succeeded")
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the site", err)
	}
}

// TestBuildVerbose: a logger that shows Info gets Hugo's info lines too.
func TestBuildVerbose(t *testing.T) {
	var logs strings.Builder
	s, err := Load(context.Background(), Options{Dir: copySite(t, exampleSite),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "from=hugo") {
		t.Errorf("no info from Hugo; log:\n%s", logs.String())
	}
}

// TestHugoVersion: the embedded Hugo is the pinned one; a bump of go.mod
// must be a decision (re-run the comparison with hugo's output).
func TestHugoVersion(t *testing.T) {
	if HugoVersion != "v0.165.0" {
		t.Errorf("HugoVersion = %s, want v0.165.0", HugoVersion)
	}
}

// TestBuildIgnoreLogs: the site's ignoreLogs silences a warning by id, as in hugo.
func TestBuildIgnoreLogs(t *testing.T) {
	dir := writeSite(t, `-- hugo.toml --
baseURL = "https://blog.example.net/"
disableKinds = ["taxonomy", "term", "section", "page"]
ignoreLogs = ["noisy-id"]
-- layouts/home.html --
{{ warnidf "noisy-id" "ignored warning" }}{{ warnidf "other-id" "shown warning" }}home
`)
	var logs strings.Builder
	s, err := Load(context.Background(), Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "ignored warning") || !strings.Contains(logs.String(), "shown warning") || res.Warnings != 1 {
		t.Errorf("Warnings = %d; log:\n%s", res.Warnings, logs.String())
	}
}
