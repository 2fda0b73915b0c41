package state

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/internal/boltfile"
)

var (
	t1 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	t2 = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
)

func TestCommitPage(t *testing.T) {
	const u = "https://blog.example/p/"
	tests := []struct {
		name   string
		stored *Page // committed first, if any
		put    Page
		want   Page
	}{
		{
			// A new page: links sorted and de-duplicated, FirstSeen and
			// LastSeen filled in from the clock.
			name: "new page",
			put:  Page{URL: u, Hash: "h1", Links: []string{"https://b/", "https://a/", "https://b/"}},
			want: Page{URL: u, Hash: "h1", Links: []string{"https://a/", "https://b/"}, FirstSeen: fixedNow, LastSeen: fixedNow},
		},
		{
			// Targets only grow: a target dropped by the caller is kept.
			name:   "targets are unioned",
			stored: &Page{URL: u, Targets: []string{"https://a/", "https://c/"}},
			put:    Page{URL: u, Targets: []string{"https://b/", "https://a/"}},
			want:   Page{URL: u, Targets: []string{"https://a/", "https://b/", "https://c/"}, FirstSeen: fixedNow, LastSeen: fixedNow},
		},
		{
			// Links are replaced, not unioned: they are the last scan.
			name:   "links are replaced",
			stored: &Page{URL: u, Links: []string{"https://a/"}, Targets: []string{"https://a/"}},
			put:    Page{URL: u, Links: []string{"https://b/"}},
			want:   Page{URL: u, Links: []string{"https://b/"}, Targets: []string{"https://a/"}, FirstSeen: fixedNow, LastSeen: fixedNow},
		},
		{
			// A zero FirstSeen keeps the stored one; a given LastSeen is kept.
			name:   "first seen is kept",
			stored: &Page{URL: u, FirstSeen: t1, LastSeen: t1},
			put:    Page{URL: u, LastSeen: t2},
			want:   Page{URL: u, FirstSeen: t1, LastSeen: t2},
		},
		{
			// Times given in another zone are stored in UTC.
			name: "times in UTC",
			put:  Page{URL: u, Published: t1.In(time.FixedZone("CET", 3600)), FirstSeen: t1, LastSeen: t1},
			want: Page{URL: u, Published: t1, FirstSeen: t1, LastSeen: t1},
		},
		{
			// Marking a page deleted fills DeletedAt and keeps LastSeen.
			name:   "deleted through Put",
			stored: &Page{URL: u, FirstSeen: t1, LastSeen: t1, Targets: []string{"https://a/"}},
			put:    Page{URL: u, Deleted: true, LastSeen: t1},
			want:   Page{URL: u, Deleted: true, DeletedAt: fixedNow, FirstSeen: t1, LastSeen: t1, Targets: []string{"https://a/"}},
		},
		{
			// A deleted page keeps when it was last seen.
			name:   "deleted without LastSeen",
			stored: &Page{URL: u, FirstSeen: t1, LastSeen: t2},
			put:    Page{URL: u, Deleted: true},
			want:   Page{URL: u, Deleted: true, DeletedAt: fixedNow, FirstSeen: t1, LastSeen: t2},
		},
		{
			// A page deleted again keeps the first DeletedAt.
			name:   "deleted twice",
			stored: &Page{URL: u, Deleted: true, DeletedAt: t1, FirstSeen: t1, LastSeen: t1},
			put:    Page{URL: u, Deleted: true, LastSeen: t1},
			want:   Page{URL: u, Deleted: true, DeletedAt: t1, FirstSeen: t1, LastSeen: t1},
		},
		{
			// A page that comes back is no longer deleted.
			name:   "undeleted",
			stored: &Page{URL: u, Deleted: true, DeletedAt: t1, FirstSeen: t1, LastSeen: t1},
			put:    Page{URL: u, DeletedAt: t1},
			want:   Page{URL: u, FirstSeen: t1, LastSeen: fixedNow},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := openTest(t)
			if tt.stored != nil {
				if err := l.Commit(&Batch{Pages: []Page{*tt.stored}}); err != nil {
					t.Fatal(err)
				}
			}
			put := tt.put
			put.Links = append([]string(nil), tt.put.Links...)
			if err := l.Commit(&Batch{Pages: []Page{put}}); err != nil {
				t.Fatal(err)
			}
			got, ok, err := l.Page(u)
			if err != nil || !ok {
				t.Fatalf("Page = %v, %v", ok, err)
			}
			if !equal(got, tt.want) {
				t.Errorf("stored\n %+v\nwant\n %+v", got, tt.want)
			}
			if !equal(put.Links, tt.put.Links) {
				t.Errorf("Commit modified the caller's Links: %v", put.Links)
			}
		})
	}
}

func TestCommitDeletePages(t *testing.T) {
	l, _ := openTest(t)
	const u = "https://blog.example/p/"
	if err := l.Commit(&Batch{Pages: []Page{{URL: u, FirstSeen: t1, LastSeen: t1, Targets: []string{"https://a/"}}}}); err != nil {
		t.Fatal(err)
	}
	// Deleting twice keeps the first DeletedAt; an unknown URL is ignored.
	for range 2 {
		if err := l.Commit(&Batch{DeletePages: []string{u, "https://blog.example/never-seen/"}}); err != nil {
			t.Fatal(err)
		}
		l.now = func() time.Time { return t2 }
	}
	want := Page{URL: u, FirstSeen: t1, LastSeen: t1, Targets: []string{"https://a/"}, Deleted: true, DeletedAt: fixedNow}
	if got, _, _ := l.Page(u); !equal(got, want) {
		t.Errorf("deleted page\n %+v\nwant\n %+v", got, want)
	}
	if n, _ := l.PageCount(); n != 1 {
		t.Errorf("PageCount() = %d, want 1 (an unknown deleted URL adds nothing)", n)
	}
}

func TestCommitNotification(t *testing.T) {
	const src, dst = "https://blog.example/p/", "https://x.example/"
	long := strings.Repeat("é", MaxText) // 2 bytes each
	tests := []struct {
		name   string
		stored *Notification
		put    Notification
		want   Notification
	}{
		{
			// A new notification gets Created and Updated from the clock.
			name: "new",
			put:  Notification{Source: src, Target: dst, Status: StatusPending},
			want: Notification{Source: src, Target: dst, Status: StatusPending, Created: fixedNow, Updated: fixedNow},
		},
		{
			// Settling keeps Created and replaces everything else.
			name:   "settled",
			stored: &Notification{Source: src, Target: dst, Status: StatusInFlight, Created: t1, Updated: t1, Protocol: "pingback"},
			put:    Notification{Source: src, Target: dst, Status: StatusNotified, Protocol: "pingback", Code: 48, Sends: 1, NotifiedAt: t2},
			want:   Notification{Source: src, Target: dst, Status: StatusNotified, Protocol: "pingback", Code: 48, Sends: 1, NotifiedAt: t2, Created: t1, Updated: fixedNow},
		},
		{
			// Given Created and Updated are kept as they are.
			name:   "explicit times",
			stored: &Notification{Source: src, Target: dst, Status: StatusPending, Created: t1},
			put:    Notification{Source: src, Target: dst, Status: StatusRetry, Created: t2, Updated: t2, NextAttempt: t2, Attempts: 2},
			want:   Notification{Source: src, Target: dst, Status: StatusRetry, Created: t2, Updated: t2, NextAttempt: t2, Attempts: 2},
		},
		{
			// Long answers and errors are cut to MaxText on a rune boundary.
			name: "long texts",
			put:  Notification{Source: src, Target: dst, Status: StatusFailed, Answer: "x" + long, LastError: long},
			want: Notification{Source: src, Target: dst, Status: StatusFailed, Answer: "x" + long[:MaxText-2], LastError: long[:MaxText], Created: fixedNow, Updated: fixedNow},
		},
		{
			// Negative fault codes survive (XML-RPC -32601).
			name: "negative code",
			put:  Notification{Source: src, Target: dst, Status: StatusFailed, Code: -32601},
			want: Notification{Source: src, Target: dst, Status: StatusFailed, Code: -32601, Created: fixedNow, Updated: fixedNow},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := openTest(t)
			if tt.stored != nil {
				if err := l.Commit(&Batch{Notifications: []Notification{*tt.stored}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Commit(&Batch{Notifications: []Notification{tt.put}}); err != nil {
				t.Fatal(err)
			}
			got, ok, err := l.Notification(src, dst)
			if err != nil || !ok {
				t.Fatalf("Notification = %v, %v", ok, err)
			}
			if !equal(got, tt.want) {
				t.Errorf("stored\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestCommitRejectsInvalid(t *testing.T) {
	ok := Page{URL: "https://blog.example/ok/"}
	tests := []struct {
		name  string
		batch Batch
		says  string // a part of the error text
	}{
		// A page without a URL.
		{"empty page URL", Batch{Pages: []Page{ok, {File: "x.html"}}}, "empty page URL"},
		// A URL bbolt cannot take as a key.
		{"huge page URL", Batch{Pages: []Page{ok, {URL: "https://x/" + strings.Repeat("a", maxKeyLen)}}}, "too long"},
		// A NUL would make notification keys ambiguous.
		{"NUL in source", Batch{Pages: []Page{ok}, Notifications: []Notification{{Source: "https://a/\x00b", Target: "https://c/", Status: StatusPending}}}, "NUL"},
		// A notification without a target.
		{"empty target", Batch{Pages: []Page{ok}, Notifications: []Notification{{Source: "https://a/", Status: StatusPending}}}, "empty notification target"},
		// The zero Status is not a status.
		{"empty status", Batch{Pages: []Page{ok}, Notifications: []Notification{{Source: "https://a/", Target: "https://c/"}}}, `unknown status ""`},
		// A misspelt status.
		{"unknown status", Batch{Pages: []Page{ok}, Notifications: []Notification{{Source: "https://a/", Target: "https://c/", Status: "done"}}}, `unknown status "done"`},
		// A discovery without a target.
		{"empty discovery target", Batch{Pages: []Page{ok}, Discoveries: []Discovery{{Final: "https://c/"}}}, "empty discovery target"},
		// An empty URL to delete.
		{"empty deleted URL", Batch{Pages: []Page{ok}, DeletePages: []string{""}}, "empty deleted page URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, path := openTest(t)
			err := l.Commit(&tt.batch)
			if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Commit = %v, want ErrInvalidRecord naming the file and saying %q", err, tt.says)
			}
			// All or nothing: the valid page in the batch was not written.
			if n, err := l.PageCount(); err != nil || n != 0 {
				t.Errorf("PageCount() = %d, %v after a failed Commit; want 0", n, err)
			}
		})
	}
}

func TestCommitRuns(t *testing.T) {
	l, _ := openTest(t)
	if _, ok, err := l.LastRun(); ok || err != nil {
		t.Fatalf("LastRun on a new ledger = %v, %v; want none", ok, err)
	}

	if _, ok, err := l.FirstRun(); ok || err != nil {
		t.Fatalf("FirstRun on a new ledger = %v, %v; want none", ok, err)
	}

	// Start a run: the ID is assigned and written back into the batch.
	b := Batch{Runs: []Run{{Started: t1, Command: "send"}}}
	if err := l.Commit(&b); err != nil {
		t.Fatal(err)
	}
	if b.Runs[0].ID != 1 {
		t.Fatalf("assigned ID = %d, want 1", b.Runs[0].ID)
	}
	// Finish it under the same ID.
	run := b.Runs[0]
	run.Finished, run.Counts = t2, map[string]int{"notified": 3, "failed": 0}
	if err := l.Commit(&Batch{Runs: []Run{run}}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := l.LastRun()
	if err != nil || !ok || !equal(got, run) {
		t.Errorf("LastRun = %+v, %v, %v; want %+v", got, ok, err, run)
	}

	// Only the newest MaxRuns are kept, and IDs keep growing.
	many := Batch{Runs: make([]Run, MaxRuns+5)}
	if err := l.Commit(&many); err != nil {
		t.Fatal(err)
	}
	// The first run stays the first, though its record is gone.
	if first, ok, err := l.FirstRun(); !ok || err != nil || !first.Equal(t1) {
		t.Errorf("FirstRun = %v, %v, %v; want %v", first, ok, err, t1)
	}
	runs, err := l.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != MaxRuns || runs[0].ID != 7 || runs[len(runs)-1].ID != MaxRuns+6 {
		t.Errorf("Runs() = %d runs, IDs %d..%d; want %d runs, 7..%d", len(runs), runs[0].ID, runs[len(runs)-1].ID, MaxRuns, MaxRuns+6)
	}
}

func TestBatchLenReset(t *testing.T) {
	var nilBatch *Batch
	if nilBatch.Len() != 0 {
		t.Error("nil Batch has a length")
	}
	b := Batch{Pages: make([]Page, 2), Notifications: make([]Notification, 3), Discoveries: make([]Discovery, 1), DeletePages: []string{"x"}, Runs: make([]Run, 1)}
	if b.Len() != 8 {
		t.Errorf("Len() = %d, want 8", b.Len())
	}
	b.Reset()
	if b.Len() != 0 || cap(b.Notifications) != 3 {
		t.Errorf("after Reset: Len() = %d, cap %d; want 0, storage kept", b.Len(), cap(b.Notifications))
	}
	// An empty batch commits nothing, even on a closed ledger.
	l, _ := openTest(t)
	l.Close()
	if err := l.Commit(&b); err != nil {
		t.Errorf("Commit(empty) = %v", err)
	}
}

// TestFileStaysCompact guards the fill factor: pages committed in order in
// batches fill bbolt's pages instead of leaving them half empty, so the
// ledger a CI job caches is not twice its data.
func TestFileStaysCompact(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a few megabytes")
	}
	l, path := openTest(t)
	const n = 3000
	commitPages(t, l, n, 500)
	raw := 0
	for i := range n {
		p := benchPage(i)
		raw += len(p.URL) + len(encodePage(&p))
	}
	var used int64
	if err := l.f.DB.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d pages: %d bytes of records, %d used, file %d", n, raw, used, info.Size())
	if ratio := float64(used) / float64(raw); ratio > 1.6 {
		t.Errorf("ledger uses %.2f bytes per byte of records, want at most 1.6", ratio)
	}
	if info.Size() > used+boltfile.DefaultAllocSize+64<<10 { // bbolt grows to the needed size plus one step
		t.Errorf("file is %d bytes for %d used, more than one growth step (%d) of padding", info.Size(), used, boltfile.DefaultAllocSize)
	}
}
