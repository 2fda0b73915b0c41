package site_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hugo-pingback/hugo-pingback/config"
	"github.com/hugo-pingback/hugo-pingback/renderer"
	"github.com/hugo-pingback/hugo-pingback/site"
)

// Walk gives each page of a built site with the URL it is published at.
func ExampleWalk() {
	dir, err := os.MkdirTemp("", "public-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	for _, rel := range []string{"index.html", "posts/hello/index.html", "about.html", "css/site.css"} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("<!doctype html>"), 0o644)
	}
	err = site.Walk(config.Root{Dir: dir, BaseURL: "https://example.org/"}, func(f site.File) error {
		fmt.Println(f.Rel, f.URL)
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// about.html https://example.org/about.html
	// index.html https://example.org/
	// posts/hello/index.html https://example.org/posts/hello/
}

func ExampleWriteHostFiles() {
	dir, err := os.MkdirTemp("", "public-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "_headers"), []byte("/css/*\n  Cache-Control: max-age=31536000\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "_redirects"), []byte("/old /new 301\n"), 0o644)

	roots := []config.Root{{Dir: dir, BaseURL: "https://example.org/"}}
	rep, err := site.WriteHostFiles(roots, site.HostFiles{
		Headers: true,
		Tags: renderer.Tags{
			Pingback:   "https://webmention.io/example.org/xmlrpc",
			Webmention: "https://webmention.io/example.org/webmention",
		},
		Gone: []string{"https://example.org/posts/deleted/"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("_headers", rep.Headers)
	headers, _ := os.ReadFile(filepath.Join(dir, "_headers"))
	redirects, _ := os.ReadFile(filepath.Join(dir, "_redirects"))
	fmt.Print(string(headers), "---\n", string(redirects))
	// Output:
	// _headers updated
	// /css/*
	//   Cache-Control: max-age=31536000
	//
	// # hugo-pingback: begin (hugo-pingback inject --headers rewrites this block)
	// /*
	//   X-Pingback: https://webmention.io/example.org/xmlrpc
	//   Link: <https://webmention.io/example.org/webmention>; rel="webmention"
	// # hugo-pingback: end
	// ---
	// /old /new 301
	//
	// # hugo-pingback: begin (pages deleted since they were notified: 410 Gone)
	// /posts/deleted/ /404.html 410
	// # hugo-pingback: end
}

func ExampleInject() {
	dir, err := os.MkdirTemp("", "public-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	page := `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Hello</title></head><body></body></html>`
	os.MkdirAll(filepath.Join(dir, "posts", "hello"), 0o755)
	os.WriteFile(filepath.Join(dir, "posts", "hello", "index.html"), []byte(page), 0o644)
	os.WriteFile(filepath.Join(dir, "index.xml"), []byte("<rss/>"), 0o644)

	roots := []config.Root{{Dir: dir, BaseURL: "https://example.org/"}}
	opts := site.InjectOptions{Tags: renderer.Tags{Pingback: "https://webmention.io/example.org/xmlrpc"}}
	rep, err := site.Inject(context.Background(), roots, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Pages, rep.Changed, rep.Files)

	rep, _ = site.Inject(context.Background(), roots, opts) // the second run changes nothing
	fmt.Println(rep.Pages, rep.Changed, rep.Unchanged)
	// Output:
	// 1 1 [posts/hello/index.html]
	// 1 0 1
}
