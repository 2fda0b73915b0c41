package linkback

import (
	"net/url"
	"strings"
	"testing"
)

// benchPage is a 20 KB page with its pingback link at the end of the head,
// after the usual scripts and styles.
func benchPage() []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>A post</title>\n")
	for i := 0; i < 20; i++ {
		b.WriteString(`<link rel="stylesheet" href="/css/style.css?v=1"><meta property="og:title" content="A post">` + "\n")
	}
	b.WriteString(`<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>` + "\n")
	b.WriteString(`<link rel="pingback" href="https://blog.example/xmlrpc.php"></head><body>` + "\n")
	for b.Len() < 20<<10 {
		b.WriteString(`<p>Lorem ipsum dolor sit amet, <a href="https://elsewhere.example/x">consectetur</a> adipiscing elit.</p>` + "\n")
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

func BenchmarkFindPingback(b *testing.B) {
	page := benchPage()
	base, _ := url.Parse("https://blog.example/2024/post/")
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := FindPingback(page, base); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkParseMethodResponse(b *testing.B) {
	data := []byte(okBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMethodResponse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckLinks(b *testing.B) {
	page := benchPage()
	base, _ := url.Parse("https://blog.example/2024/post/")
	targets := []string{"https://elsewhere.example/x", "https://missing.example/"}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if lc := checkLinks(page, base, targets); len(lc.Missing) != 1 {
			b.Fatal(lc.Missing)
		}
	}
}
