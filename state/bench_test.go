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

// benchPages returns pages 0..n-1.
func benchPages(n int) []Page {
	pages := make([]Page, n)
	for i := range pages {
		pages[i] = benchPage(i)
	}
	return pages
}

// commitPages writes n pages in batches of size.
func commitPages(tb testing.TB, l *Ledger, n, size int) {
	tb.Helper()
	commitBatches(tb, l, benchPages(n), size)
}

// commitBatches writes pages in batches of size.
func commitBatches(tb testing.TB, l *Ledger, pages []Page, size int) {
	tb.Helper()
	for i := 0; i < len(pages); i += size {
		if err := l.Commit(&Batch{Pages: pages[i:min(i+size, len(pages))]}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkCommitPages measures a first scan's writes: 10,000 pages in
// batches of 500 into a new ledger (20 fsynced transactions).
func BenchmarkCommitPages(b *testing.B) {
	pages := benchPages(10_000)
	for b.Loop() {
		b.StopTimer()
		l, err := Open(filepath.Join(b.TempDir(), "ledger.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		commitBatches(b, l, pages, 500)
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

// benchLedger returns a ledger holding 10,000 pages and 30,000
// notifications (1% of them in flight), the size of a large blog.
func benchLedger(b *testing.B) (*Ledger, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "ledger.db")
	l, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	commitPages(b, l, 10_000, 500)
	var batch Batch
	for i := range 10_000 {
		p := benchPage(i)
		for j, t := range p.Links[:3] {
			s := StatusNotified
			if (i+j)%100 == 0 {
				s = StatusInFlight
			}
			batch.Notifications = append(batch.Notifications, Notification{
				Source: p.URL, Target: t, Status: s, Protocol: "pingback",
				Endpoint: "https://" + t[8:20] + "/xmlrpc.php", Answer: "Pingback from " + p.URL + " registered.",
				Attempts: 1, Sends: 1, Version: p.Hash, NotifiedAt: p.LastSeen,
			})
		}
		if len(batch.Notifications) >= 1500 {
			if err := l.Commit(&batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := l.Commit(&batch); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l, path
}

// BenchmarkCommitNotifications measures the in-flight protocol's writes for
// 1,000 notifications: one batch marking them in flight, then two batches
// of 500 settling them, on a ledger of 30,000 notifications.
func BenchmarkCommitNotifications(b *testing.B) {
	l, _ := benchLedger(b)
	ns := make([]Notification, 1000)
	for i := range ns {
		ns[i] = Notification{Source: benchPage(i * 10).URL, Target: fmt.Sprintf("https://new.example/%d", i), Status: StatusInFlight}
	}
	for b.Loop() {
		if err := l.Commit(&Batch{Notifications: ns}); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(ns); i += 500 {
			settled := append([]Notification(nil), ns[i:i+500]...)
			for j := range settled {
				settled[j].Status = StatusNotified
			}
			if err := l.Commit(&Batch{Notifications: settled}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkOpen measures opening and closing a 10,000-page ledger.
func BenchmarkOpen(b *testing.B) {
	l, path := benchLedger(b)
	l.Close()
	for b.Loop() {
		l, err := Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
}

// BenchmarkStats measures counting 30,000 notifications by status.
func BenchmarkStats(b *testing.B) {
	l, _ := benchLedger(b)
	for b.Loop() {
		if _, err := l.Stats(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInFlight measures finding the 300 in-flight notifications among
// 30,000, which every run does first.
func BenchmarkInFlight(b *testing.B) {
	l, _ := benchLedger(b)
	for b.Loop() {
		ns, err := l.InFlight()
		if err != nil || len(ns) != 300 {
			b.Fatal(len(ns), err)
		}
	}
}

// BenchmarkNotificationsWith measures finding the unsettled notifications
// (here the 300 in flight) among 30,000, through the generic method.
func BenchmarkNotificationsWith(b *testing.B) {
	l, _ := benchLedger(b)
	for b.Loop() {
		ns, err := l.NotificationsWith(StatusInFlight, StatusPending, StatusRetry, StatusDeferred)
		if err != nil || len(ns) != 300 {
			b.Fatal(len(ns), err)
		}
	}
}

// BenchmarkForEachNotification measures reading all 30,000 notifications
// (what `status` does).
func BenchmarkForEachNotification(b *testing.B) {
	l, _ := benchLedger(b)
	for b.Loop() {
		n := 0
		if err := l.ForEachNotification(func(Notification) error { n++; return nil }); err != nil || n != 30_000 {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkNotificationsFor measures one page's notifications, as a
// changed page needs for Webmention updates.
func BenchmarkNotificationsFor(b *testing.B) {
	l, _ := benchLedger(b)
	url := benchPage(5000).URL
	for b.Loop() {
		ns, err := l.NotificationsFor(url)
		if err != nil || len(ns) != 3 {
			b.Fatal(len(ns), err)
		}
	}
}
