// Package hugogen writes a deterministic synthetic Hugo SOURCE site (config,
// layouts, Markdown posts, static files) for benchmarks of the in-process
// Hugo build and of `hugo-pingback build`.
//
// The site looks like example-site/ at scale: theme-less layouts with an
// h-entry article, a nav menu, a blogroll and a footer; posts of a few
// hundred words with tags, 3-8 content links (to other posts, relative and
// via the ref shortcode, and to outside pages) and a shortcode; paginated
// lists and tag pages. The same Options always write the same bytes. Every
// outside host is under a reserved name (.example); it never reads an
// existing site and never touches the network. The tool itself never uses it.
package hugogen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// baseURL is the generated site's baseURL.
const baseURL = "https://bench.example.net/"

// Options says what to generate.
type Options struct {
	Posts int    // number of posts; must be positive
	Seed  uint64 // different but still deterministic sites
}

// errNoPosts is returned for Options.Posts < 1.
var errNoPosts = errors.New("hugogen: Posts must be positive")

// Generate writes the site into dir, which must be empty or not exist yet.
func Generate(dir string, opts Options) error {
	if opts.Posts < 1 {
		return errNoPosts
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x6875676f))
	files := map[string]string{}
	for name, data := range fixed {
		files[name] = data
	}
	start := time.Date(2020, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := range opts.Posts {
		files[fmt.Sprintf("content/posts/post-%05d.md", i)] = post(r, i, opts.Posts, start.Add(time.Duration(i)*7*time.Hour))
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("hugogen: %w", err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			return fmt.Errorf("hugogen: %w", err)
		}
	}
	return nil
}

var words = strings.Fields(`static site linkback pingback webmention hugo blog post
	reader writer markdown template content feed archive server build deploy
	network protocol discovery endpoint receiver notification ledger page link
	history web small personal garden note idea draft edit publish comment reply
	quiet simple careful honest tool workflow pipeline cache speed memory`)

var tags = []string{"hugo", "indieweb", "notes", "web", "tools", "writing", "go", "css", "html", "feeds",
	"travel", "books", "music", "photos", "code", "design", "privacy", "hosting", "email", "ideas"}

func sentence(r *rand.Rand) string {
	n := 8 + r.IntN(12)
	w := make([]string, n)
	for i := range w {
		w[i] = words[r.IntN(len(words))]
	}
	w[0] = strings.ToUpper(w[0][:1]) + w[0][1:]
	return strings.Join(w, " ") + "."
}

func post(r *rand.Rand, i, n int, date time.Time) string {
	var b strings.Builder
	t1, t2 := tags[r.IntN(len(tags))], tags[r.IntN(len(tags))]
	fmt.Fprintf(&b, "---\ntitle: \"Post number %d\"\ndate: %s\ntags: [%q, %q]\n", i, date.Format(time.RFC3339), t1, t2)
	if i%50 == 7 {
		b.WriteString("pingback: false\n")
	}
	b.WriteString("---\n")
	links := 3 + r.IntN(6)
	paras := 4 + r.IntN(4)
	for p := range paras {
		for range 3 + r.IntN(3) {
			b.WriteString(sentence(r))
			b.WriteByte(' ')
		}
		if p < links {
			switch k := r.IntN(4); {
			case k == 0 && n > 1:
				fmt.Fprintf(&b, "See [an older post](../post-%05d/). ", r.IntN(n))
			case k == 1 && n > 1:
				fmt.Fprintf(&b, "Also [this one]({{< ref \"post-%05d\" >}}). ", r.IntN(n))
			default:
				fmt.Fprintf(&b, "Read [this article](https://site%d.example/articles/%d) too. ", r.IntN(300), r.IntN(10000))
			}
		}
		b.WriteString("\n\n")
	}
	if i%10 == 0 {
		fmt.Fprintf(&b, "{{< cite url=\"https://books%d.example/isbn/%d\" title=\"A book\" >}}\n", r.IntN(50), r.IntN(100000))
	}
	return b.String()
}

// fixed are the config, layouts and static files, modelled on example-site/.
var fixed = map[string]string{
	"hugo.toml": `baseURL = "` + baseURL + `"
title = "Benchmark Blog"
locale = "en-US"
[pagination]
  pagerSize = 10
[taxonomies]
  tag = "tags"
[[menus.main]]
  name = "Home"
  pageRef = "/"
[[menus.main]]
  name = "Posts"
  pageRef = "/posts"
[[menus.main]]
  name = "Source"
  url = "https://git.example/bench"
[params.pingback]
  receiver = "https://webmention.io/bench.example.net/xmlrpc"
  webmention = "https://webmention.io/bench.example.net/webmention"
`,
	"layouts/baseof.html": `<!DOCTYPE html>
<html lang="{{ site.Language.Locale }}">
<head>
  <meta charset="utf-8">
  <title>{{ .Title }} · {{ site.Title }}</title>
  <link rel="stylesheet" href="{{ "css/site.css" | relURL }}">
  <link rel="canonical" href="{{ .Permalink }}">
</head>
<body>
  <header><nav><ul>{{ range site.Menus.main }}<li><a href="{{ .URL }}">{{ .Name }}</a></li>{{ end }}</ul></nav></header>
  <main>{{ block "main" . }}{{ end }}</main>
  <aside><a href="https://friend.example/">A friend</a> <a href="https://news.example/">News</a></aside>
  <footer><p class="h-card"><a class="u-url p-name" href="{{ "about/" | absURL }}">Bench Author</a></p></footer>
</body>
</html>
`,
	"layouts/single.html": `{{ define "main" }}
<article class="h-entry">
  <h1 class="p-name"><a class="u-url" href="{{ .Permalink }}">{{ .Title }}</a></h1>
  <time class="dt-published" datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 Jan 2006" }}</time>
  {{ range .GetTerms "tags" }}<a class="p-category" href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}
  <div class="e-content">{{ .Content }}</div>
</article>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
{{ end }}
`,
	"layouts/list.html": `{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ range (.Paginate .Pages).Pages }}<article class="h-entry"><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}
{{ template "_internal/pagination.html" . }}
{{ end }}
`,
	"layouts/home.html": `{{ define "main" }}
{{ range first 10 (where site.RegularPages "Section" "posts") }}<article class="h-entry"><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}
{{ end }}
`,
	"layouts/_shortcodes/cite.html": `<cite><a href="{{ .Get "url" }}">{{ .Get "title" }}</a></cite>`,
	"content/_index.md":             "---\ntitle: Home\n---\n",
	"content/posts/_index.md":       "---\ntitle: Posts\n---\n",
	"static/css/site.css":           "body { max-width: 40rem; margin: auto; }\n",
	"static/robots.txt":             "User-agent: *\n",
}
