package linkback

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// seedDir adds every file of testdata/dir matching pattern to the corpus.
func seedDir(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
}

// FuzzFindPingback checks that FindPingback never panics and that whatever
// it finds is an absolute http(s) URL in plain ASCII.
func FuzzFindPingback(f *testing.F) {
	seedDir(f, "pingback/*.html")
	f.Add([]byte(`<link rel=pingback href=/x>`))
	f.Add([]byte(`<!--<link rel="pingback" href="https://d.example/">-->`))
	base, _ := url.Parse("https://blog.example/2024/post/")
	f.Fuzz(func(t *testing.T, page []byte) {
		got, ok := FindPingback(page, base)
		if ok != (got != "") {
			t.Fatalf("ok = %v with %q", ok, got)
		}
		if !ok {
			return
		}
		u, err := url.Parse(got)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("endpoint %q is not an absolute http(s) URL (%v)", got, err)
		}
		for i := 0; i < len(got); i++ {
			if got[i] <= 0x20 || got[i] >= 0x7f {
				t.Fatalf("endpoint %q holds byte %#x", got, got[i])
			}
		}
		// Reading only the head never finds more than reading it all.
		if head, ok := findPingbackHead(page, base); ok && head != got {
			t.Fatalf("head-only found %q, whole page %q", head, got)
		}
	})
}

// FuzzParseXMLRPCResponse checks that any answer gives a string, a
// *FaultError or a *ProtocolError, and never panics.
func FuzzParseXMLRPCResponse(f *testing.F) {
	seedDir(f, "xmlrpc/*.xml")
	f.Add([]byte(okBody))
	f.Add([]byte(faultBody(17, "no link")))
	f.Fuzz(func(t *testing.T, data []byte) {
		answer, err := ParseMethodResponse(data)
		var fe *FaultError
		var pe *ProtocolError
		switch {
		case err == nil:
		case errors.As(err, &fe):
			if answer != "" {
				t.Fatalf("fault with an answer %q", answer)
			}
		case errors.As(err, &pe):
			if answer != "" || pe.Msg == "" || strings.TrimSpace(pe.Error()) == "" {
				t.Fatalf("garbage with answer %q, message %q", answer, pe.Msg)
			}
		default:
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}

func findPingbackHead(page []byte, base *url.URL) (string, bool) {
	return findPingback(html.NewTokenizer(bytes.NewReader(page)), base, true)
}
