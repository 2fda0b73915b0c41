package linkurl

import (
	"errors"
	"net/url"
	"testing"
)

func TestPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, url string
		want         bool
	}{
		// The README's own examples.
		{"*.facebook.com/*", "https://www.facebook.com/page/posts/1", true},
		{"*.facebook.com/*", "https://facebook.com/", true},       // the domain itself
		{"*.facebook.com/*", "https://m.de.facebook.com/x", true}, // any depth
		{"*.facebook.com/*", "https://notfacebook.com/x", false},  // not a sub-domain
		{"*.facebook.com/*", "https://facebook.com.evil.example/", false},
		{"twitter.com/*", "https://twitter.com", true}, // no path at all
		{"twitter.com/*", "https://twitter.com/a/b/c", true},
		{"twitter.com", "http://twitter.com/x?y=1#z", true}, // no path: every path; query ignored
		{"twitter.com", "https://www.twitter.com/", false},  // no wildcard: the host exactly
		{"TWITTER.com", "https://twitter.COM/", true},       // host case
		// Path prefixes end at a segment boundary.
		{"example.com/private", "https://example.com/private", true},
		{"example.com/private", "https://example.com/private/", true},
		{"example.com/private", "https://example.com/private/a/b", true},
		{"example.com/private", "https://example.com/privateer", false},
		{"example.com/private/", "https://example.com/private", false}, // a trailing slash wants something below
		{"example.com/private/", "https://example.com/private/x", true},
		// * stays within a segment; ** crosses them.
		{"example.com/*/feed", "https://example.com/blog/feed", true},
		{"example.com/*/feed", "https://example.com/a/b/feed", false},
		{"example.com/**/feed", "https://example.com/a/b/feed", true},
		{"example.com/**/feed", "https://example.com/a/b/feed/x", true},
		{"example.com/p?ge", "https://example.com/page", true},
		{"example.com/p[0-9]", "https://example.com/p7/x", true},
		{"example.com/p[!0-9]", "https://example.com/p7", false},
		// * in a host stays within a label; ** crosses labels.
		{"cdn*.example.com", "https://cdn2.example.com/", true},
		{"cdn*.example.com", "https://cdn.eu.example.com/", false},
		{"**.example.com", "https://a.b.example.com/", true},
		{"**", "https://anything.example/", true},
		// Scheme and port.
		{"https://example.com", "http://example.com/", false},
		{"https://example.com", "https://example.com/", true},
		{"localhost:8080", "http://localhost:8080/x", true},
		{"localhost:8080", "http://localhost:9090/x", false},
		{"example.com:443", "https://example.com/", true}, // the default port counts
		// Escapes: a literal star.
		{`example.com/a\*b`, "https://example.com/a*b", true},
		{`example.com/a\*b`, "https://example.com/axb", false},
	} {
		p, err := CompilePattern(tc.pattern)
		if err != nil {
			t.Errorf("CompilePattern(%q): %v", tc.pattern, err)
			continue
		}
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(u); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.url, got, tc.want)
		}
	}
}

func TestCompilePatternErrors(t *testing.T) {
	for _, bad := range []string{
		"[",                 // an unclosed class
		"example.com/a[",    // the same in the path
		"",                  // nothing
		"/only/a/path",      // no host
		"ftp://example.com", // never notified
		"example.com/#frag", // fragments are not compared
		"user@example.com",  // not a host
		`example.com/a\`,    // a dangling escape
	} {
		_, err := CompilePattern(bad)
		if !errors.Is(err, ErrBadPattern) {
			t.Errorf("CompilePattern(%q) = %v, want ErrBadPattern", bad, err)
		}
	}
}

func TestMatchHost(t *testing.T) {
	p, _ := CompilePattern("*.spam.example")
	for host, want := range map[string]bool{"spam.example": true, "a.spam.example": true, "SPAM.example.": true, "ham.example": false} {
		if got := p.MatchHost(host); got != want {
			t.Errorf("MatchHost(%q) = %v", host, got)
		}
	}
	if p, _ := CompilePattern("spam.example/x"); p.MatchHost("spam.example") {
		t.Error("a pattern with a path matched a bare host")
	}
}
