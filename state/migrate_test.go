package state

import (
	"errors"
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

// checkSchema2 checks that l holds old in the buckets of schema 2.
func checkSchema2(t *testing.T, l *Ledger) {
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
	checkSchema2(t, ro)
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
	checkSchema2(t, l)
	l.Close()
	l, err = Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.copyPath != "" {
		t.Error("a migrated ledger was migrated again")
	}
	checkSchema2(t, l)
}

// A migration that meets a record it cannot read changes nothing: it runs
// in one transaction, which is also why a kill midway leaves the old file.
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
