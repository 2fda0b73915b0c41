package state

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// churn commits pages and their notifications in small batches and
// rewrites them, as runs do, until a third of the ledger's pages hold
// nothing: the pages its commits freed.
func churn(t *testing.T, l *Ledger, pages int) {
	t.Helper()
	for round := range 40 {
		for i := 0; i < pages; i += 50 {
			var b Batch
			for j := i; j < min(i+50, pages); j++ {
				p := benchPage(j)
				p.Hash = fmt.Sprint(round)
				b.Pages = append(b.Pages, p)
				for _, target := range p.Links {
					b.Notifications = append(b.Notifications, Notification{Source: p.URL, Target: target,
						Status: Statuses[(j+round)%len(Statuses)], LastError: strings.Repeat("x", (j*round)%300)})
				}
			}
			if err := l.Commit(&b); err != nil {
				t.Fatal(err)
			}
		}
		if unused, size, err := l.Unused(); err != nil || unused >= size/3 {
			return
		}
	}
	t.Fatal("the churn never left a third of the ledger unused")
}

func TestCompact(t *testing.T) {
	l, path := openTest(t)
	churn(t, l, 2000)
	before := export(t, l)
	unused, size, err := l.Unused()
	if err != nil || unused < size/3 {
		t.Fatalf("Unused() = %d of %d, %v; want the churn to leave a third free", unused, size, err)
	}

	c, done, err := l.CompactIfSparse(0)
	if err != nil || !done {
		t.Fatalf("CompactIfSparse = %v, %v", done, err)
	}
	info, _ := os.Stat(path)
	if c.After != info.Size() || c.After >= c.Before || c.After > size-unused+size/20 {
		t.Errorf("compaction %+v of pages with %d of %d bytes unused; file now %d", c, unused, size, info.Size())
	}
	// The same records, a whole ledger, and one that takes writes.
	if after := export(t, l); !bytes.Equal(before, after) {
		t.Error("compaction changed the records")
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(&Batch{Pages: []Page{{URL: "https://blog.example/after/"}}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := l.Page("https://blog.example/after/"); !ok || err != nil {
		t.Errorf("page committed after compaction: %v, %v", ok, err)
	}
	// Dense now: nothing more to do.
	if _, done, err := l.CompactIfSparse(0); done || err != nil {
		t.Errorf("CompactIfSparse on a dense ledger = %v, %v", done, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %v, want the ledger alone", entries)
	}
	l.Close()
	// It reopens as the compacted file.
	l2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := l2.Check(); err != nil {
		t.Error(err)
	}
}

// A process waiting for the lock of a ledger that another one compacts (or
// migrates) meanwhile finds, once it has the lock, that the file it opened
// is no longer the ledger, and opens the new one: it must not read, or
// write, the old copy.
func TestOpenAfterReplace(t *testing.T) {
	l, path := openTest(t)
	if err := l.Commit(&Batch{Pages: []Page{{URL: "https://blog.example/a/"}}}); err != nil {
		t.Fatal(err)
	}
	opened := make(chan *Ledger, 1)
	errs := make(chan error, 1)
	go func() {
		l2, err := Open(path, &Options{Timeout: 10 * time.Second})
		errs <- err
		opened <- l2
	}()
	// Wait until the other Open holds the file and waits for its lock.
	deadline := time.Now().Add(10 * time.Second)
	for openFiles(t, path) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second Open never opened the file")
		}
		time.Sleep(5 * time.Millisecond) // polling, not ordering: the condition decides
	}
	if _, err := l.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(&Batch{Pages: []Page{{URL: "https://blog.example/b/"}}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	l2 := <-opened
	defer l2.Close()
	if _, ok, err := l2.Page("https://blog.example/b/"); !ok || err != nil {
		t.Errorf("the waiting Open read the file that was replaced: page b %v, %v", ok, err)
	}
}

// openFiles counts this process's open descriptors of path's file.
func openFiles(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, path) {
			n++
		}
	}
	return n
}
