package linkback

import (
	"net/url"
	"testing"
)

func TestFindWebmentionHTML(t *testing.T) {
	base, _ := url.Parse("https://target.example/2024/post/")
	tests := []struct {
		name string
		html string
		want string // "" means not found
	}{
		{
			// Plain <link> in the head.
			name: "link",
			html: `<html><head><link rel="webmention" href="/wm"></head></html>`,
			want: "https://target.example/wm",
		},
		{
			// Attribute names and rel keywords are case-insensitive in HTML.
			name: "upper case",
			html: `<LINK REL="WebMention" HREF="/wm">`,
			want: "https://target.example/wm",
		},
		{
			// Single quotes and unquoted attribute values are both HTML.
			name: "single quotes and bare value",
			html: `<a rel='webmention' href=/wm>x</a>`,
			want: "https://target.example/wm",
		},
		{
			// rel tokens may be separated by any HTML whitespace.
			name: "rel with newline",
			html: "<link rel=\"me\nwebmention\" href=\"/wm\">",
			want: "https://target.example/wm",
		},
		{
			// Entities in the href are decoded (&amp; is &).
			name: "entity in href",
			html: `<link rel="webmention" href="/wm?a=1&amp;b=2">`,
			want: "https://target.example/wm?a=1&b=2",
		},
		{
			// Only <link> and <a> can name an endpoint, not <b> or <area>
			// (the suite's unnumbered draft case).
			name: "other elements ignored",
			html: `<b rel="webmention" href="/bad"></b><area rel="webmention" href="/bad2"><a rel="webmention" href="/wm">x</a>`,
			want: "https://target.example/wm",
		},
		{
			// Script text is not markup.
			name: "inside script",
			html: `<script>document.write('<link rel="webmention" href="/bad">')</script><link rel="webmention" href="/wm">`,
			want: "https://target.example/wm",
		},
		{
			// Neither is a textarea's content.
			name: "inside textarea",
			html: `<textarea><a rel="webmention" href="/bad">x</a></textarea>`,
			want: "",
		},
		{
			// Relative to a directory-style page URL.
			name: "path relative",
			html: `<link rel="webmention" href="wm">`,
			want: "https://target.example/2024/post/wm",
		},
		{
			// Leading and trailing spaces in href are not part of the URL.
			name: "href with spaces",
			html: `<link rel="webmention" href="  /wm  ">`,
			want: "https://target.example/wm",
		},
		{
			// An href Go cannot parse is skipped for the next candidate.
			name: "unparseable href skipped",
			html: `<link rel="webmention" href="http://[::1">` + `<a rel="webmention" href="/wm">x</a>`,
			want: "https://target.example/wm",
		},
		{
			// Self-closing XHTML form.
			name: "xhtml",
			html: `<link rel="webmention" href="/wm" />`,
			want: "https://target.example/wm",
		},
		{
			// No endpoint at all.
			name: "none",
			html: `<html><head><link rel="pingback" href="/xmlrpc.php"></head><body><a href="/wm">x</a></body></html>`,
			want: "",
		},
		{
			// Truncated documents do not panic and find nothing.
			name: "truncated",
			html: `<link rel="webmention" href="/wm`,
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := findWebmentionHTML([]byte(tt.html), base)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("findWebmentionHTML(%q) = %q, %v; want %q", tt.html, got, ok, tt.want)
			}
		})
	}
}

func FuzzFindWebmentionHTML(f *testing.F) {
	for _, c := range loadRocksCases(f) {
		f.Add(c.body)
	}
	f.Add([]byte(`<a rel="webmention" href="">`))
	f.Add([]byte(`<link rel="webmention"><!-- <link rel="webmention" href="/x"> -->`))
	base, _ := url.Parse("https://target.example/p/")
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := findWebmentionHTML(body, base)
		if ok != (got != "") {
			t.Fatalf("ok=%v with endpoint %q", ok, got)
		}
		if !ok {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("endpoint %q does not parse: %v", got, err)
		}
		// Resolved against an absolute base, so always absolute; a
		// fragment is never part of an endpoint.
		if !u.IsAbs() || u.Fragment != "" {
			t.Fatalf("endpoint %q is not absolute or kept a fragment", got)
		}
	})
}

// BenchmarkFindWebmentionHTML measures the worst case Discover meets: a
// 1 MiB page whose only endpoint is its last element.
func BenchmarkFindWebmentionHTML(b *testing.B) {
	var page []byte
	page = append(page, "<!doctype html><html><head><title>t</title></head><body>"...)
	for len(page) < MaxPageBytes-200 {
		page = append(page, `<p class="x">Some <a href="/other" rel="nofollow">text</a> &amp; more text.</p>`+"\n"...)
	}
	page = append(page, `<a rel="webmention" href="/wm">wm</a></body></html>`...)
	base, _ := url.Parse("https://target.example/p/")
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if ep, ok := findWebmentionHTML(page, base); !ok || ep != "https://target.example/wm" {
			b.Fatalf("got %q", ep)
		}
	}
}
