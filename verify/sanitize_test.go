package verify

import (
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Scripts go with their text.
		{"script", `<p>a<script>alert(1)</script>b</p>`, `<p>ab</p>`},
		// Style sheets, style, class and id attributes go.
		{"style", `<style>p{color:red}</style><p style="color:red" class="x" id="y">t</p>`, `<p>t</p>`},
		// Event handlers and target go; rel is ours: nofollow ugc.
		{"event handler and rel", `<a href="https://x.example/" onclick="steal()" rel="me" target="_blank">x</a>`,
			`<a href="https://x.example/" rel="nofollow ugc">x</a>`},
		// javascript: links, in any case or spacing, lose the link and keep the text.
		{"javascript href", `<a href="javascript:alert(1)">js</a> <a href=" JaVaScRiPt:alert(1)">js2</a>`, `js js2`},
		// Frames, forms and their controls go (a button's label stays as text).
		{"iframe and form", `<iframe src="https://x.example/"></iframe><form action="https://x.example/"><input name=a><button>Go</button></form>`, `Go`},
		// Images: absolute http(s) only; alt text escaped.
		{"images", `<img src="https://x.example/a.png" alt='a "quoted" <b>'><img src="data:image/png;base64,AAAA"><img src="/rel.png">`,
			`<img src="https://x.example/a.png" alt="a &#34;quoted&#34; &lt;b&gt;">`},
		// A self-closing <a/> opens a link, as HTML reads it; it is closed.
		{"self-closing a", `<a/>x<a href="https://x.example/"/>y`, `x<a href="https://x.example/" rel="nofollow ugc">y</a>`},
		// Open elements are closed, so the content cannot swallow the page around it.
		{"unclosed", `<div><p>unclosed`, `<div><p>unclosed</p></div>`},
		// SVG and MathML go, with their scripts and links.
		{"svg", `<svg><script>alert(1)</script><a href="javascript:x">s</a></svg><math><mi xlink:href="javascript:alert(1)">m</mi></math>`, `sm`},
		// Embedded objects go.
		{"object and embed", `<p>x</p><object data="x"></object><embed src="https://x.example/e">`, `<p>x</p>`},
		// Entities in hrefs stay escaped.
		{"escaped href", `<a href="https://x.example/?a=1&amp;b=2">q</a>`, `<a href="https://x.example/?a=1&amp;b=2" rel="nofollow ugc">q</a>`},
		// Structure that helps reading stays.
		{"structure", `<blockquote cite="https://q.example/"><p><em>a</em> <code>b</code></p></blockquote><ul><li>c</li></ul>`,
			`<blockquote cite="https://q.example/"><p><em>a</em> <code>b</code></p></blockquote><ul><li>c</li></ul>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sanitize(tt.in)
			if got != tt.want {
				t.Errorf("sanitize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			checkSafeHTML(t, got)
		})
	}
}

// TestSanitizeCap checks that content HTML is cut below maxHTML at a token
// boundary, with every element closed and the text valid UTF-8, wherever
// the cut falls: between elements, or inside one long text.
func TestSanitizeCap(t *testing.T) {
	for _, in := range []string{
		strings.Repeat(`<p>Some <a href="https://x.example/">linked</a> words, ünïcödé &amp; more.</p>`, 2000),
		`<div><blockquote><p>` + strings.Repeat("long text é ", 10000) + `</p></blockquote></div>`,
		`<ul>` + strings.Repeat(`<li><em>`+strings.Repeat("€", 30), 3000),
	} {
		got := sanitize(in)
		if len(got) > maxHTML || len(got) < maxHTML-200 {
			t.Errorf("sanitized HTML is %d bytes, want just under %d", len(got), maxHTML)
		}
		if !utf8.ValidString(got) {
			t.Error("cut HTML is not valid UTF-8")
		}
		if d := depth(got); d != 0 {
			t.Errorf("cut HTML leaves %d elements open: ...%s", d, got[len(got)-80:])
		}
		checkSafeHTML(t, got)
	}
}

// depth returns how many elements fragment leaves open (void ones aside).
func depth(fragment string) int {
	z := html.NewTokenizer(strings.NewReader(fragment))
	d := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return d
		case html.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "br", "hr", "img", "wbr":
			default:
				d++
			}
		case html.EndTagToken:
			d--
		}
	}
}

// checkSafeHTML fails when sanitised HTML holds anything that runs or
// links anywhere but http(s): a script or style element, an on…
// attribute, a style attribute, or a URL attribute of another scheme; and
// when a link lacks rel="nofollow ugc".
func checkSafeHTML(t testing.TB, s string) {
	t.Helper()
	if strings.Contains(strings.ToLower(s), "<script") || strings.Contains(strings.ToLower(s), "<style") {
		t.Errorf("sanitised HTML has a script or style element: %q", s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Errorf("tokenize sanitised HTML: %v", z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, more := z.TagName()
		tag, rel := string(name), ""
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			key, val := string(k), strings.ToLower(strings.TrimSpace(string(v)))
			switch {
			case strings.HasPrefix(key, "on") || key == "style":
				t.Errorf("<%s> keeps attribute %s=%q", tag, key, v)
			case key == "href" || key == "src" || key == "cite":
				if !strings.HasPrefix(val, "https://") && !strings.HasPrefix(val, "http://") {
					t.Errorf("<%s %s=%q> is not an absolute http(s) URL", tag, key, v)
				}
			case key == "rel":
				rel = val
			}
			if strings.Contains(val, "javascript:") {
				t.Errorf("<%s %s=%q> holds javascript:", tag, key, v)
			}
		}
		if tag == "a" && rel != "nofollow ugc" {
			t.Errorf("<a> has rel %q, want nofollow ugc", rel)
		}
	}
}
