package linkurl

import (
	"net/url"
	"testing"
)

func TestResolve(t *testing.T) {
	base, _ := url.Parse("https://blog.example.net/posts/a/")
	for _, tc := range []struct {
		name, href, want string
	}{
		{"absolute", "https://example.com/x", "https://example.com/x"},
		{"relative", "../b/", "https://blog.example.net/posts/b/"},
		{"root-relative", "/about/", "https://blog.example.net/about/"},
		{"fragment dropped", "https://example.com/x#top", "https://example.com/x"},
		{"whitespace trimmed", "  https://example.com/x \n", "https://example.com/x"},
		{"newline inside removed", "https://exa\nmple.com/x", "https://example.com/x"},
		{"mailto refused", "mailto:a@example.com", ""},
		{"javascript refused", "javascript:alert(1)", ""},
		{"no host refused", "https:///x", ""},
		{"upper-case scheme", "HTTPS://example.com/x", "https://example.com/x"},
		{"protocol-relative", "//cdn.example.org/y", "https://cdn.example.org/y"},
		{"bad escape refused", "https://example.com/%zz", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := Resolve(base, tc.href)
			if got != tc.want {
				t.Errorf("Resolve(%q) = %q, want %q", tc.href, got, tc.want)
			}
		})
	}
	if u, s := Resolve(nil, "/about/"); u != nil || s != "" {
		t.Errorf("relative href without base resolved to %q", s)
	}
}

func TestBase(t *testing.T) {
	page, _ := url.Parse("https://blog.example.net/posts/a/")
	for _, tc := range []struct {
		name     string
		page     *url.URL
		href     string
		haveBase bool
		want     string // "" for nil
	}{
		// No <base>: the page URL.
		{"no base", page, "", false, "https://blog.example.net/posts/a/"},
		// A relative <base href> is read against the page.
		{"relative base", page, "/static/", true, "https://blog.example.net/static/"},
		// An absolute <base href> replaces the page URL, whitespace trimmed.
		{"absolute base", page, " https://cdn.example.org/x/ ", true, "https://cdn.example.org/x/"},
		// <base href=""> is the page itself.
		{"empty base", page, "", true, "https://blog.example.net/posts/a/"},
		// A <base href> that does not parse is ignored.
		{"bad base", page, "https://exa mple.com/%zz", true, "https://blog.example.net/posts/a/"},
		// Without a page URL only an absolute <base href> gives a base.
		{"no page, absolute base", nil, "https://cdn.example.org/", true, "https://cdn.example.org/"},
		{"no page, relative base", nil, "/static/", true, ""},
		{"no page, no base", nil, "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Base(tc.page, tc.href, tc.haveBase)
			gs := ""
			if got != nil {
				gs = got.String()
			}
			if gs != tc.want {
				t.Errorf("Base(%v, %q, %v) = %q, want %q", tc.page, tc.href, tc.haveBase, gs, tc.want)
			}
		})
	}
}

func TestSame(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", "https://blog.example.net/p/", "https://blog.example.net/p/", true},
		{"host case", "https://Blog.Example.NET/p/", "https://blog.example.net/p/", true},
		{"scheme case", "HTTPS://blog.example.net/p/", "https://blog.example.net/p/", true},
		{"default https port", "https://blog.example.net:443/p/", "https://blog.example.net/p/", true},
		{"default http port", "http://blog.example.net:80/p/", "http://blog.example.net/p/", true},
		{"other port differs", "https://blog.example.net:8443/p/", "https://blog.example.net/p/", false},
		{"trailing slash", "https://blog.example.net/p", "https://blog.example.net/p/", true},
		{"index.html", "https://blog.example.net/p/index.html", "https://blog.example.net/p/", true},
		{"root index.html", "https://blog.example.net/index.html", "https://blog.example.net/", true},
		{"index.html ending a name", "https://blog.example.net/blog/myindex.html", "https://blog.example.net/blog/my", false},
		{"root with and without slash", "https://blog.example.net", "https://blog.example.net/", true},
		{"fragment ignored", "https://blog.example.net/p/#c1", "https://blog.example.net/p/", true},
		{"scheme differs", "http://blog.example.net/p/", "https://blog.example.net/p/", false},
		{"path differs", "https://blog.example.net/p/", "https://blog.example.net/q/", false},
		{"path case matters", "https://blog.example.net/P/", "https://blog.example.net/p/", false},
		{"query differs", "https://blog.example.net/p/?a=1", "https://blog.example.net/p/", false},
		{"query kept", "https://blog.example.net/p/?a=1", "https://blog.example.net/p?a=1", true},
		{"not a URL", "blog.example.net/p/", "https://blog.example.net/p/", false},
		{"both not URLs", "x", "x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Same(tc.a, tc.b); got != tc.want {
				t.Errorf("Same(%q, %q) = %v, want %v (keys %q, %q)", tc.a, tc.b, got, tc.want, KeyOf(tc.a), KeyOf(tc.b))
			}
		})
	}
}

func TestHost(t *testing.T) {
	u, _ := url.Parse("https://WWW.Example.COM.:8443/x")
	if got := Host(u); got != "www.example.com" {
		t.Errorf("Host = %q", got)
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"https://blog.example.net/p/", "http://a:80/index.html", "https://x/?#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		k := KeyOf(raw)
		if k == "" {
			return
		}
		// A key is itself a URL with the same key.
		if k2 := KeyOf(k); k2 != k {
			t.Fatalf("KeyOf(KeyOf(%q)) = %q, want %q", raw, k2, k)
		}
	})
}
