package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// schema1 is what a ledger written by schema 1 held: feeds among the pages
// (told apart by their .xml file) and the calls to update services and
// WebSub hubs among the notifications.
type schema1 struct {
	pages         []Page
	notifications []Notification
}

func schema1Ledger() schema1 {
	return schema1{
		pages: []Page{
			{URL: "https://blog.example/", File: "index.html", Hash: "h0", FirstSeen: t1, LastSeen: t1},
			{URL: "https://blog.example/posts/a/", File: "posts/a/index.html", Hash: "h1", Links: []string{"https://x.example/1"}, FirstSeen: t1, LastSeen: t1},
			{URL: "https://blog.example/index.xml", File: "index.xml", Hash: "feed1", FirstSeen: t1, LastSeen: t2},
			{URL: "https://blog.example/posts/index.xml", File: "posts/index.xml", Hash: "feed2", FirstSeen: t1, LastSeen: t1},
		},
		notifications: []Notification{
			{Source: "https://blog.example/posts/a/", Target: "https://x.example/1", Status: StatusNotified, Protocol: "pingback", Created: t1, Updated: t1},
			// The home page's own link, and a ping service called with the
			// home page as source: the same key space in schema 1.
			{Source: "https://blog.example/", Target: "https://x.example/about", Status: StatusBaseline, Created: t1, Updated: t1},
			{Source: "https://blog.example/", Target: "https://rpc.example/RPC2", Status: StatusNotified, Protocol: "weblogUpdates", Endpoint: "https://rpc.example/RPC2", Sends: 1, Created: t1, Updated: t1},
			{Source: "https://blog.example/index.xml", Target: "https://hub.example/", Status: StatusFailed, Protocol: "websub", LastError: "HTTP 503", Created: t1, Updated: t2},
		},
	}
}

// writeSchema1 writes old as a schema 1 ledger at path, as schema 1 laid it
// out; badPage, when set, is stored under that URL as a value no schema reads.
func writeSchema1(t *testing.T, path string, old schema1, badPage string) {
	t.Helper()
	writeBolt(t, path, nil, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for k, v := range map[string]string{"tool": toolMarker, "schema": "1", "created": t1.Format(time.RFC3339Nano)} {
			if err := meta.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		for _, name := range schemaBuckets[1] {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		for i := range old.pages {
			if err := tx.Bucket(bucketPages).Put([]byte(old.pages[i].URL), encodePage(&old.pages[i])); err != nil {
				return err
			}
		}
		if badPage != "" {
			if err := tx.Bucket(bucketPages).Put([]byte(badPage), []byte("{}")); err != nil {
				return err
			}
		}
		for i := range old.notifications {
			n := &old.notifications[i]
			if err := tx.Bucket(bucketNotifications).Put(notificationKey(n.Source, n.Target), encodeNotification(n)); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkSplit checks that l holds the records of schema1Ledger, its feeds
// and service calls apart from its pages and notifications.
func checkSplit(t *testing.T, l *Ledger) {
	t.Helper()
	if n, err := l.PageCount(); err != nil || n != 2 {
		t.Errorf("PageCount() = %d, %v; want the 2 pages without the feeds", n, err)
	}
	feeds, err := l.Feeds()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Feed{
		"https://blog.example/index.xml":       {URL: "https://blog.example/index.xml", File: "index.xml", Hash: "feed1", FirstSeen: t1, LastSeen: t2},
		"https://blog.example/posts/index.xml": {URL: "https://blog.example/posts/index.xml", File: "posts/index.xml", Hash: "feed2", FirstSeen: t1, LastSeen: t1},
	}
	if !equal(feeds, want) {
		t.Errorf("Feeds() =\n %+v\nwant\n %+v", feeds, want)
	}
	services, err := l.Services()
	if err != nil {
		t.Fatal(err)
	}
	if len(services) != 2 || services[0].Protocol != "weblogUpdates" || services[1].Protocol != "websub" || services[1].LastError != "HTTP 503" {
		t.Errorf("Services() = %+v, want the ping service and the hub", services)
	}
	home, err := l.NotificationsFor("https://blog.example/")
	if err != nil {
		t.Fatal(err)
	}
	if len(home) != 1 || home[0].Target != "https://x.example/about" {
		t.Errorf("notifications of the home page = %+v, want only its own link", home)
	}
	if stats, err := l.Stats(); err != nil || stats[StatusNotified] != 1 || stats[StatusFailed] != 0 {
		t.Errorf("Stats() = %v, %v; want the service calls not counted", stats, err)
	}
	if err := l.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestMigrateSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeSchema1(t, path, schema1Ledger(), "")
	before := fileSum(t, path)

	// A reader (status, a dry run) sees the new layout and leaves the file
	// as it was: it reads a migrated copy, removed on Close.
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	checkSplit(t, ro)
	if err := ro.Commit(&Batch{DeletePages: []string{"x"}}); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path) {
		t.Errorf("Commit on the read-only copy = %v, want ErrReadOnly naming %s", err, path)
	}
	copyPath := ro.copyPath
	ro.Close()
	if fileSum(t, path) != before {
		t.Error("a read-only Open changed a schema 1 ledger")
	}
	if _, err := os.Stat(copyPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the migrated copy %s was left behind", copyPath)
	}

	// A writer migrates the file in place, once.
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSplit(t, l)
	l.Close()
	l, err = Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.copyPath != "" {
		t.Error("a migrated ledger was migrated again")
	}
	checkSplit(t, l)
}

// A migration that meets a record it cannot read changes nothing: it
// writes a new file, renamed over the old one only when it is complete.
func TestMigrateSchema1AllOrNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeSchema1(t, path, schema1Ledger(), "https://blog.example/zz-broken/")
	before := fileSum(t, path)
	_, err := Open(path, nil)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "https://blog.example/zz-broken/") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open = %v, want ErrCorrupt naming the file and the record", err)
	}
	if fileSum(t, path) != before {
		t.Error("a failed migration changed the file")
	}
}

// A ledger written before the first run was recorded in meta knows it from
// its oldest run.
func TestFirstRunOfAnOlderLedger(t *testing.T) {
	l, path := openTest(t)
	if err := l.Commit(&Batch{Runs: []Run{{Started: t2, Command: "send"}, {Started: t2.Add(time.Hour), Command: "send"}}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaFirstRun) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	l, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if first, ok, err := l.FirstRun(); !ok || err != nil || !first.Equal(t2) {
		t.Errorf("FirstRun = %v, %v, %v; want the oldest run %v", first, ok, err, t2)
	}
	// The next run records it, and it stays the oldest.
	if err := l.Commit(&Batch{Runs: []Run{{Started: t2.Add(2 * time.Hour), Command: "send"}}}); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := l.FirstRun(); !first.Equal(t2) {
		t.Errorf("FirstRun after another run = %v, want %v", first, t2)
	}
}

// writeSchema2 writes the records of an export as schema 2 laid them out,
// with runs.
func writeSchema2(t *testing.T, path string, export []byte, runs []Run) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(export), []byte("\n"))
	var h exportHeader
	if err := json.Unmarshal(lines[0], &h); err != nil {
		t.Fatal(err)
	}
	writeBolt(t, path, nil, func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		kv := map[string]string{"tool": toolMarker, "schema": "2", "created": h.Created.Format(time.RFC3339Nano)}
		if !h.FirstRun.IsZero() {
			kv["first_run"] = h.FirstRun.Format(time.RFC3339Nano)
		}
		for k, v := range kv {
			if err := meta.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		for _, name := range schemaBuckets[2] {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		for _, line := range lines[1:] {
			rec, err := parseRecord(line)
			if err != nil {
				return err
			}
			switch {
			case rec.page != nil:
				err = tx.Bucket(bucketPages).Put([]byte(rec.page.URL), encodePage(rec.page))
			case rec.notification != nil:
				bk := bucketNotifications
				if rec.kind == kindService {
					bk = bucketServices
				}
				err = tx.Bucket(bk).Put(notificationKey(rec.notification.Source, rec.notification.Target), encodeNotification(rec.notification))
			case rec.discovery != nil:
				err = tx.Bucket(bucketDiscovery).Put([]byte(rec.discovery.Target), encodeDiscovery(rec.discovery))
			case rec.feed != nil:
				err = tx.Bucket(bucketFeeds).Put([]byte(rec.feed.URL), encodeFeed(rec.feed))
			}
			if err != nil {
				return err
			}
		}
		for i := range runs {
			if err := tx.Bucket(bucketRuns).Put(runKey(runs[i].ID), encodeRun(&runs[i])); err != nil {
				return err
			}
		}
		return nil
	})
}

// schema2Fixture is a random ledger's export and runs, and a schema 2
// ledger of the same at path.
func schema2Fixture(t *testing.T, path string, seed uint64) []byte {
	t.Helper()
	src, _ := openTest(t)
	randomLedger(t, src, rand.New(rand.NewPCG(seed, 11)))
	want := export(t, src)
	runs, err := src.Runs()
	if err != nil {
		t.Fatal(err)
	}
	writeSchema2(t, path, want, runs)
	return want
}

// Migrating schema 2 loses nothing: the migrated ledger exports what the
// ledger the schema 2 file was made from exports, and keeps its runs.
func TestMigrateSchema2(t *testing.T) {
	for seed := range uint64(10) {
		path := filepath.Join(t.TempDir(), "ledger.db")
		want := schema2Fixture(t, path, seed)
		l, err := Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := export(t, l); !bytes.Equal(got, want) {
			t.Fatalf("seed %d: the migrated ledger exports\n%s\nwant\n%s", seed, got, want)
		}
		if err := l.Check(); err != nil {
			t.Fatal(err)
		}
		if runs, err := l.Runs(); err != nil || len(runs) == 0 && bytes.Contains(want, []byte(`"first_run"`)) {
			t.Errorf("seed %d: runs %v, %v", seed, runs, err)
		}
		l.Close()
	}
}

// helperMigrate opens (and so migrates) the ledger at path; after the
// first transaction of the migration it says "copied N" and waits for
// stdin to close, which the test never does: it kills the helper there.
func helperMigrate(path string) int {
	migrateHook = func(n int) {
		fmt.Println("copied", n)
		_, _ = io.Copy(io.Discard, os.Stdin)
	}
	l, err := Open(path, nil)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	l.Close()
	fmt.Println("done")
	return 0
}

// A migration killed midway leaves the old ledger as it was (and a
// temporary file, which the next one removes); the next Open migrates it
// whole.
func TestMigrateKilledMidway(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	// Enough records for several transactions of the migration.
	src, _ := openTest(t)
	commitPages(t, src, 3000, 500)
	var b Batch
	for i := range 3000 {
		p := benchPage(i)
		for _, target := range p.Links {
			b.Notifications = append(b.Notifications, Notification{Source: p.URL, Target: target, Status: StatusNotified, Protocol: "pingback"})
		}
	}
	if err := src.Commit(&b); err != nil {
		t.Fatal(err)
	}
	want := export(t, src)
	writeSchema2(t, path, want, nil)
	before := fileSum(t, path)

	cmd, out, _ := startHelper(t, "migrate", path)
	if !out.Scan() || !strings.HasPrefix(out.Text(), "copied ") {
		t.Fatalf("helper said %q, %v", out.Text(), out.Err())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if fileSum(t, path) != before {
		t.Fatal("the killed migration changed the old ledger")
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".ledger.db.migrate-*"))
	if len(left) != 1 {
		t.Fatalf("the killed migration left %v, want its temporary file", left)
	}

	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := export(t, l); !bytes.Equal(got, want) {
		t.Error("the migration after the kill lost records")
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %v, want the ledger alone", entries)
	}
}
