package state

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestNotificationsForIsAPrefixScan(t *testing.T) {
	l, _ := openTest(t)
	n := func(src, dst string) Notification {
		return Notification{Source: src, Target: dst, Status: StatusNotified}
	}
	b := Batch{Notifications: []Notification{
		n("https://b.example/p", "https://z/"),
		n("https://b.example/p", "https://a/"),
		n("https://b.example/p2", "https://a/"), // shares the source's text as a prefix
		n("https://b.example/", "https://a/"),   // a prefix of the source
		n("https://b.example/p/", "https://a/"),
	}}
	if err := l.Commit(&b); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source string
		want   []string // targets
	}{
		{"https://b.example/p", []string{"https://a/", "https://z/"}}, // sorted by target, no /p2 or /p/
		{"https://b.example/p2", []string{"https://a/"}},
		{"https://b.example/", []string{"https://a/"}},
		{"https://b.example", nil}, // nothing recorded for it
	}
	for _, tt := range tests {
		ns, err := l.NotificationsFor(tt.source)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range ns {
			if n.Source != tt.source {
				t.Errorf("NotificationsFor(%q) returned source %q", tt.source, n.Source)
			}
			got = append(got, n.Target)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("NotificationsFor(%q) targets = %v, want %v", tt.source, got, tt.want)
		}
	}
	if _, ok, err := l.Notification("https://b.example/p", "https://nope/"); ok || err != nil {
		t.Errorf("Notification(absent) = %v, %v", ok, err)
	}
}

func TestForEachNotification(t *testing.T) {
	l, _ := openTest(t)
	// More than two chunks, sources committed out of order.
	var b Batch
	var keys []string
	for i := range 2*forEachChunk + 100 {
		src := fmt.Sprintf("https://blog.example/%d/", (i*7919)%500)
		dst := fmt.Sprintf("https://t.example/%d", i)
		b.Notifications = append(b.Notifications, Notification{Source: src, Target: dst, Status: StatusPending})
		keys = append(keys, src+"\x00"+dst)
	}
	if err := l.Commit(&b); err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)

	// Every notification once, grouped by source, by target within one; fn
	// may Commit (here every 250th, across chunk boundaries: each Commit is
	// an fsync).
	var got []string
	updated := 0
	err := l.ForEachNotification(func(n Notification) error {
		got = append(got, n.Source+"\x00"+n.Target)
		if len(got)%250 != 0 {
			return nil
		}
		updated++
		n.Status = StatusNotified
		return l.Commit(&Batch{Notifications: []Notification{n}})
	})
	if err != nil {
		t.Fatal(err)
	}
	visited := slices.Clone(got)
	sort.Strings(visited)
	if !slices.Equal(visited, keys) {
		t.Fatalf("visited %d notifications, want each of %d once", len(got), len(keys))
	}
	done := map[string]bool{}
	for i, k := range got {
		src, dst, _ := strings.Cut(k, "\x00")
		if i > 0 {
			prevSrc, prevDst, _ := strings.Cut(got[i-1], "\x00")
			if prevSrc != src && done[src] {
				t.Fatalf("notifications of %s are not together", src)
			}
			if prevSrc == src && prevDst >= dst {
				t.Fatalf("targets of %s not in order at %s", src, dst)
			}
			done[prevSrc] = true
		}
	}
	stats, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats[StatusNotified] != updated || stats[StatusPending] != len(keys)-updated {
		t.Errorf("after updating %d in fn: %v", updated, stats)
	}

	// fn's error stops the walk and comes back as is.
	stop := errors.New("stop")
	count := 0
	err = l.ForEachNotification(func(Notification) error {
		if count++; count == forEachChunk+3 {
			return stop
		}
		return nil
	})
	if err != stop || count != forEachChunk+3 {
		t.Errorf("ForEachNotification = %v after %d calls, want stop after %d", err, count, forEachChunk+3)
	}

	// An empty ledger calls fn never.
	empty, _ := openTest(t)
	if err := empty.ForEachNotification(func(Notification) error { return stop }); err != nil {
		t.Errorf("empty ledger: %v", err)
	}
}

func TestInFlightAndStats(t *testing.T) {
	l, _ := openTest(t)
	var b Batch
	want := map[Status]int{}
	var wantInFlight []string
	for i, s := range Statuses {
		for j := range i + 1 { // status i appears i+1 times
			n := Notification{
				Source: fmt.Sprintf("https://blog.example/%d/", j), Target: fmt.Sprintf("https://t.example/%s", s),
				Status: s, LastError: `a "quoted" {"status":"in-flight"} error`,
			}
			b.Notifications = append(b.Notifications, n)
			want[s]++
			if s == StatusInFlight {
				wantInFlight = append(wantInFlight, n.Source)
			}
		}
	}
	if err := l.Commit(&b); err != nil {
		t.Fatal(err)
	}
	stats, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if !equal(stats, want) {
		t.Errorf("Stats() = %v, want %v", stats, want)
	}
	inflight, err := l.InFlight()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range inflight {
		if n.Status != StatusInFlight || n.LastError == "" {
			t.Errorf("InFlight returned %+v", n)
		}
		got = append(got, n.Source)
	}
	if !slices.Equal(got, wantInFlight) {
		t.Errorf("InFlight sources = %v, want %v", got, wantInFlight)
	}

	// Several statuses at once, in key order.
	some, err := l.NotificationsWith(StatusRetry, StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	count := map[Status]int{}
	for i, n := range some {
		count[n.Status]++
		if i > 0 && some[i-1].Source+"\x00"+some[i-1].Target >= n.Source+"\x00"+n.Target {
			t.Errorf("NotificationsWith not in key order at %d", i)
		}
	}
	if len(some) != want[StatusRetry]+want[StatusPending] || count[StatusRetry] != want[StatusRetry] {
		t.Errorf("NotificationsWith(retry, pending) = %v, want %d retry and %d pending", count, want[StatusRetry], want[StatusPending])
	}
	if none, err := l.NotificationsWith(); err != nil || len(none) != 0 {
		t.Errorf("NotificationsWith() = %d, %v; want none", len(none), err)
	}

	// Every status is in the map of an empty ledger too.
	empty, _ := openTest(t)
	stats, err = empty.Stats()
	if err != nil || len(stats) != len(Statuses) {
		t.Errorf("Stats() on an empty ledger = %v, %v; want every status at 0", stats, err)
	}
}

func TestDiscoveryExpiry(t *testing.T) {
	l, _ := openTest(t)
	fetched := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	expires := fetched.Add(24 * time.Hour)
	if err := l.Commit(&Batch{Discoveries: []Discovery{
		{Target: "https://a/", Pingback: "https://a/xmlrpc.php", Fetched: fetched, Expires: expires},
		{Target: "https://no-expiry/", Webmention: "https://no-expiry/wm"},
	}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		target string
		now    time.Time
		ok     bool
	}{
		{"fresh", "https://a/", fetched.Add(time.Hour), true},               // before Expires
		{"last instant", "https://a/", expires.Add(-time.Nanosecond), true}, // just before
		{"expired at Expires", "https://a/", expires, false},                // Expires itself is out
		{"expired after", "https://a/", expires.Add(time.Hour), false},      // long after
		{"zero Expires", "https://no-expiry/", fetched, false},              // never cached
		{"absent", "https://b/", fetched, false},                            // never fetched
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok, err := l.Discovery(tt.target, tt.now)
			if err != nil || ok != tt.ok {
				t.Fatalf("Discovery(%s, %v) = %v, %v; want %v", tt.target, tt.now, ok, err, tt.ok)
			}
			if ok && (d.Target != tt.target || d.Pingback != "https://a/xmlrpc.php" || !d.Fetched.Equal(fetched)) {
				t.Errorf("Discovery = %+v", d)
			}
		})
	}
	// A zero Fetched is filled in from the clock.
	if err := l.Commit(&Batch{Discoveries: []Discovery{{Target: "https://c/", Expires: fixedNow.Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := l.Discovery("https://c/", fixedNow); !ok || !d.Fetched.Equal(fixedNow) {
		t.Errorf("Discovery with zero Fetched = %+v, %v; want Fetched %v", d, ok, fixedNow)
	}
}

// TestConcurrentUse commits from several goroutines while others read, as a
// sender with parallel workers does; run it with -race.
func TestConcurrentUse(t *testing.T) {
	l, _ := openTest(t)
	const writers, batches, perBatch = 4, 10, 20
	errs := make(chan error, writers+1)
	done := make(chan struct{})
	for w := range writers {
		go func() {
			for i := range batches {
				var b Batch
				for j := range perBatch {
					b.Notifications = append(b.Notifications, Notification{
						Source: fmt.Sprintf("https://blog.example/%d/", w), Target: fmt.Sprintf("https://t.example/%d/%d", i, j),
						Status: StatusNotified,
					})
				}
				b.Pages = []Page{{URL: fmt.Sprintf("https://blog.example/%d/", w), Targets: []string{fmt.Sprintf("https://t.example/%d", i)}}}
				if err := l.Commit(&b); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	go func() {
		for {
			select {
			case <-done:
				errs <- nil
				return
			default:
			}
			if _, err := l.Stats(); err != nil {
				errs <- err
				return
			}
			if _, err := l.Pages(); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	stats, err := l.Stats()
	if err != nil || stats[StatusNotified] != writers*batches*perBatch {
		t.Errorf("Stats() = %v, %v; want %d notified", stats, err, writers*batches*perBatch)
	}
	for w := range writers {
		p, _, _ := l.Page(fmt.Sprintf("https://blog.example/%d/", w))
		if len(p.Targets) != batches {
			t.Errorf("page %d has %d targets, want %d (unioned over batches)", w, len(p.Targets), batches)
		}
	}
}

func TestPageHeads(t *testing.T) {
	l, _ := openTest(t)
	b := Batch{Pages: []Page{
		{URL: "https://blog.example/a/", Hash: "ha", Links: []string{"https://x/"}},
		{URL: "https://blog.example/b/", Hash: "hb"},
		{URL: "https://blog.example/c/", Hash: "hc", Links: []string{"https://y/"}},
	}, DeletePages: []string{"https://blog.example/c/"}}
	if err := l.Commit(&b); err != nil {
		t.Fatal(err)
	}
	urls := []string{"https://blog.example/b/", "https://blog.example/nope/", "https://blog.example/a/", "https://blog.example/c/"}
	heads, err := l.PageHeads(urls)
	if err != nil {
		t.Fatal(err)
	}
	want := []PageHead{
		{Known: true, Hash: "hb", Record: 2}, // no links
		{},                                   // unknown
		{Known: true, Hash: "ha", HasLinks: true, Record: 1},                // links
		{Known: true, Deleted: true, Hash: "hc", HasLinks: true, Record: 3}, // deleted, links kept
	}
	if !equal(heads, want) {
		t.Errorf("PageHeads =\n %+v\nwant\n %+v", heads, want)
	}
	var got []string
	err = l.ForEachPageHead(func(url string, h PageHead) error {
		got = append(got, fmt.Sprintf("%s %s %v", url, h.Hash, h.Deleted))
		return nil
	})
	if want := []string{"https://blog.example/a/ ha false", "https://blog.example/b/ hb false", "https://blog.example/c/ hc true"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ForEachPageHead = %v, %v; want %v", got, err, want)
	}
	if last, err := l.LastRecord(); last != 3 || err != nil {
		t.Errorf("LastRecord() = %d, %v; want 3", last, err)
	}
	for _, c := range []struct {
		seen []uint64
		want []string
	}{
		{nil, []string{"https://blog.example/a/", "https://blog.example/b/"}}, // none seen: every page not deleted
		{[]uint64{2}, []string{"https://blog.example/a/"}},                    // b seen
		{[]uint64{1, 2, 3}, nil},                                              // all seen
	} {
		got, err := l.PagesNotIn(func(r uint64) bool { return slices.Contains(c.seen, r) })
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("PagesNotIn(%v) = %q, %v; want %q", c.seen, got, err, c.want)
		}
	}
}
