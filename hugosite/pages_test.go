package hugosite

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// pagesJSON renders pages for a golden file, sorted by URL, without the
// (temporary) root dir.
func pagesJSON(t testing.TB, pages site.Pages) []byte {
	t.Helper()
	list := make([]site.PageInfo, 0, len(pages))
	for _, p := range pages {
		p.Root = ""
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b site.PageInfo) int { return strings.Compare(a.URL, b.URL) })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t testing.TB, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// examplePages loads a copy of example-site, builds it unless build is
// false, and lists its pages.
func examplePages(t testing.TB, opts Options, build bool) (site.Pages, string) {
	t.Helper()
	opts.Dir = copySite(t, exampleSite)
	s, err := Load(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if build {
		if _, err := s.Build(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	pages, err := s.Pages(context.Background(), defaultRules)
	if err != nil {
		t.Fatal(err)
	}
	return pages, opts.Dir
}

// defaultRules are the link opt-outs a site gets by default.
var defaultRules = &renderer.Options{SkipRels: config.Default().SkipRels, SkipClasses: config.Default().SkipClasses}

func pageByFile(pages site.Pages, file string) (site.PageInfo, bool) {
	for _, p := range pages {
		if p.File == file {
			return p, true
		}
	}
	return site.PageInfo{}, false
}

// TestExamplePages is the page data of example-site: see
// testdata/example-pages.json.
func TestExamplePages(t *testing.T) {
	pages, dir := examplePages(t, Options{}, true)
	golden(t, "example-pages.json", pagesJSON(t, pages))

	for _, p := range pages {
		// Every page named is a file Hugo wrote.
		if p.Root != filepath.Join(dir, "public") {
			t.Errorf("page %s: root %s", p.URL, p.Root)
		}
		if _, err := os.Stat(filepath.Join(p.Root, filepath.FromSlash(p.File))); err != nil {
			t.Errorf("page %s: %v", p.URL, err)
		}
		// Theme chrome (menu, blogroll, footer, pager, tags) never counts.
		for _, l := range p.Links {
			for _, chrome := range []string{"git.example.com", "friend.example", "news.example.org", "hugo.example", "webmention.io", "/tags/"} {
				if strings.Contains(l, chrome) {
					t.Errorf("page %s: link %s is theme chrome", p.File, l)
				}
			}
		}
	}
	// Drafts and future posts are not sources.
	for _, f := range []string{"posts/draft/index.html", "posts/future/index.html"} {
		if _, ok := pageByFile(pages, f); ok {
			t.Errorf("%s listed", f)
		}
	}
	// Front-matter switches.
	if p, _ := pageByFile(pages, "posts/quiet-post/index.html"); !p.NoSend || p.NoReceive {
		t.Errorf("quiet-post: NoSend=%v NoReceive=%v, want true false", p.NoSend, p.NoReceive)
	}
	if p, _ := pageByFile(pages, "posts/no-receive/index.html"); p.NoSend || !p.NoReceive {
		t.Errorf("no-receive: NoSend=%v NoReceive=%v, want false true", p.NoSend, p.NoReceive)
	}
	// A shortcode's link is content.
	if p, _ := pageByFile(pages, "posts/shortcodes/index.html"); !slices.Contains(p.Links, "https://example.org/books/weaving-the-web") {
		t.Errorf("shortcodes: links %q lack the cite shortcode's link", p.Links)
	}
	// Links opted out by rel or class are not read as links of the page.
	if p, _ := pageByFile(pages, "posts/second-post/index.html"); !slices.Contains(p.Links, "https://papers.example.com/pingback-1.0") || slices.ContainsFunc(p.Links, func(l string) bool {
		return strings.Contains(l, "shop.example") || strings.Contains(l, "rival.example")
	}) {
		t.Errorf("second-post: links %q lack its cite link or keep a rel=sponsored or class=no-pingback link", p.Links)
	}
}

// TestPagesWithoutBuild: Pages on its own gives the same pages and writes
// no site.
func TestPagesWithoutBuild(t *testing.T) {
	built, _ := examplePages(t, Options{}, true)
	pages, dir := examplePages(t, Options{}, false)
	for u, p := range pages {
		if p.Root != filepath.Join(dir, "public") {
			t.Errorf("page %s: root %s", p.URL, p.Root)
		}
		p.Root = "" // the two sites are in different temp dirs
		pages[u] = p
	}
	for u, p := range built {
		p.Root = ""
		built[u] = p
	}
	if !reflect.DeepEqual(pages, built) {
		t.Errorf("pages without build differ:\n%s\nwith build:\n%s", pagesJSON(t, pages), pagesJSON(t, built))
	}
	if _, err := os.Stat(filepath.Join(dir, "public")); !os.IsNotExist(err) {
		t.Errorf("public/ written by Pages: %v", err)
	}
}

// TestBuildAfterPages: Build still works, and writes the site, after Pages.
func TestBuildAfterPages(t *testing.T) {
	dir := copySite(t, exampleSite)
	s, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before, err := s.Pages(context.Background(), defaultRules)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, err := s.Pages(context.Background(), defaultRules)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("pages changed by Build")
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "posts", "hello-world", "index.html")); err != nil {
		t.Error(err)
	}
}

// TestPagesDrafts: a preview with drafts lists the draft; never the future post.
func TestPagesDrafts(t *testing.T) {
	pages, _ := examplePages(t, Options{Flags: Flags{"buildDrafts": {"true"}}}, true)
	if _, ok := pageByFile(pages, "posts/draft/index.html"); !ok {
		t.Errorf("draft not listed with BuildDrafts")
	}
	if _, ok := pageByFile(pages, "posts/future/index.html"); ok {
		t.Errorf("future post listed")
	}
}

// TestPagesSiteOptions: what the site's own config changes.
func TestPagesSiteOptions(t *testing.T) {
	const layouts = `-- layouts/single.html --
<html><body><nav><a href="https://nav.example/">nav</a></nav>{{ .Content }}</body></html>
-- layouts/list.html --
<html><body>{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</body></html>
`
	const posts = `-- content/posts/old.md --
---
title: Old
date: 2024-01-01
---
[a](https://a.example/)
-- content/posts/future.md --
---
title: Future
date: 2099-01-01
---
[f](https://future.example/)
-- content/posts/expired.md --
---
title: Expired
date: 2024-01-01
expiryDate: 2024-06-01
---
[e](https://expired.example/)
-- content/posts/cascaded/_index.md --
---
title: Quiet section
cascade:
  pingback: false
---
-- content/posts/cascaded/inner.md --
---
title: Inner
date: 2024-01-01
pingbackReceive: "false"
---
[i](https://inner.example/)
-- content/posts/headless.md --
---
title: Headless
date: 2024-01-01
build:
  render: never
---
[h](https://headless.example/)
`
	tests := []struct {
		name   string
		config string
		want   []string // File of each page
		check  func(t *testing.T, pages site.Pages)
	}{
		{
			// The site builds future and expired pages; they still never send.
			// A cascade from the section applies; a page Hugo does not render
			// is not a source.
			name:   "buildFuture buildExpired",
			config: "-- hugo.toml --\nbaseURL = \"https://blog.example.net/\"\nbuildFuture = true\nbuildExpired = true\n",
			want:   []string{"posts/cascaded/inner/index.html", "posts/old/index.html"},
			check: func(t *testing.T, pages site.Pages) {
				p, _ := pageByFile(pages, "posts/cascaded/inner/index.html")
				if !p.NoSend || !p.NoReceive {
					t.Errorf("inner: NoSend=%v NoReceive=%v, want both (cascade, string value)", p.NoSend, p.NoReceive)
				}
			},
		},
		{
			// uglyURLs and a base URL with a path: files relative to the publish dir.
			name:   "uglyURLs sub-path",
			config: "-- hugo.toml --\nbaseURL = \"https://host.example.net/blog/\"\nuglyURLs = true\n",
			want:   []string{"posts/cascaded/inner.html", "posts/old.html"},
			check: func(t *testing.T, pages site.Pages) {
				p, _ := pageByFile(pages, "posts/old.html")
				if p.URL != "https://host.example.net/blog/posts/old.html" || !slices.Equal(p.Links, []string{"https://a.example/"}) {
					t.Errorf("old: %+v", p)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeSite(t, tt.config+layouts+posts)
			s, err := Load(context.Background(), Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Build(context.Background()); err != nil {
				t.Fatal(err)
			}
			pages, err := s.Pages(context.Background(), defaultRules)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, p := range pages {
				files = append(files, p.File)
				if _, err := os.Stat(filepath.Join(dir, "public", filepath.FromSlash(p.File))); err != nil {
					t.Errorf("page %s: %v", p.URL, err)
				}
			}
			slices.Sort(files)
			if !slices.Equal(files, tt.want) {
				t.Errorf("pages %q, want %q", files, tt.want)
			}
			tt.check(t, pages)
		})
	}
}

// TestPagesMultihost: each language's pages are files of its own root.
func TestPagesMultihost(t *testing.T) {
	dir := writeSite(t, multihostSite)
	s, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	pages, err := s.Pages(context.Background(), defaultRules)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "multihost-pages.json", pagesJSON(t, pages))
	for _, p := range pages {
		lang := strings.Split(strings.TrimPrefix(p.URL, "https://"), ".")[0] // en.blog.example.net
		if p.Root != filepath.Join(dir, "public", lang) {
			t.Errorf("page %s: root %s", p.URL, p.Root)
		}
		if _, err := os.Stat(filepath.Join(p.Root, filepath.FromSlash(p.File))); err != nil {
			t.Errorf("page %s: %v", p.URL, err)
		}
	}
}

func TestPublishedFile(t *testing.T) {
	tests := []struct {
		permalink, root, want string
	}{
		{"https://b.example/posts/a/", "https://b.example/", "posts/a/index.html"},               // pretty URL
		{"https://b.example/posts/a.html", "https://b.example/", "posts/a.html"},                 // uglyURLs
		{"https://b.example/blog/posts/a/", "https://b.example/blog/", "posts/a/index.html"},     // base URL with a path
		{"https://b.example/fr/posts/a/", "https://b.example/", "fr/posts/a/index.html"},         // a language in a sub-dir
		{"https://b.example/posts/%C3%A9t%C3%A9/", "https://b.example/", "posts/été/index.html"}, // escaped path
		{"https://b.example/", "https://b.example/", "index.html"},                               // the root itself
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.permalink)
		if err != nil {
			t.Fatal(err)
		}
		if got := publishedFile(u, tt.root); got != tt.want {
			t.Errorf("publishedFile(%s, %s) = %q, want %q", tt.permalink, tt.root, got, tt.want)
		}
	}
}

// TestPagesLinks: a page's links are read once, from its rendered content,
// with the renderer's rules and the opt-outs given: final, as send takes
// them.
func TestPagesLinks(t *testing.T) {
	dir := writeSite(t, `-- hugo.toml --
baseURL = "https://blog.example.net/"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "home", "section"]
[markup.goldmark.renderer]
unsafe = true
-- layouts/single.html --
<html><body><nav><a href="https://nav.example/">nav</a></nav><article>{{ .Content }}</article></body></html>
-- content/posts/a.md --
---
title: A
date: 2024-01-01
---
[abs](https://x.example/p) [rel](../b/) [root](/c) [again](https://x.example/p#two)
[top](#top) [self](./) [mail](mailto:a@x.example) [ftp](ftp://x.example/)
<a href="https://X.example/q?a=1&amp;b=2">entities</a>
<a href="https://ad.example/" rel="Sponsored">ad</a>
<a href="https://nf.example/" rel="nofollow">nf</a>
<a href="https://quiet.example/" class="note no-pingback">quiet</a>
<a href="https://ugc.example/" rel="ugc">ugc</a>
<!-- <a href="https://hidden.example/">h</a> -->
`)
	s, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all := []string{"https://x.example/p", "https://blog.example.net/posts/b/", "https://blog.example.net/c", "https://X.example/q?a=1&b=2"}
	tests := []struct {
		name  string
		rules *renderer.Options
		want  []string
	}{
		// The defaults opt out nofollow, ugc and sponsored links and the no-pingback class.
		{"default rules", defaultRules, all},
		// Without rules every link of the content counts.
		{"no opt-outs", nil, append(slices.Clone(all), "https://ad.example/", "https://nf.example/", "https://quiet.example/", "https://ugc.example/")},
		// Rules of the site's own: only ugc and the class "note".
		{"site rules", &renderer.Options{SkipRels: []string{"ugc"}, SkipClasses: []string{"note"}}, append(slices.Clone(all), "https://ad.example/", "https://nf.example/")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages, err := s.Pages(context.Background(), tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			p, ok := pages["https://blog.example.net/posts/a/"]
			if !ok || len(pages) != 1 {
				t.Fatalf("pages %v", slices.Collect(maps.Keys(pages)))
			}
			if !slices.Equal(p.Links, tt.want) {
				t.Errorf("links\n got %q\nwant %q", p.Links, tt.want)
			}
		})
	}
}

// TestPagesFrontMatterValues: the switches read true and false as YAML,
// TOML or a string; any other value is a warning naming the file, and opts
// the page out.
func TestPagesFrontMatterValues(t *testing.T) {
	tests := []struct {
		value   string // as written in YAML front matter
		optOut  bool
		warning bool
	}{
		{"false", true, false},       // a boolean
		{"true", false, false},       // a boolean
		{`"false"`, true, false},     // a string, as cascades and env variables give
		{`"TRUE"`, false, false},     // a string, any case
		{`"no"`, true, true},         // YAML 1.1's no is a string here: warned, opted out
		{"no", true, true},           // unquoted, the same
		{"0", true, true},            // a number
		{"[false]", true, true},      // a list
		{`"yes please"`, true, true}, // anything else
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			dir := writeSite(t, `-- hugo.toml --
baseURL = "https://blog.example.net/"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "home", "section"]
-- layouts/single.html --
{{ .Content }}
-- content/posts/a.md --
---
title: A
pingback: `+tt.value+`
pingbackReceive: `+tt.value+`
---
[x](https://x.example/)
`)
			var log bytes.Buffer
			s, err := Load(context.Background(), Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pages, err := s.Pages(context.Background(), defaultRules)
			if err != nil {
				t.Fatal(err)
			}
			p := pages["https://blog.example.net/posts/a/"]
			if p.NoSend != tt.optOut || p.NoReceive != tt.optOut {
				t.Errorf("NoSend %v, NoReceive %v; want both %v", p.NoSend, p.NoReceive, tt.optOut)
			}
			warned := strings.Count(log.String(), "content/posts/a.md: front matter")
			if want := map[bool]int{true: 2, false: 0}[tt.warning]; warned != want {
				t.Errorf("%d warnings naming the file, want %d:\n%s", warned, want, log.String())
			}
		})
	}
}
