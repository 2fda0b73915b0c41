package boltfile

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	errLocked   = errors.New("locked")
	errCorrupt  = errors.New("corrupt")
	errSchema   = errors.New("newer schema")
	errReadOnly = errors.New("read-only")
	errClosed   = errors.New("closed")
)

var testFormat = &Format{
	Name: "widget file", Schema: 3, Buckets: [][]byte{[]byte("widgets"), []byte("parts")},
	ErrLocked: errLocked, ErrCorrupt: errCorrupt, ErrSchema: errSchema, ErrReadOnly: errReadOnly, ErrClosed: errClosed,
}

var fixedNow = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestCreateNeverReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "widgets.db")
	if err := os.WriteFile(path, []byte("someone else's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, path)
	// Another process created the file between Open's stat and the link.
	created, err := create(path, testFormat, fixedNow)
	if err != nil || created {
		t.Fatalf("create over an existing file = %v, %v; want false, nil", created, err)
	}
	if fileSum(t, path) != before {
		t.Error("create changed an existing file")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}

// TestOpenFormat checks what a Format decides: the buckets created, the
// schema written and refused, the name in messages, and the owner's
// sentinels in every error.
func TestOpenFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "widgets.db")
	f, err := Open(path, testFormat, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Created() || f.Schema() != 3 || f.Path() != path {
		t.Errorf("Created %v, Schema %d, Path %s", f.Created(), f.Schema(), f.Path())
	}
	if at, err := f.CreatedAt(); err != nil || !at.Equal(fixedNow) {
		t.Errorf("CreatedAt() = %v, %v", at, err)
	}
	err = f.Update("add widget", func(tx *bolt.Tx) error { return tx.Bucket([]byte("parts")).Put([]byte("k"), []byte("v")) })
	if err != nil {
		t.Fatal(err)
	}
	// A second handle in this process waits for the lock, then gives up.
	if _, err := Open(path, testFormat, Options{Timeout: -1}); !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "open widget file "+path) {
		t.Errorf("second Open = %v, want errLocked naming the widget file", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.View("read widgets", func(*bolt.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("View after Close = %v, want errClosed", err)
	}

	// Read-only: no writes, no creation.
	ro, err := Open(path, testFormat, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if ro.Created() {
		t.Error("Created() on reopen")
	}
	if err := ro.Batch("add widget", func(*bolt.Tx) error { return nil }); !errors.Is(err, errReadOnly) {
		t.Errorf("Batch on a read-only file = %v, want errReadOnly", err)
	}
	if err := ro.Check(nil); err != nil {
		t.Errorf("Check: %v", err)
	}
	ro.Close()
	if _, err := Open(filepath.Join(filepath.Dir(path), "missing.db"), testFormat, Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only Open of a missing file = %v, want fs.ErrNotExist", err)
	}

	// Another Format's reading of the same file.
	older := *testFormat
	older.Schema = 2
	if _, err := Open(path, &older, Options{}); !errors.Is(err, errSchema) || !strings.Contains(err.Error(), "schema 3, this build reads up to 2") {
		t.Errorf("Open by an older build = %v, want errSchema", err)
	}
	more := *testFormat
	more.Buckets = append(more.Buckets, []byte("gears"))
	if _, err := Open(path, &more, Options{}); !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), `bucket "gears" is missing`) {
		t.Errorf("Open with a bucket the file lacks = %v, want errCorrupt naming it", err)
	}
	if _, err := Open("", testFormat, Options{}); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Open(\"\") = %v, want fs.ErrInvalid", err)
	}
}

// TestBatchRetriesAlone shows the caveat Batch documents: when one call in
// a batch fails, bbolt runs the others again, so their functions must be
// idempotent.
func TestBatchRetriesAlone(t *testing.T) {
	f, err := Open(filepath.Join(t.TempDir(), "w.db"), testFormat, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.DB.MaxBatchDelay = time.Second // gather both calls into one batch
	f.DB.MaxBatchSize = 2
	bad := errors.New("refused")
	runs := make(chan string, 4)
	errs := make(chan error, 2)
	for _, name := range []string{"good", "bad"} {
		go func() {
			errs <- f.Batch("put "+name, func(tx *bolt.Tx) error {
				runs <- name
				if name == "bad" {
					return bad
				}
				return tx.Bucket([]byte("widgets")).Put([]byte(name), []byte("1"))
			})
		}()
	}
	var got []error
	for range 2 {
		got = append(got, <-errs)
	}
	close(runs)
	n := 0
	for range runs {
		n++
	}
	if !(errors.Is(got[0], bad) || errors.Is(got[1], bad)) || (got[0] != nil && got[1] != nil) {
		t.Errorf("errors %v: want exactly the bad call to fail", got)
	}
	if n < 3 {
		t.Errorf("functions ran %d times; bbolt retries the good one after the bad one failed", n)
	}
}

// TestGroupUpdate commits many concurrent calls, one of which fails: the
// others are all durable, the failing one alone gets its error.
func TestGroupUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	f, err := Open(path, testFormat, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := errors.New("refused")
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- f.GroupUpdate("put widget", func(tx *bolt.Tx) error {
				if i == 7 {
					return bad
				}
				return tx.Bucket([]byte("widgets")).Put([]byte{byte(i), byte(i >> 8)}, []byte("1"))
			})
		}()
	}
	failed := 0
	for range n {
		if err := <-errs; err != nil {
			if !errors.Is(err, bad) || !strings.Contains(err.Error(), "put widget "+path) {
				t.Errorf("GroupUpdate = %v", err)
			}
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d calls failed, want 1", failed)
	}
	f.Close()
	f, err = Open(path, testFormat, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stored := 0
	f.View("count", func(tx *bolt.Tx) error { stored = tx.Bucket([]byte("widgets")).Stats().KeyN; return nil })
	if stored != n-1 {
		t.Errorf("%d widgets stored, want %d", stored, n-1)
	}
	if err := f.GroupUpdate("put widget", func(*bolt.Tx) error { return nil }); !errors.Is(err, errReadOnly) {
		t.Errorf("GroupUpdate on a read-only file = %v", err)
	}
}
