// Package corpustest reads built sites for tests, and finds the shared
// benchmark corpus: the
// built Hugo docs site (../shared/corpus/hugodocs-public.tar.zst, see its
// README), unpacked where HP_CORPUS says or in /tmp/corpus/hugodocs-public.
// Tests and benchmarks that use it skip when it is not there.
//
// It is for tests only and never used by the tool.
package corpustest

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BaseURL is where the corpus site is published.
const BaseURL = "https://gohugo.io/"

// Dir returns the unpacked corpus (HP_CORPUS, else
// /tmp/corpus/hugodocs-public), or skips the test.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("HP_CORPUS")
	if dir == "" {
		dir = "/tmp/corpus/hugodocs-public"
	}
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("no corpus at %s (unpack ../shared/corpus/hugodocs-public.tar.zst, set HP_CORPUS)", dir)
	}
	return dir
}

// Page is one HTML page of the corpus and the URL it is published at.
type Page struct {
	URL *url.URL
	Src []byte
}

// Pages reads every HTML page of the corpus in path order, or skips the
// test when there is no corpus.
func Pages(tb testing.TB) []Page {
	tb.Helper()
	dir := Dir(tb)
	pages, err := Load(dir, BaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	return pages
}

// Load reads every HTML page of a built site in dir, in path order, with
// the URL each is published at under base: DIR/a/b/index.html is at
// base+"a/b/", DIR/x.html at base+"x.html".
func Load(dir, base string) ([]Page, error) {
	var pages []Page
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		u, err := url.Parse(base + strings.TrimSuffix(filepath.ToSlash(rel), "index.html"))
		if err != nil {
			return err
		}
		pages = append(pages, Page{URL: u, Src: src})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read site %s: %w", dir, err)
	}
	return pages, nil
}
