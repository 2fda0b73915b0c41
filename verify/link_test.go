package verify

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const (
	sourceURL = "https://source.example.org/posts/reply/"
	targetURL = "https://blog.example.net/posts/hello/"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// doc wraps body in a page with a title.
func doc(body string) string {
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>A reply</title></head><body>` + body + `</body></html>`
}

func TestSourceLink(t *testing.T) {
	media := Options{Media: true}
	tests := []struct {
		name string
		html string
		opts Options
		want bool
	}{
		// The plain case: an <a href> to the target.
		{"a href", doc(`<p>See <a href="https://blog.example.net/posts/hello/">this</a>.</p>`), Options{}, true},
		// Links to other pages only.
		{"absent", doc(`<p>See <a href="https://blog.example.net/posts/other/">that</a>.</p>`), Options{}, false},
		// A commented-out link is no link.
		{"only in a comment", doc(`<!-- <a href="https://blog.example.net/posts/hello/">x</a> -->`), Options{}, false},
		// A link a script would write is no link.
		{"only in script", doc(`<script>document.write('<a href="https://blog.example.net/posts/hello/">x</a>')</script>`), Options{}, false},
		// Nor one in a style sheet, a textarea, a template or a noscript.
		{"only in style", doc(`<style>a[href="https://blog.example.net/posts/hello/"]{}</style>`), Options{}, false},
		{"only in textarea", doc(`<textarea><a href="https://blog.example.net/posts/hello/">x</a></textarea>`), Options{}, false},
		{"only in template", doc(`<template><p><a href="https://blog.example.net/posts/hello/">x</a></p></template>`), Options{}, false},
		{"only in noscript", doc(`<noscript><a href="https://blog.example.net/posts/hello/">x</a></noscript>`), Options{}, false},
		// A link after a closed template counts.
		{"after a template", doc(`<template><a href="/x">x</a></template><a href="https://blog.example.net/posts/hello/">y</a>`), Options{}, true},
		// The URL in plain text is not a link.
		{"in plain text", doc(`<p>https://blog.example.net/posts/hello/</p>`), Options{}, false},
		// Nor in another attribute, nor in a <link> element.
		{"other attributes", doc(`<a href="https://else.example/" data-href="https://blog.example.net/posts/hello/" title="https://blog.example.net/posts/hello/">x</a>`), Options{}, false},
		{"link element", doc(`<link rel="canonical" href="https://blog.example.net/posts/hello/">`), Options{}, false},
		// A relative href resolves against <base href>.
		{"relative with base", `<html><head><base href="https://blog.example.net/posts/"></head><body><a href="hello/">x</a></body></html>`, Options{}, true},
		// The first <base> counts even after the link, as in browsers.
		{"base after the link", `<a href="hello/">x</a><base href="https://blog.example.net/posts/"><base href="https://other.example/">`, Options{}, true},
		// Without <base>, a relative href stays on the source's host.
		{"relative without base", doc(`<a href="../hello/">x</a>`), Options{}, false},
		// Trailing slash, index.html, host case, default port: the same page.
		{"no trailing slash", doc(`<a href="https://blog.example.net/posts/hello">x</a>`), Options{}, true},
		{"index.html", doc(`<a href="https://blog.example.net/posts/hello/index.html">x</a>`), Options{}, true},
		{"host case and port", doc(`<a href="HTTPS://Blog.Example.NET:443/posts/hello/">x</a>`), Options{}, true},
		// A fragment names a place in the page: still the page.
		{"fragment", doc(`<a href="https://blog.example.net/posts/hello/#comments">x</a>`), Options{}, true},
		// Another scheme or query is another page.
		{"http is not https", doc(`<a href="http://blog.example.net/posts/hello/">x</a>`), Options{}, false},
		{"query", doc(`<a href="https://blog.example.net/posts/hello/?p=2">x</a>`), Options{}, false},
		// Entities in the href are decoded; case and quoting of the markup do not matter.
		{"entities", doc(`<a href="https://blog.example.net/posts/hello/&#x23;top">x</a>`), Options{}, true},
		{"upper case, unquoted", doc(`<A HREF=https://blog.example.net/posts/hello/>x</A>`), Options{}, true},
		{"whitespace in href", doc("<a href=\"\n  https://blog.example.net/posts/hello/  \">x</a>"), Options{}, true},
		// The first href of a tag wins, as in browsers.
		{"duplicate href", doc(`<a href="https://else.example/" href="https://blog.example.net/posts/hello/">x</a>`), Options{}, false},
		// An image of the target is a link only for Webmention (Media).
		{"img without Media", doc(`<img src="https://blog.example.net/posts/hello/">`), Options{}, false},
		{"img with Media", doc(`<img src="https://blog.example.net/posts/hello/" alt="">`), media, true},
		{"video poster with Media", doc(`<video poster="https://blog.example.net/posts/hello/"></video>`), media, true},
		{"video src with Media", doc(`<video src="https://blog.example.net/posts/hello/"></video>`), media, true},
		{"audio source with Media", doc(`<audio><source src="https://blog.example.net/posts/hello/"></audio>`), media, true},
		// Media options do not make other attributes count.
		{"img srcset with Media", doc(`<img srcset="https://blog.example.net/posts/hello/ 2x">`), media, false},
		{"a with Media", doc(`<a href="https://blog.example.net/posts/hello/">x</a>`), media, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Source([]byte(tt.html), mustURL(t, sourceURL), targetURL, tt.opts)
			if tt.want {
				if err != nil || r == nil {
					t.Fatalf("Source: %v, want a link", err)
				}
				return
			}
			if !errors.Is(err, ErrNoLink) {
				t.Fatalf("Source: err = %v, want ErrNoLink", err)
			}
			if r != nil {
				t.Errorf("Source returned a result with ErrNoLink")
			}
		})
	}
}

// TestSourceTruncated cuts a page at every byte around its only link, as
// the receiver's 1 MiB cap would: a cut before the end of the start tag
// leaves no link, a cut after it leaves the link, and nothing panics.
func TestSourceTruncated(t *testing.T) {
	link := `<a href="https://blog.example.net/posts/hello/">the post</a>`
	head := doc(`<p>` + strings.Repeat("Words before the link. ", 50))
	full := head + link + `</p></body></html>`
	tagEnd := len(head) + strings.Index(link, ">") + 1
	for cut := len(head) - 5; cut <= len(head)+len(link); cut++ {
		_, err := Source([]byte(full[:cut]), mustURL(t, sourceURL), targetURL, Options{})
		if linked := err == nil; linked != (cut >= tagEnd) {
			t.Errorf("cut at %d (tag ends at %d): linked = %v, err = %v", cut, tagEnd, linked, err)
		}
	}
	// A link past a cut made in the middle of a 1 MiB page is absent.
	big := doc(`<p>` + strings.Repeat("x", 2<<20) + link)
	if _, err := Source([]byte(big[:1<<20]), mustURL(t, sourceURL), targetURL, Options{}); !errors.Is(err, ErrNoLink) {
		t.Errorf("link past the cut: err = %v, want ErrNoLink", err)
	}
}

// TestSourceErrors checks the errors name what was checked and match the
// sentinels.
func TestSourceErrors(t *testing.T) {
	_, err := Source([]byte(doc("")), mustURL(t, sourceURL), targetURL, Options{})
	if !errors.Is(err, ErrNoLink) || !strings.Contains(err.Error(), sourceURL) || !strings.Contains(err.Error(), targetURL) {
		t.Errorf("no link: err = %v, want ErrNoLink naming source and target", err)
	}
	for _, bad := range []string{"", "/posts/hello/", "mailto:me@example.net", "ftp://blog.example.net/x"} {
		_, err := Source([]byte(doc(`<a href="`+bad+`">x</a>`)), mustURL(t, sourceURL), bad, Options{})
		if !errors.Is(err, ErrTarget) {
			t.Errorf("target %q: err = %v, want ErrTarget", bad, err)
		}
	}
	// Without a source URL only absolute links resolve.
	if _, err := Source([]byte(doc(`<a href="/posts/hello/">x</a>`)), nil, "https://source.example.org/posts/hello/", Options{}); !errors.Is(err, ErrNoLink) {
		t.Errorf("relative link without source URL: err = %v, want ErrNoLink", err)
	}
	if _, err := Source([]byte(doc(`<a href="`+targetURL+`">x</a>`)), nil, targetURL, Options{}); err != nil {
		t.Errorf("absolute link without source URL: %v", err)
	}
}
