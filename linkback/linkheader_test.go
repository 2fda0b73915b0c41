package linkback

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseLinkHeader(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []LinkValue
	}{
		{
			// The simplest form: bare rel token (webmention.rocks test 1).
			name:   "bare rel",
			values: []string{`</wm>; rel=webmention`},
			want:   []LinkValue{{URL: "/wm", Rels: []string{"webmention"}}},
		},
		{
			// Quoted rel is the same relation (webmention.rocks test 8).
			name:   "quoted rel",
			values: []string{`<https://a.example/wm>; rel="webmention"`},
			want:   []LinkValue{{URL: "https://a.example/wm", Rels: []string{"webmention"}}},
		},
		{
			// rel is a space-separated token list (webmention.rocks test 10).
			name:   "rel token list",
			values: []string{`</wm>; rel="webmention somethingelse"`},
			want:   []LinkValue{{URL: "/wm", Rels: []string{"webmention", "somethingelse"}}},
		},
		{
			// Two links in one header value (webmention.rocks test 19).
			name:   "several links in one value",
			values: []string{`</e>; rel="other", </wm>; rel="webmention"`},
			want: []LinkValue{
				{URL: "/e", Rels: []string{"other"}},
				{URL: "/wm", Rels: []string{"webmention"}},
			},
		},
		{
			// Two header lines keep their order (webmention.rocks test 18).
			name:   "several headers",
			values: []string{`</e>; rel="other"`, `</wm>; rel="webmention"`},
			want: []LinkValue{
				{URL: "/e", Rels: []string{"other"}},
				{URL: "/wm", Rels: []string{"webmention"}},
			},
		},
		{
			// Relation types compare case-insensitively (RFC 8288 2.1.1).
			name:   "upper-case REL and value",
			values: []string{`</wm>; REL="WebMention"`},
			want:   []LinkValue{{URL: "/wm", Rels: []string{"webmention"}}},
		},
		{
			// A comma inside a quoted parameter does not end the link.
			name:   "comma in quoted string",
			values: []string{`</a>; title="one, two"; rel=next, </wm>; rel=webmention`},
			want: []LinkValue{
				{URL: "/a", Rels: []string{"next"}, Params: map[string]string{"title": "one, two"}},
				{URL: "/wm", Rels: []string{"webmention"}},
			},
		},
		{
			// A comma inside the URL's angle brackets does not end the link.
			name:   "comma in URL",
			values: []string{`</a,b?x=1,2>; rel=webmention`},
			want:   []LinkValue{{URL: "/a,b?x=1,2", Rels: []string{"webmention"}}},
		},
		{
			// Backslash escapes in a quoted string are resolved.
			name:   "escaped quote",
			values: []string{`</a>; title="say \"hi\""; rel=x`},
			want:   []LinkValue{{URL: "/a", Rels: []string{"x"}, Params: map[string]string{"title": `say "hi"`}}},
		},
		{
			// RFC 8288 3.3: a second rel parameter is ignored.
			name:   "second rel ignored",
			values: []string{`</a>; rel=other; rel=webmention`},
			want:   []LinkValue{{URL: "/a", Rels: []string{"other"}}},
		},
		{
			// Spaces around ; and = are allowed (BWS, OWS).
			name:   "whitespace everywhere",
			values: []string{`  </wm>  ;  rel = "webmention"  ;  type = "text/html" `},
			want:   []LinkValue{{URL: "/wm", Rels: []string{"webmention"}, Params: map[string]string{"type": "text/html"}}},
		},
		{
			// A malformed link is skipped; the good one after it survives.
			name:   "garbage then good link",
			values: []string{`garbage; rel=webmention, </wm>; rel=webmention`},
			want:   []LinkValue{{URL: "/wm", Rels: []string{"webmention"}}},
		},
		{
			// Junk after the target drops that link, not the next one.
			name:   "junk after target",
			values: []string{`</bad> junk; rel=webmention, </wm>; rel=webmention`},
			want:   []LinkValue{{URL: "/wm", Rels: []string{"webmention"}}},
		},
		{
			// An unterminated target ends the value without a panic.
			name:   "unterminated target",
			values: []string{`</wm; rel=webmention`},
			want:   nil,
		},
		{
			// Empty target: the context resource itself.
			name:   "empty target",
			values: []string{`<>; rel=webmention`},
			want:   []LinkValue{{URL: "", Rels: []string{"webmention"}}},
		},
		{
			// A parameter without a value (valid per RFC 8288) is kept empty.
			name:   "valueless parameter",
			values: []string{`</a>; crossorigin; rel=x`},
			want:   []LinkValue{{URL: "/a", Rels: []string{"x"}, Params: map[string]string{"crossorigin": ""}}},
		},
		{
			// Nothing at all.
			name:   "empty",
			values: []string{"", " , ,"},
			want:   nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseLinkHeader(tt.values)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLinkHeader(%q)\n got %#v\nwant %#v", tt.values, got, tt.want)
			}
		})
	}
}

func TestFindWebmentionHeader(t *testing.T) {
	base, _ := url.Parse("https://target.example/post/1?x=y")
	tests := []struct {
		name   string
		header http.Header
		want   string
	}{
		{
			// No Link header: "" so the caller goes on to the HTML.
			name:   "none",
			header: http.Header{},
			want:   "",
		},
		{
			// Only other relations.
			name:   "other rels only",
			header: http.Header{"Link": {`</feed>; rel=alternate`}},
			want:   "",
		},
		{
			// "not-webmention" is not the token "webmention".
			name:   "not-webmention",
			header: http.Header{"Link": {`</e>; rel=not-webmention`}},
			want:   "",
		},
		{
			// Resolved against the page URL, the page's query string dropped.
			name:   "relative",
			header: http.Header{"Link": {`<wm>; rel=webmention`}},
			want:   "https://target.example/post/wm",
		},
		{
			// An absolute endpoint on another host is taken as it is.
			name:   "absolute other host",
			header: http.Header{"Link": {`<https://webmention.io/u/webmention>; rel="webmention"`}},
			want:   "https://webmention.io/u/webmention",
		},
		{
			// The endpoint's own query string is kept.
			name:   "query kept",
			header: http.Header{"Link": {`</wm?token=a&b=c>; rel=webmention`}},
			want:   "https://target.example/wm?token=a&b=c",
		},
		{
			// The first webmention link wins over a later one.
			name:   "first wins",
			header: http.Header{"Link": {`</one>; rel=webmention, </two>; rel=webmention`}},
			want:   "https://target.example/one",
		},
		{
			// A fragment is no part of an endpoint a client POSTs to.
			name:   "fragment dropped",
			header: http.Header{"Link": {`</wm#frag>; rel=webmention`}},
			want:   "https://target.example/wm",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findWebmentionHeader(tt.header, base); got != tt.want {
				t.Errorf("findWebmentionHeader(%v) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

func FuzzParseLinkHeader(f *testing.F) {
	for _, s := range []string{
		`</wm>; rel=webmention`,
		`<https://a.example/wm>; rel="webmention somethingelse"`,
		`</e>; rel="other", </wm>; rel="webmention"`,
		`</a>; title="one, two\"x"; rel=next, <b>; rel=webmention`,
		`</wm; rel=webmention`,
		`<>; rel=webmention`,
		`garbage, <x>;;; rel = "a" ; foo`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		links := ParseLinkHeader([]string{s})
		if len(links) > strings.Count(s, "<") {
			t.Fatalf("%d links from %d '<' in %q", len(links), strings.Count(s, "<"), s)
		}
		for _, l := range links {
			// The target is what stood between < and >, trimmed.
			if strings.Contains(l.URL, ">") || !strings.Contains(s, l.URL) {
				t.Fatalf("URL %q is not a bracketed part of %q", l.URL, s)
			}
			for _, r := range l.Rels {
				if r == "" || r != strings.ToLower(r) || strings.ContainsAny(r, " \t") {
					t.Fatalf("bad rel token %q from %q", r, s)
				}
			}
		}
		// The same input split over two header lines gives the links twice.
		if twice := ParseLinkHeader([]string{s, s}); len(twice) != 2*len(links) {
			t.Fatalf("two copies gave %d links, one gave %d: %q", len(twice), len(links), s)
		}
	})
}
