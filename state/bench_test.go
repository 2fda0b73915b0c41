package state

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchPage is a page shaped like a real blog post: a few content links, as
// many targets, a title and timestamps.
func benchPage(i int) Page {
	url := fmt.Sprintf("https://blog.example.org/posts/%04d/a-post-with-a-fairly-long-slug-%d/", i/100, i)
	links := make([]string, 3+i%8)
	for j := range links {
		links[j] = fmt.Sprintf("https://site%d.example.net/articles/%d/some-linked-article-%d/", (i+j)%500, j, i*7+j)
	}
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
	return Page{
		URL:       url,
		File:      fmt.Sprintf("posts/%04d/a-post-with-a-fairly-long-slug-%d/index.html", i/100, i),
		Hash:      fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15),
		Links:     links,
		Targets:   links,
		Title:     fmt.Sprintf("A post with a fairly long title, number %d", i),
		Published: t,
		FirstSeen: t,
		LastSeen:  t,
	}
}

// commitPages writes n pages in batches of size.
func commitPages(tb testing.TB, l *Ledger, n, size int) {
	tb.Helper()
	var b Batch
	for i := range n {
		b.Pages = append(b.Pages, benchPage(i))
		if len(b.Pages) == size || i == n-1 {
			if err := l.Commit(&b); err != nil {
				tb.Fatal(err)
			}
			b.Reset()
		}
	}
}

// BenchmarkCommitPages measures a first scan's writes: 10,000 pages in
// batches of 500 into a new ledger (20 fsynced transactions).
func BenchmarkCommitPages(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		l, err := Open(filepath.Join(b.TempDir(), "ledger.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		commitPages(b, l, 10_000, 500)
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
}

// BenchmarkPages measures reading every page of a 10,000-page ledger, which
// a re-run does once to find the pages that changed.
func BenchmarkPages(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "ledger.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	commitPages(b, l, 10_000, 500)
	for b.Loop() {
		pages, err := l.Pages()
		if err != nil || len(pages) != 10_000 {
			b.Fatal(len(pages), err)
		}
	}
}
