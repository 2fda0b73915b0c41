package state

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// randomLedger fills l with a random ledger of every kind of record, over
// several commits (so records are updated, pages deleted, targets unioned).
func randomLedger(t *testing.T, l *Ledger, r *rand.Rand) {
	t.Helper()
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	pages := make([]string, 1+r.IntN(30))
	for i := range pages {
		pages[i] = fmt.Sprintf("https://blog.example/%s/%d/", pick([]string{"posts", "notes", "ü", "a b"}), i)
	}
	targets := make([]string, 1+r.IntN(40))
	for i := range targets {
		targets[i] = fmt.Sprintf("https://%s.example/%d?q=%d", pick([]string{"a", "b", "wm", "xn--bcher-kva"}), i, r.IntN(3))
	}
	when := func() time.Time {
		if r.IntN(5) == 0 {
			return time.Time{}
		}
		return time.Date(2020+r.IntN(7), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.UTC)
	}
	text := func() string {
		return pick([]string{"", "HTTP 503", `fault 17: "no link" <b>&amp;</b>`, "ünïcode ✓", strings.Repeat("x", 300), "line\nbreak\ttab"})
	}
	for range 1 + r.IntN(5) {
		var b Batch
		for range r.IntN(len(pages) + 1) {
			p := Page{URL: pick(pages), File: "f/index.html", Hash: fmt.Sprint(r.Uint32()), Title: text(),
				Published: when(), FirstSeen: when(), LastSeen: when()}
			for range r.IntN(6) {
				p.Links = append(p.Links, pick(targets))
			}
			for range r.IntN(3) {
				p.Targets = append(p.Targets, pick(targets))
			}
			p.Deleted = r.IntN(8) == 0
			b.Pages = append(b.Pages, p)
		}
		for range r.IntN(60) {
			n := Notification{Source: pick(pages), Target: pick(targets), Status: Statuses[r.IntN(len(Statuses))],
				Protocol: pick([]string{"", "pingback", "webmention", "trackback"}), Endpoint: pick([]string{"", "https://wm.example/e?x=1"}),
				Attempts: r.IntN(9), NextAttempt: when(), LastError: text(), Code: r.IntN(600) - 100, Answer: text(),
				Location: pick([]string{"", "https://wm.example/s/1"}), Version: pick([]string{"", "links-1", "deleted"}),
				Sends: r.IntN(3), Created: when(), Updated: when(), NotifiedAt: when(), DeferredSince: when()}
			if r.IntN(4) == 0 {
				b.Services = append(b.Services, n)
			} else {
				b.Notifications = append(b.Notifications, n)
			}
		}
		for range r.IntN(10) {
			b.Discoveries = append(b.Discoveries, Discovery{Target: pick(targets), Final: pick(targets),
				Pingback: pick([]string{"", "https://a.example/xmlrpc.php"}), Webmention: pick([]string{"", "https://wm.example/e"}),
				Trackback: pick([]string{"", "https://t.example/tb/1"}), Fetched: when(), Expires: when()})
		}
		for range r.IntN(3) {
			b.Feeds = append(b.Feeds, Feed{URL: pick(pages) + "index.xml", File: "index.xml", Hash: fmt.Sprint(r.Uint32()), FirstSeen: when(), LastSeen: when()})
		}
		for range r.IntN(3) {
			b.DeletePages = append(b.DeletePages, pick(pages))
		}
		if r.IntN(2) == 0 {
			b.Runs = append(b.Runs, Run{Started: when(), Command: "send", Counts: map[string]int{"notified": r.IntN(9)}})
		}
		if err := l.Commit(&b); err != nil {
			t.Fatal(err)
		}
	}
}

func export(t *testing.T, l *Ledger) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := l.Export(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func importInto(t *testing.T, l *Ledger, data []byte) ImportStats {
	t.Helper()
	st, err := l.Import(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The round trip is lossless, whatever the ledger: random ledger, export,
// import into an empty ledger, export again: the same bytes.
func TestExportImportRoundTrip(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			src, _ := openTest(t)
			randomLedger(t, src, r)
			first := export(t, src)

			dst, _ := openTest(t)
			st := importInto(t, dst, first)
			if st.Updated != 0 || st.Unchanged != 0 || st.Added != bytes.Count(first, []byte("\n"))-1 {
				t.Errorf("import into an empty ledger: %+v, want every one of %d records added", st, bytes.Count(first, []byte("\n"))-1)
			}
			if second := export(t, dst); !bytes.Equal(first, second) {
				t.Fatalf("export after import differs:\n%s\n---\n%s", first, second)
			}
			// The ledger is whole, and imported twice, nothing changes.
			if err := dst.Check(); err != nil {
				t.Fatal(err)
			}
			if st := importInto(t, dst, first); st.Added+st.Updated != 0 {
				t.Errorf("second import changed %d records", st.Added+st.Updated)
			}
			if again := export(t, dst); !bytes.Equal(first, again) {
				t.Error("a second import changed the export")
			}
		})
	}
}

// Importing merges: newer state wins per record, a page keeps every target
// either side knew, the earlier creation and first run are kept, and
// importing again changes nothing.
func TestImportMerges(t *testing.T) {
	const page, target, other = "https://blog.example/p/", "https://t.example/1", "https://t.example/2"
	ours, _ := openTest(t)
	if err := ours.Commit(&Batch{
		Pages: []Page{{URL: page, Hash: "ours", Targets: []string{target}, FirstSeen: t1, LastSeen: t2}},
		Notifications: []Notification{
			{Source: page, Target: target, Status: StatusRetry, Attempts: 1, Created: t1, Updated: t1},
			{Source: page, Target: other, Status: StatusNotified, Created: t1, Updated: t2},
		},
		Runs: []Run{{Started: t2, Command: "send"}},
	}); err != nil {
		t.Fatal(err)
	}
	theirs, _ := openTest(t)
	if err := theirs.Commit(&Batch{
		// An older page record that knows another target.
		Pages: []Page{{URL: page, Hash: "theirs", Targets: []string{other}, FirstSeen: t1, LastSeen: t1}},
		Notifications: []Notification{
			// Newer than ours: wins.
			{Source: page, Target: target, Status: StatusNotified, Attempts: 2, Created: t1, Updated: t2},
			// Older than ours: loses.
			{Source: page, Target: other, Status: StatusFailed, Created: t1, Updated: t1},
			// Ours lacks it: added.
			{Source: page, Target: "https://t.example/3", Status: StatusBaseline, Created: t1, Updated: t1},
		},
		Runs: []Run{{Started: t1, Command: "send --baseline"}},
	}); err != nil {
		t.Fatal(err)
	}
	st := importInto(t, ours, export(t, theirs))
	if st != (ImportStats{Added: 1, Updated: 2, Unchanged: 1}) {
		t.Errorf("import: %+v, want 1 added, 2 updated (a notification, the page's targets), 1 unchanged", st)
	}
	check := func(target string, want Status) {
		t.Helper()
		if n, _, err := ours.Notification(page, target); err != nil || n.Status != want {
			t.Errorf("%s: %s, %v; want %s", target, n.Status, err, want)
		}
	}
	check(target, StatusNotified)
	check(other, StatusNotified)
	check("https://t.example/3", StatusBaseline)
	p, _, err := ours.Page(page)
	if err != nil || p.Hash != "ours" || strings.Join(p.Targets, " ") != target+" "+other {
		t.Errorf("page %+v, %v; want our newer record with both targets", p, err)
	}
	if first, _, _ := ours.FirstRun(); !first.Equal(t1) {
		t.Errorf("first run %v, want the earlier %v", first, t1)
	}
	before := export(t, ours)
	if st := importInto(t, ours, export(t, theirs)); st.Added+st.Updated != 0 {
		t.Errorf("importing again: %+v, want nothing changed", st)
	}
	if after := export(t, ours); !bytes.Equal(before, after) {
		t.Error("importing again changed the ledger")
	}
}

func TestImportRejects(t *testing.T) {
	header := `{"format":"hugo-pingback ledger","version":1,"created":"2026-01-01T00:00:00Z"}` + "\n"
	tests := []struct {
		name, data string
		want       error
		says       string
	}{
		// Not an export at all.
		{"empty", "", ErrExport, "empty"},
		{"not json", "hello\n", ErrExport, "line 1"},
		{"another format", `{"format":"other","version":1}` + "\n", ErrExport, "line 1"},
		// Written by a newer version.
		{"newer", `{"format":"hugo-pingback ledger","version":2}` + "\n", ErrExport, "version 2"},
		// A record of an unknown type, with its line.
		{"unknown type", header + `{"type":"page","url":"https://b/"}` + "\n" + `{"type":"thing"}` + "\n", ErrExport, `line 3: unknown record type "thing"`},
		// A field this version does not know: refused rather than dropped.
		{"unknown field", header + `{"type":"page","url":"https://b/","color":"red"}` + "\n", ErrExport, `line 2`},
		// A record the ledger refuses, with its line.
		{"invalid record", header + "\n" + `{"type":"notification","source":"https://b/","target":"https://t/","status":"sent"}` + "\n", ErrInvalidRecord, `line 3 (notification)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := openTest(t)
			_, err := l.Import(strings.NewReader(tt.data))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Import = %v, want %v saying %q", err, tt.want, tt.says)
			}
		})
	}
}

// ExportFile rewrites the file only when the export changed, so a CI job
// that commits it commits only what happened.
func TestExportFile(t *testing.T) {
	l, _ := openTest(t)
	path := filepath.Join(t.TempDir(), "sub", "ledger.jsonl")
	if err := l.Commit(&Batch{Pages: []Page{{URL: "https://blog.example/a/", LastSeen: t1}}, Runs: []Run{{Started: t1}}}); err != nil {
		t.Fatal(err)
	}
	if changed, err := l.ExportFile(path); err != nil || !changed {
		t.Fatalf("first export: %v, %v", changed, err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	// A later run's record is not exported: the file stays as it is.
	if err := l.Commit(&Batch{Runs: []Run{{Started: t2}}}); err != nil {
		t.Fatal(err)
	}
	if changed, err := l.ExportFile(path); err != nil || changed {
		t.Errorf("export of an unchanged ledger: changed %v, %v", changed, err)
	}
	if fi, _ := os.Stat(path); !fi.ModTime().Equal(old) {
		t.Error("an unchanged export touched the file")
	}
	if err := l.Commit(&Batch{Pages: []Page{{URL: "https://blog.example/b/", LastSeen: t1}}}); err != nil {
		t.Fatal(err)
	}
	if changed, err := l.ExportFile(path); err != nil || !changed {
		t.Errorf("export after a commit: changed %v, %v", changed, err)
	}
	data, _ := os.ReadFile(path)
	if !bytes.Contains(data, []byte(`"url":"https://blog.example/b/"`)) {
		t.Errorf("export lacks the new page:\n%s", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// A new ledger can start from an export (Options.Seed): the CI job that
// commits its export instead of caching the ledger.
func TestOpenSeed(t *testing.T) {
	src, _ := openTest(t)
	if err := src.Commit(&Batch{Pages: []Page{{URL: "https://blog.example/a/", LastSeen: t1}}, Runs: []Run{{Started: t1}}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	seed := filepath.Join(dir, "ledger.jsonl")
	if _, err := src.ExportFile(seed); err != nil {
		t.Fatal(err)
	}
	want := export(t, src)

	// Read-only: a temporary seeded copy; no file appears at the path.
	path := filepath.Join(dir, "new", "ledger.db")
	ro, err := Open(path, &Options{ReadOnly: true, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if got := export(t, ro); !bytes.Equal(got, want) || ro.Path() != path {
		t.Errorf("read-only seeded ledger at %s exports\n%s\nwant\n%s", ro.Path(), got, want)
	}
	copyDir := ro.copyPath
	ro.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("a read-only seeded Open created the ledger")
	}
	if _, err := os.Stat(copyDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the seeded copy %s was left behind", copyDir)
	}

	// Writable: the ledger is created from the seed, and knows its first run.
	l, err := Open(path, &Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := l.Seeded(); !ok || st.Added != 1 {
		t.Errorf("Seeded() = %+v, %v; want the page added", st, ok)
	}
	if _, ok, _ := l.FirstRun(); !ok {
		t.Error("a ledger seeded from a ledger with runs does not know its first run")
	}
	if got := export(t, l); !bytes.Equal(got, want) {
		t.Errorf("seeded ledger exports\n%s\nwant\n%s", got, want)
	}
	l.Close()
	// An existing ledger is opened as it is.
	l, err = Open(path, &Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Seeded(); ok {
		t.Error("an existing ledger was seeded again")
	}
	l.Close()

	// A seed that cannot be read leaves no ledger behind.
	bad := filepath.Join(dir, "bad.jsonl")
	writeFile(t, bad, []byte("not an export\n"))
	other := filepath.Join(dir, "other", "ledger.db")
	if _, err := Open(other, &Options{Seed: bad}); !errors.Is(err, ErrExport) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Open with a bad seed = %v, want ErrExport naming %s", err, bad)
	}
	if entries, _ := os.ReadDir(filepath.Dir(other)); len(entries) != 0 {
		t.Errorf("a failed seeding left %v", entries)
	}
}

// An Import that stops part way (a truncated export, a damaged line near
// the end, a kill) leaves the ledger as it was: never pages that look
// settled without the notifications they had, which a later change of the
// page would take for new links and ping again.
func TestImportAllOrNothing(t *testing.T) {
	src, _ := openTest(t)
	var b Batch
	for i := range importChunk + 1 {
		u := fmt.Sprintf("https://site.example/%d/", i)
		b.Pages = append(b.Pages, Page{URL: u, Hash: "h", Links: []string{"https://t.example/x"}})
		b.Notifications = append(b.Notifications, Notification{Source: u, Target: "https://t.example/x", Status: StatusNotified, Protocol: "pingback"})
	}
	if err := src.Commit(&b); err != nil {
		t.Fatal(err)
	}
	data := export(t, src)
	// Cut short: the header, the first importChunk pages (one transaction
	// of the merge), then half a line.
	lines := bytes.SplitAfter(data, []byte("\n"))
	cut := append(bytes.Join(lines[:1+importChunk], nil), lines[1+importChunk][:10]...)

	dst, _ := openTest(t)
	if err := dst.Commit(&Batch{Pages: []Page{{URL: "https://site.example/mine/", Hash: "m"}}}); err != nil {
		t.Fatal(err)
	}
	before := export(t, dst)
	if _, err := dst.Import(bytes.NewReader(cut)); !errors.Is(err, ErrExport) {
		t.Fatalf("import of a truncated export: %v, want ErrExport", err)
	}
	if after := export(t, dst); !bytes.Equal(after, before) {
		t.Errorf("a failed import changed the ledger:\n%s", after)
	}
	// The whole export then imports, and the ledger goes on working.
	if _, err := dst.Import(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	ns, err := dst.NotificationsFor("https://site.example/0/")
	if err != nil || len(ns) != 1 || ns[0].Status != StatusNotified {
		t.Errorf("after the import: %+v, %v", ns, err)
	}
	if err := dst.Commit(&Batch{Pages: []Page{{URL: "https://site.example/later/", Hash: "l"}}}); err != nil {
		t.Fatal(err)
	}
}
