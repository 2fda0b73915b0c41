package sitegen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	sa, err := Generate(a, Options{Pages: 12, Seed: 3, ListPages: true})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Generate(b, Options{Pages: 12, Seed: 3, ListPages: true})
	if err != nil {
		t.Fatal(err)
	}
	if sa != sb {
		t.Fatalf("stats differ: %+v vs %+v", sa, sb)
	}
	for _, rel := range []string{PostPath(1), PostPath(12), "index.html", "sitemap.xml", "404.html"} {
		x, err := os.ReadFile(filepath.Join(a, rel))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same options", rel)
		}
	}
	x, _ := os.ReadFile(filepath.Join(a, PostPath(2)))
	d := t.TempDir()
	if _, err := Generate(d, Options{Pages: 12, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	z, _ := os.ReadFile(filepath.Join(d, PostPath(2)))
	if bytes.Equal(x, z) {
		t.Error("seeds 3 and 4 produced the same post")
	}
}

func TestGenerateShape(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(dir, Options{Pages: 40, BaseURL: "https://sam.example/blog"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Pages != 40 || st.Files != 40 {
		t.Errorf("stats = %+v, want 40 pages in 40 files", st)
	}
	if st.ContentLinks < 3*40 || st.ContentLinks > 10*40 {
		t.Errorf("ContentLinks = %d, want 3-10 per page", st.ContentLinks)
	}
	var total int64
	for i := 1; i <= 40; i++ {
		b, err := os.ReadFile(filepath.Join(dir, PostPath(i)))
		if err != nil {
			t.Fatal(err)
		}
		total += int64(len(b))
		if n := len(b); n < 15000 || n > 25600 {
			t.Errorf("%s is %d bytes, want 15-25 KB", PostPath(i), n)
		}
		s := string(b)
		for _, want := range []string{"<!DOCTYPE html>", `class="post h-entry"`, `class="post-content e-content"`, `<nav `, `<aside `, `<footer `, "https://sam.example/blog/" + PostURLPath(i)} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q", PostPath(i), want)
			}
		}
	}
	if total != st.Bytes {
		t.Errorf("Bytes = %d, files hold %d", st.Bytes, total)
	}
}

func TestGenerateListPages(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(dir, Options{Pages: 25, ListPages: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"index.html", "posts/index.html", "posts/page/2/index.html", "posts/page/3/index.html",
		"posts/page/1/index.html", "2019/old-post-10/index.html", "404.html", "sitemap.xml", "index.xml", "css/stylesheet.5d6d1b4f.css"} {
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			t.Errorf("missing %s: %v", rel, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "2019/old-post-10/index.html"))
	if !strings.Contains(string(b), `http-equiv="refresh"`) {
		t.Errorf("alias page has no meta refresh: %s", b)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "posts/page/2/index.html"))
	if n := strings.Count(string(b), "<article"); n != 10 {
		t.Errorf("list page has %d articles, want 10", n)
	}
	if st.Files <= st.Pages {
		t.Errorf("Files = %d, want more than the %d posts", st.Files, st.Pages)
	}
}
