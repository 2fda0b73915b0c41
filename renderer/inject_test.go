package renderer

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"

	"github.com/hugo-pingback/hugo-pingback/linkback"
)

var updateInject = flag.Bool("update-inject", false, "rewrite renderer/testdata/inject/*.out.html")

// testTags are the endpoints every golden fixture is injected with.
var testTags = Tags{
	Pingback:   "https://webmention.io/example.org/xmlrpc",
	Webmention: "https://webmention.io/example.org/webmention",
}

// injectCases says, per fixture under testdata/inject, what Inject must
// report. The bytes it must produce are in NAME.out.html.
var injectCases = map[string]struct {
	inserted  []string
	replaced  []string
	removed   int
	rewritten int
	notHTML   bool
	// wpFinds is what WordPress and the spec regex find when it is not the
	// receiver (a documented limitation of those readers).
	wpFinds string
}{
	// A typical Hugo page: tags go right after <meta charset>.
	"hugo-basic": {inserted: []string{"pingback", "webmention"}},
	// No <meta charset>: tags go right after <head>.
	"no-charset": {inserted: []string{"pingback", "webmention"}},
	// Upper-case tags and attributes are the same tags.
	"upper-case": {inserted: []string{"pingback", "webmention"}},
	// <head> with attributes (one holding '>'); charset is not the first meta.
	"head-attrs": {inserted: []string{"pingback", "webmention"}},
	// A <meta charset> past the first 1024 bytes is ignored by browsers: the
	// tags go right after <head>, before the big inline script.
	"late-charset": {inserted: []string{"pingback", "webmention"}},
	// A UTF-8 BOM is kept as the first bytes.
	"bom": {inserted: []string{"pingback", "webmention"}},
	// </head> and a pingback tag inside a script, a style, a title and a
	// comment are text, not tags.
	"head-in-script": {inserted: []string{"pingback", "webmention"}},
	// A commented-out pingback tag in the head is not a tag; ours comes first.
	"comment-decoy": {inserted: []string{"pingback", "webmention"}},
	// A decoy in a comment before <head> is not touched: WordPress and the
	// spec regex, which do not know comments, read it first.
	"decoy-before-head": {inserted: []string{"pingback", "webmention"}, wpFinds: "https://decoy.example/xmlrpc.php"},
	// Hugo --minify without <head>: after the <meta charset> in the implied head.
	"no-head-minified": {inserted: []string{"pingback", "webmention"}},
	// Only a doctype before the head content: after <meta charset>.
	"no-html-no-head": {inserted: []string{"pingback", "webmention"}},
	// No <head> and no charset: right after <html ...>.
	"no-head-no-charset": {inserted: []string{"pingback", "webmention"}},
	// No doctype and no head: after <html>, before <body>.
	"no-doctype": {inserted: []string{"pingback", "webmention"}},
	// XHTML (xml declaration, xmlns): the " />" form, after the http-equiv charset.
	"xhtml": {inserted: []string{"pingback", "webmention"}},
	// An HTML page written with "/>": the tags follow its style.
	"self-closing-style": {inserted: []string{"pingback", "webmention"}},
	// Both tags already present with the same hrefs: nothing changes.
	"existing-same": {},
	// Old receiver: only the href value bytes change.
	"existing-old": {replaced: []string{"https://old.example/xmlrpc.php", "https://old.example/webmention"}},
	// Duplicates, one in the body: the first of each kind is kept (and
	// fixed), the others removed.
	"existing-dups": {replaced: []string{"https://old.example/xmlrpc.php"}, removed: 3},
	// Same hrefs but href before rel: WordPress cannot read that pingback
	// tag, so it is rewritten; the webmention tag is fine as it is.
	"existing-href-first": {rewritten: 1},
	// Unquoted old tags: rewritten whole in the canonical form.
	"existing-unquoted": {replaced: []string{"https://old.example/xmlrpc.php", "https://old.example/wm"}},
	// One tag with both rels: removed, the two canonical tags inserted.
	"existing-combined": {inserted: []string{"pingback", "webmention"}, replaced: []string{"https://old.example/endpoint", "https://old.example/endpoint"}},
	// An entity-encoded href naming the receiver: rewritten, since the spec
	// regex and WordPress would read the entities raw.
	"existing-entity": {inserted: []string{"webmention"}, rewritten: 1},
	// Latin-1 bytes and a NUL: every byte kept.
	"non-utf8": {inserted: []string{"pingback", "webmention"}},
	// CRLF line endings are kept.
	"crlf": {inserted: []string{"pingback", "webmention"}},
	// A zero-byte file is not a page.
	"empty": {notHTML: true},
	// An HTML fragment is not a page.
	"fragment": {notHTML: true},
	// Plain text, even mentioning a link tag, is not a page.
	"plain-text": {notHTML: true},
	// A Hugo alias (redirect) page, charset late in the head.
	"hugo-alias": {inserted: []string{"pingback", "webmention"}},
	// No </head>; an old webmention tag in the body is removed, a new one
	// goes in the head, where readers that stop at <body> look.
	"body-no-head-close": {inserted: []string{"pingback", "webmention"}, replaced: []string{"https://old.example/wm"}, removed: 1},
	// A tag inside <template> (whose <div> ends the head for a reader) is
	// removed; new tags go in the head.
	"template-in-head": {inserted: []string{"pingback", "webmention"}, replaced: []string{"https://in-template.example/"}, removed: 1},
}

func TestInjectGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/inject/*.in.html")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != len(injectCases) {
		t.Errorf("%d fixtures, %d cases: every fixture needs a case and the reverse", len(ins), len(injectCases))
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.html")
		t.Run(name, func(t *testing.T) {
			want, ok := injectCases[name]
			if !ok {
				t.Fatalf("no case for fixture %s", in)
			}
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, res := Inject(bytes.Clone(src), testTags)
			outPath := strings.TrimSuffix(in, ".in.html") + ".out.html"
			if *updateInject {
				if err := os.WriteFile(outPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(outPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, golden) {
				t.Errorf("output differs from %s:\n got: %q\nwant: %q", outPath, got, golden)
			}
			if !slices.Equal(res.Inserted, want.inserted) || !slices.Equal(res.Replaced, want.replaced) ||
				res.Removed != want.removed || res.Rewritten != want.rewritten || res.NotHTML != want.notHTML {
				t.Errorf("result = %+v, want inserted %v replaced %v removed %d rewritten %d notHTML %v",
					res, want.inserted, want.replaced, want.removed, want.rewritten, want.notHTML)
			}
			checkInjected(t, src, got, testTags, res)
			if res.NotHTML {
				return
			}
			wp := testTags.Pingback
			if want.wpFinds != "" {
				wp = want.wpFinds
			}
			if h := wordpressDiscover(got); h != wp {
				t.Errorf("WordPress discovery found %q, want %q", h, wp)
			}
			if h := specDiscover(got); h != wp {
				t.Errorf("spec regex found %q, want %q", h, wp)
			}
			if h := tokenDiscover(headOnly(got), RelPingback); h != testTags.Pingback {
				t.Errorf("a reader stopping at </head> or <body> found %q, want %q", h, testTags.Pingback)
			}
			if h := tokenDiscover(got, RelPingback); h != testTags.Pingback {
				t.Errorf("tokenizer discovery found pingback %q, want %q", h, testTags.Pingback)
			}
			if h := tokenDiscover(got, RelWebmention); h != testTags.Webmention {
				t.Errorf("tokenizer discovery found webmention %q, want %q", h, testTags.Webmention)
			}
			// The project's own discovery, as send uses it on other blogs.
			if h, ok := linkback.FindPingback(got, pageBase); !ok || h != testTags.Pingback {
				t.Errorf("linkback.FindPingback found %q (%v), want %q", h, ok, testTags.Pingback)
			}
		})
	}
}

// pageBase is the URL the golden pages are read at.
var pageBase, _ = url.Parse("https://blog.example.net/posts/a/")

// checkInjected asserts what must hold for any input: a non-page and an
// unchanged page come back as the same bytes; a page carries exactly one tag
// per wanted kind naming the wanted URL; apart from those tags, the output
// tokenizes exactly as the input; and a second pass changes nothing.
func checkInjected(t *testing.T, in, out []byte, tags Tags, res InjectResult) {
	t.Helper()
	if !res.Changed || res.NotHTML {
		if !bytes.Equal(in, out) {
			t.Fatalf("Changed=%v NotHTML=%v but the bytes differ", res.Changed, res.NotHTML)
		}
	}
	if res.Changed && bytes.Equal(in, out) {
		t.Errorf("Changed but the bytes are equal")
	}
	if res.NotHTML {
		return
	}
	managed := func(l link) bool {
		return tags.Pingback != "" && l.pingback || tags.Webmention != "" && l.webmention
	}
	tin, _ := tokensWithout(in, managed)
	tout, links := tokensWithout(out, managed)
	if !slices.Equal(tin, tout) {
		t.Errorf("apart from the managed tags, tokens differ:\n in: %q\nout: %q", tin, tout)
	}
	for _, w := range []struct{ kind, url string }{{RelPingback, tags.Pingback}, {RelWebmention, tags.Webmention}} {
		if w.url == "" {
			continue
		}
		var hrefs []string
		for _, l := range links {
			if l.is(w.kind) {
				hrefs = append(hrefs, l.href)
			}
		}
		if len(hrefs) != 1 || hrefs[0] != w.url {
			t.Errorf("%s tags in output: %q, want exactly [%q]", w.kind, hrefs, w.url)
		}
		if h := tokenDiscover(headOnly(out), w.kind); h != w.url {
			t.Errorf("%s tag not before </head> and <body>: found %q", w.kind, h)
		}
	}
	if res.Changed && res.Removed == 0 && len(res.Replaced) == 0 && res.Rewritten == 0 {
		// Insertion only: out is in with exactly the inserted tags (in one
		// of the two styles) spliced in at one offset, every other byte kept.
		p := 0
		for p < len(in) && in[p] == out[p] {
			p++
		}
		found := false
		for _, x := range []bool{false, true} {
			var want string
			for _, k := range res.Inserted {
				if k == RelPingback {
					want += PingbackTag(tags.Pingback, x)
				} else {
					want += WebmentionTag(tags.Webmention, x)
				}
			}
			if len(out) != len(in)+len(want) {
				continue
			}
			for q := p; q >= 0 && q >= p-len(want); q-- {
				if string(out[q:q+len(want)]) == want && bytes.Equal(out[q+len(want):], in[q:]) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("insertion-only result is not the input with the tags spliced in")
		}
	}
	again, res2 := Inject(out, tags)
	if res2.Changed || !bytes.Equal(again, out) {
		t.Errorf("second pass changed the page: %+v\n%q", res2, again)
	}
}

// tokensWithout tokenizes b completely (an independent, straightforward
// pass), drops the link tags skip selects, merges adjacent text, and returns
// the tokens as raw strings plus every pingback/webmention link found.
func tokensWithout(b []byte, skip func(link) bool) ([]string, []link) {
	z := xhtml.NewTokenizer(bytes.NewReader(b))
	var toks []string
	var links []link
	lastText := false
	off := 0
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := string(z.Raw())
		start := off
		off += len(raw)
		if tt == xhtml.StartTagToken || tt == xhtml.SelfClosingTagToken {
			if name, _ := z.TagName(); string(name) == "link" {
				if l, ok := parseLink([]byte(raw), start); ok {
					links = append(links, l)
					if skip(l) {
						continue
					}
				}
			}
		}
		if tt == xhtml.TextToken && lastText {
			toks[len(toks)-1] += raw
			continue
		}
		lastText = tt == xhtml.TextToken
		toks = append(toks, raw)
	}
	return toks, links
}

// wordpressDiscover is WordPress 6.x discover_pingback_server_uri on a body:
// strpos of rel="pingback" (or rel='pingback'), then the next href=, then up
// to the same quote; no entity decoding, no notion of comments.
func wordpressDiscover(body []byte) string {
	s := string(body)
	dq := strings.Index(s, `rel="pingback"`)
	sq := strings.Index(s, `rel='pingback'`)
	// PHP: if ( $dquote || $squote ): offset 0 and false are both falsy.
	if dq <= 0 && sq <= 0 {
		return ""
	}
	quote, off := `"`, dq
	if dq <= 0 {
		quote, off = `'`, sq
	}
	h := strings.Index(s[off:], "href=")
	if h < 0 {
		return ""
	}
	start := off + h + 6
	if start > len(s) {
		return ""
	}
	end := strings.Index(s[start:], quote)
	if end <= 0 {
		return ""
	}
	return s[start : start+end]
}

// headOnly cuts a page where a reader that stops at </head> or <body>
// stops (the spec allows it; the project's own discovery does it).
func headOnly(b []byte) []byte {
	z := xhtml.NewTokenizer(bytes.NewReader(b))
	off := 0
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return b
		}
		n := len(z.Raw())
		name, _ := z.TagName()
		if tt == xhtml.EndTagToken && string(name) == "head" || tt == xhtml.StartTagToken && string(name) == "body" {
			return b[:off]
		}
		off += n
	}
}

var specRegex = regexp.MustCompile(`<link rel="pingback" href="([^"]+)" ?/?>`)

// specDiscover is the Pingback 1.0 spec's regex, expanding only the four
// entities the spec names.
func specDiscover(body []byte) string {
	m := specRegex.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(string(m[1]))
}

// tokenDiscover is a tokenizer-based reader: the first <link> whose rel
// token list has kind, outside comments, with its decoded href.
func tokenDiscover(body []byte, kind string) string {
	z := xhtml.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return ""
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data != "link" {
				continue
			}
			var rel, href string
			hasHref := false
			for _, a := range tok.Attr {
				switch a.Key {
				case "rel":
					rel = a.Val
				case "href":
					href, hasHref = a.Val, true
				}
			}
			if hasHref && slices.Contains(strings.Fields(strings.ToLower(rel)), kind) {
				return href
			}
		}
	}
}

func TestInjectEscapesHref(t *testing.T) {
	tags := Tags{Pingback: `https://r.example/xmlrpc?a=1&b="2"`, Webmention: "https://r.example/wm?x=1&y=2"}
	src := []byte("<!doctype html><html><head><title>t</title></head><body></body></html>")
	out, res := Inject(src, tags)
	want := `<head><link rel="pingback" href="https://r.example/xmlrpc?a=1&amp;b=&quot;2&quot;"><link rel="webmention" href="https://r.example/wm?x=1&amp;y=2"><title>`
	if !bytes.Contains(out, []byte(want)) {
		t.Fatalf("got %s\nwant it to contain %s", out, want)
	}
	checkInjected(t, src, out, tags, res)
	// Readers that decode entities (the spec regex, a tokenizer) get the URL back.
	if got := specDiscover(out); got != tags.Pingback {
		t.Errorf("spec regex found %q", got)
	}
	if got := tokenDiscover(out, RelPingback); got != tags.Pingback {
		t.Errorf("tokenizer found %q", got)
	}
}

func TestInjectReturnsSameSlice(t *testing.T) {
	for _, src := range [][]byte{
		[]byte("<!doctype html><html><head><meta charset=utf-8>" + PingbackTag(testTags.Pingback, false) + WebmentionTag(testTags.Webmention, false) + "</head></html>"),
		[]byte("<p>fragment</p>"),
	} {
		out, res := Inject(src, testTags)
		if res.Changed || &out[0] != &src[0] {
			t.Errorf("unchanged input not returned as the same slice: %+v", res)
		}
	}
	// No tags wanted: nothing to do.
	src := []byte("<!doctype html><head></head>")
	if out, res := Inject(src, Tags{}); res.Changed || &out[0] != &src[0] {
		t.Errorf("Inject with no tags changed the page: %+v", res)
	}
}

func TestInjectOnlyPingback(t *testing.T) {
	// An existing webmention tag is not ours to manage when none is wanted.
	src := []byte(`<!doctype html><head><link rel="webmention" href="https://theirs.example/wm"></head>`)
	tags := Tags{Pingback: testTags.Pingback}
	out, res := Inject(src, tags)
	want := `<!doctype html><head><link rel="pingback" href="https://webmention.io/example.org/xmlrpc"><link rel="webmention" href="https://theirs.example/wm"></head>`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	checkInjected(t, src, out, tags, res)
}

func TestInjectHugeFiles(t *testing.T) {
	// A 40 MB page: the tags land at the top, the body is not tokenized.
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Huge</title></head><body>")
	para := strings.Repeat("<p>Lorem <a href=\"https://x.example/\">ipsum</a> dolor.</p>\n", 1000)
	for b.Len() < 40<<20 {
		b.WriteString(para)
	}
	b.WriteString("</body></html>")
	src := b.Bytes()
	out, res := Inject(bytes.Clone(src), testTags)
	if !res.Changed || len(out) != len(src)+len(PingbackTag(testTags.Pingback, false))+len(WebmentionTag(testTags.Webmention, false)) {
		t.Fatalf("huge page: %+v, %d → %d bytes", res, len(src), len(out))
	}
	if h := wordpressDiscover(out[:1024]); h != testTags.Pingback {
		t.Errorf("the tag is not within the first KB: %q", h)
	}

	// A head with 300 KB of inline CSS: the tags still come before it, within
	// reach of readers that stop after a few KB.
	src = []byte("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>" + strings.Repeat("a{b:c}\n", 300<<10/7) + "</style></head><body></body></html>")
	out, _ = Inject(src, testTags)
	if h := specDiscover(out[:512]); h != testTags.Pingback {
		t.Errorf("tag not before a huge inline style: %q", h)
	}
}

func TestMayHaveLink(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"<p>nothing</p>", false},                                   // no link at all
		{`<link rel="stylesheet" href="/a.css">`, false},            // a link of another kind
		{`<LINK REL="PingBack" HREF="x">`, true},                    // any case
		{`<link title="a>b" rel="webmention" href="x">`, true},      // '>' in a quoted value
		{`<!-- <link rel="pingback" href="x"> -->`, true},           // in a comment: a candidate, the tokenizer decides
		{`<linked rel="pingback">`, false},                          // another element
		{`<link`, false},                                            // cut short
		{"<link\nrel=pingback>", true},                              // newline after the name
		{`<link/rel="webmention" href=x>`, true},                    // slash as separator
		{`<a rel="webmention" href="x">`, false},                    // <a> is not managed
		{`<link rel="pingbackx" href="x"><link rel="x y" >`, false}, // rel tokens must match whole
	} {
		if got := mayHaveLink([]byte(c.in)); got != c.want {
			t.Errorf("mayHaveLink(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func FuzzInject(f *testing.F) {
	ins, _ := filepath.Glob("testdata/inject/*.in.html")
	for _, in := range ins {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte(`<!doctype html><head><link rel=pingback href="a&amp">`), true)
	f.Add([]byte(`<html><link rel="webmention pingback" href=x><link rel=pingback>`), false)
	f.Fuzz(func(t *testing.T, src []byte, onlyPingback bool) {
		tags := testTags
		if onlyPingback {
			tags.Webmention = ""
		}
		out, res := Inject(bytes.Clone(src), tags)
		checkInjected(t, src, out, tags, res)
	})
}

// FuzzScanTag checks that scanTag reads a start tag exactly as the x/net/html
// tokenizer does: same length, same attribute keys in the same order, same
// values. Inject relies on it for href offsets and for the byte scan that
// decides whether the body must be tokenized.
func FuzzScanTag(f *testing.F) {
	for _, s := range []string{
		`<link rel="pingback" href="x">`, `<link rel=pingback href=x/>`, `<LINK REL='a>b' HREF=y>`,
		`<link / rel="x" =y a= b c>`, `<link rel="a" rel="b">`, `<link href`, `<link a=">`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 || b[0] != '<' || !(b[1] >= 'a' && b[1] <= 'z' || b[1] >= 'A' && b[1] <= 'Z') {
			return
		}
		attrs, end := scanTag(b)
		z := xhtml.NewTokenizer(bytes.NewReader(b))
		tt := z.Next()
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			if end >= 0 {
				t.Fatalf("tokenizer: no tag (%v); scanTag: tag of %d bytes", tt, end)
			}
			return
		}
		if end != len(z.Raw()) {
			t.Fatalf("tag length: tokenizer %d, scanTag %d", len(z.Raw()), end)
		}
		raw := b[:end]
		var i int
		for more := true; more; i++ {
			var k, v []byte
			k, v, more = z.TagAttr()
			if k == nil {
				break
			}
			if i >= len(attrs) {
				t.Fatalf("tokenizer has more attributes than scanTag's %d", len(attrs))
			}
			a := attrs[i]
			if string(k) != a.key {
				t.Fatalf("attribute %d: key %q vs %q", i, k, a.key)
			}
			if !bytes.ContainsRune(raw[a.valStart:a.valEnd], '&') && string(v) != attrValue(raw[a.valStart:a.valEnd]) {
				t.Fatalf("attribute %q: value %q vs %q", k, v, raw[a.valStart:a.valEnd])
			}
		}
		if i != len(attrs) {
			t.Fatalf("attributes: tokenizer %d, scanTag %d", i, len(attrs))
		}
	})
}
