package state

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The test binary doubles as a helper process (the os/exec trick): with
// helperEnv set it runs one of the helpers below instead of the tests.
const (
	helperEnv     = "HUGO_PINGBACK_STATE_HELPER"
	helperPathEnv = "HUGO_PINGBACK_STATE_LEDGER"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "hold":
		os.Exit(helperHold(os.Getenv(helperPathEnv)))
	case "commit-forever":
		os.Exit(helperCommitForever(os.Getenv(helperPathEnv)))
	case "migrate":
		os.Exit(helperMigrate(os.Getenv(helperPathEnv)))
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// helperHold opens the ledger, says "ready", and holds it until stdin closes.
func helperHold(path string) int {
	l, err := Open(path, nil)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := l.Close(); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	return 0
}

// helperCommitForever follows the sender's in-flight protocol in a loop:
// batch i marks crashBatchSize notifications in flight, together with their
// pages, and prints "committed i" once Commit returned. It runs until killed.
func helperCommitForever(path string) int {
	l, err := Open(path, nil)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	for i := 1; ; i++ {
		var b Batch
		for j := range crashBatchSize {
			p := crashPage(i, j)
			b.Pages = append(b.Pages, Page{URL: p, Hash: strconv.Itoa(i), Links: []string{"https://t.example/" + p}})
			b.Notifications = append(b.Notifications, Notification{Source: p, Target: "https://t.example/" + p, Status: StatusInFlight, Protocol: "pingback"})
		}
		b.Runs = []Run{{Command: "send", Started: time.Now()}}
		if err := l.Commit(&b); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("committed", i)
	}
}

const crashBatchSize = 50

func crashPage(batch, j int) string { return fmt.Sprintf("https://site.example/%d/%d/", batch, j) }

// startHelper runs the test binary as helper mode on path and returns it with
// its stdout, its stdin (closing it ends "hold"), and the command.
func startHelper(t *testing.T, mode, path string) (*exec.Cmd, *bufio.Scanner, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, bufio.NewScanner(stdout), stdin
}

// fixedNow is the clock of ledgers opened by openTest.
var fixedNow = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func openTest(t *testing.T) (*Ledger, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".hugo-pingback", "ledger.db")
	l, err := Open(path, &Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

func TestOpenCreatesThenReopens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "ledger.db")

	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Created() {
		t.Error("first Open: Created() = false, want true")
	}
	if l.Path() != path {
		t.Errorf("Path() = %q, want %q", l.Path(), path)
	}
	if at, err := l.CreatedAt(); err != nil || time.Since(at) > time.Hour || at.IsZero() {
		t.Errorf("CreatedAt() = %v, %v; want about now", at, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "ledger.db" {
		t.Errorf("directory holds %v, want only ledger.db (no temporary files left)", entries)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("ledger mode = %v, %v; want 0644", info.Mode().Perm(), err)
	}

	// Opening and closing writes nothing, read-only or not (a CI cache
	// keyed on the file's hash stays valid). A ledger nothing was
	// committed to is still new: a first run stopped by the guard leaves
	// the next run a first run too.
	before := fileSum(t, path)
	for _, ro := range []bool{false, true} {
		l, err = Open(path, &Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		if !l.Created() {
			t.Errorf("reopen of an empty ledger (read-only %v): Created() = false, want true", ro)
		}
		if l.ReadOnly() != ro {
			t.Errorf("ReadOnly() = %v, want %v", l.ReadOnly(), ro)
		}
		if n, err := l.PageCount(); err != nil || n != 0 {
			t.Errorf("PageCount() = %d, %v; want 0", n, err)
		}
		l.Close()
		if fileSum(t, path) != before {
			t.Errorf("Open and Close (read-only %v) changed the file", ro)
		}
	}

	// Once anything was committed, the ledger is not new.
	l, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(&Batch{Discoveries: []Discovery{{Target: "https://t.example/"}}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	for _, ro := range []bool{false, true} {
		l, err = Open(path, &Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		if l.Created() {
			t.Errorf("reopen after a commit (read-only %v): Created() = true, want false", ro)
		}
		l.Close()
	}
}

func TestOpenReadOnlyMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "ledger.db")
	_, err := Open(path, &Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("read-only Open created the directory")
	}
}

// writeBolt writes a bbolt file at path and lets fn fill it.
func writeBolt(t *testing.T, path string, o *bolt.Options, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// bigLedger writes a ledger of n pages at path and returns its size.
func bigLedger(t *testing.T, path string, n int) int64 {
	t.Helper()
	l, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	commitPages(t, l, n, 500)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func TestOpenRejectsBadFiles(t *testing.T) {
	tests := []struct {
		name    string
		make    func(t *testing.T, path string)
		want    error
		message string // a part of the error text
	}{
		{
			// A file created by touch or a failed cache restore.
			name: "empty file",
			make: func(t *testing.T, path string) { writeFile(t, path, nil) },
			want: ErrCorrupt, message: "empty file",
		},
		{
			// Too short to hold even a meta page.
			name: "tiny file",
			make: func(t *testing.T, path string) { writeFile(t, path, []byte("bolt")) },
			want: ErrCorrupt, message: "too short",
		},
		{
			// A text file given as --ledger by mistake.
			name: "text file",
			make: func(t *testing.T, path string) {
				writeFile(t, path, bytes.Repeat([]byte("baseURL = 'https://example.org/'\n"), 500))
			},
			want: ErrCorrupt, message: "invalid database",
		},
		{
			// Random bytes, larger than a few pages.
			name: "random bytes",
			make: func(t *testing.T, path string) {
				data := make([]byte, 5*4096)
				for i := range data {
					data[i] = byte(i*7919 + i/13)
				}
				writeFile(t, path, data)
			},
			want: ErrCorrupt, message: "invalid database",
		},
		{
			// A ledger cut short (interrupted copy): the meta page promises
			// pages the file no longer has; reading them would fault.
			name: "truncated ledger",
			make: func(t *testing.T, path string) {
				size := bigLedger(t, path, 500)
				if err := os.Truncate(path, size/3); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrCorrupt, message: "truncated",
		},
		{
			// A ledger cut inside its first page, after the meta.
			name: "truncated to its first bytes",
			make: func(t *testing.T, path string) {
				bigLedger(t, path, 10)
				if err := os.Truncate(path, 1000); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrCorrupt, message: "truncated: 1000 bytes",
		},
		{
			// A ledger cut inside its first meta page.
			name: "truncated inside the meta page",
			make: func(t *testing.T, path string) {
				bigLedger(t, path, 10)
				if err := os.Truncate(path, 40); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrCorrupt, message: "too short",
		},
		{
			// Another program's bbolt database.
			name: "foreign bbolt file",
			make: func(t *testing.T, path string) {
				writeBolt(t, path, nil, func(tx *bolt.Tx) error {
					_, err := tx.CreateBucket([]byte("widgets"))
					return err
				})
			},
			want: ErrCorrupt, message: "not a hugo-pingback ledger",
		},
		{
			// A foreign bbolt file written without a freelist, which bbolt
			// would add while opening it for writing.
			name: "foreign bbolt file without freelist",
			make: func(t *testing.T, path string) {
				writeBolt(t, path, &bolt.Options{NoFreelistSync: true}, func(tx *bolt.Tx) error {
					_, err := tx.CreateBucket([]byte("widgets"))
					return err
				})
			},
			want: ErrCorrupt, message: "not a hugo-pingback ledger",
		},
		{
			// Our marker, but a bucket is gone.
			name: "missing bucket",
			make: func(t *testing.T, path string) {
				bigLedger(t, path, 1)
				db, err := bolt.Open(path, 0o644, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketURLs) }); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrCorrupt, message: `bucket "urls" is missing`,
		},
		{
			// A bbolt file with a meta bucket whose marker is wrong.
			name: "wrong marker",
			make: func(t *testing.T, path string) {
				writeBolt(t, path, nil, func(tx *bolt.Tx) error {
					b, err := tx.CreateBucket(bucketMeta)
					if err != nil {
						return err
					}
					return b.Put(metaTool, []byte("other-tool"))
				})
			},
			want: ErrCorrupt, message: "not a hugo-pingback ledger",
		},
		{
			// Our ledger, but written by a future version.
			name: "newer schema",
			make: func(t *testing.T, path string) {
				bigLedger(t, path, 1)
				setMeta(t, path, metaSchema, strconv.Itoa(SchemaVersion+1))
			},
			want: ErrSchema, message: fmt.Sprintf("schema %d, this build reads up to %d", SchemaVersion+1, SchemaVersion),
		},
		{
			// Our ledger with a schema version nobody wrote.
			name: "unreadable schema",
			make: func(t *testing.T, path string) {
				bigLedger(t, path, 1)
				setMeta(t, path, metaSchema, "one")
			},
			want: ErrCorrupt, message: "unreadable schema version",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, ro := range []bool{false, true} {
				path := filepath.Join(t.TempDir(), "ledger.db")
				tt.make(t, path)
				before := fileSum(t, path)
				l, err := Open(path, &Options{ReadOnly: ro})
				if err == nil {
					l.Close()
					t.Fatalf("read-only %v: Open succeeded, want %v", ro, tt.want)
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("read-only %v: err = %v, want %v", ro, err, tt.want)
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.message) {
					t.Errorf("read-only %v: error %q does not name %s and say %q", ro, err, path, tt.message)
				}
				if fileSum(t, path) != before {
					t.Errorf("read-only %v: Open changed the file", ro)
				}
				// The failed Open must not keep the lock.
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				l, err = Open(path, &Options{Timeout: -1})
				if err != nil {
					t.Fatalf("Open after failed Open: %v", err)
				}
				l.Close()
			}
		})
	}
}

// TestOpenConcurrentCreate opens a ledger that does not exist yet from
// several goroutines at once: one creates it, the others find it locked, and
// no temporary file is left behind.
func TestOpenConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	const n = 4
	type result struct {
		l   *Ledger
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			l, err := Open(path, &Options{Timeout: 100 * time.Millisecond})
			results <- result{l, err}
		}()
	}
	var opened []*Ledger
	for range n {
		r := <-results
		switch {
		case r.err == nil:
			opened = append(opened, r.l)
		case !errors.Is(r.err, ErrLocked):
			t.Errorf("concurrent Open: %v, want success or ErrLocked", r.err)
		}
	}
	// The one that got the lock need not be the one that created the
	// file, but the ledger is new either way.
	if len(opened) != 1 || !opened[0].Created() {
		t.Fatalf("%d Opens succeeded, want exactly one, with Created() true", len(opened))
	}
	opened[0].Close()
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %v, want only the ledger", entries)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open("", nil); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Open(\"\") = %v, want fs.ErrInvalid", err)
	}
}

func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, nil)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open(directory) = %v, want an error naming it", err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func setMeta(t *testing.T, path string, key []byte, value string) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(key, []byte(value))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLockedInProcess(t *testing.T) {
	l, path := openTest(t)
	short := &Options{Timeout: 50 * time.Millisecond}

	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(path, &Options{Timeout: short.Timeout, ReadOnly: ro})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open (read-only %v) = %v, want ErrLocked", ro, err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "in use") {
			t.Errorf("error %q does not name %s and say it is in use", err, path)
		}
		if d := time.Since(start); d > DefaultTimeout {
			t.Errorf("second Open took %v with a %v timeout", d, short.Timeout)
		}
	}

	// A negative timeout tries once.
	start := time.Now()
	if _, err := Open(path, &Options{Timeout: -1}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open with a negative timeout = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d >= DefaultTimeout {
		t.Errorf("a single attempt took %v", d)
	}

	// A zero timeout waits DefaultTimeout, not forever.
	start = time.Now()
	if _, err := Open(path, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open with default timeout = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d < DefaultTimeout-100*time.Millisecond {
		t.Errorf("default timeout gave up after %v, want about %v", d, DefaultTimeout)
	}

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(path, short)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	l2.Close()
}

func TestOpenReadersShare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	bigLedger(t, path, 5)
	r1, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, &Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	defer r2.Close()
	if _, err := Open(path, &Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("writer while readers hold the ledger: %v, want ErrLocked", err)
	}
	if n, err := r2.PageCount(); err != nil || n != 5 {
		t.Errorf("PageCount() = %d, %v; want 5", n, err)
	}
}

func TestOpenLockedByOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	cmd, out, stdin := startHelper(t, "hold", path)
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("helper said %q, %v", out.Text(), out.Err())
	}

	_, err := Open(path, &Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while another process holds the ledger = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if _, err := Open(path, &Options{Timeout: 100 * time.Millisecond, ReadOnly: true}); !errors.Is(err, ErrLocked) {
		t.Errorf("read-only Open while another process writes = %v, want ErrLocked", err)
	}

	stdin.Close() // the helper closes the ledger and exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	l, err := Open(path, &Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after the other process exited: %v", err)
	}
	defer l.Close()
	if !l.Created() {
		t.Error("Created() = false for the ledger the helper created and left empty")
	}
}

// TestKilledWriter kills a process that commits in-flight batches in a loop
// at an arbitrary moment, then checks that the ledger is valid, the lock is
// gone, and every batch is either fully there or not at all.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	cmd, out, _ := startHelper(t, "commit-forever", path)
	last := 0
	for last < 20 && out.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "committed "))
		if err != nil {
			t.Fatalf("helper said %q", out.Text())
		}
		last = n
	}
	if last < 20 {
		t.Fatalf("helper stopped after batch %d: %v", last, out.Err())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	l, err := Open(path, &Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	defer l.Close()
	if err := l.Check(); err != nil {
		t.Fatalf("Check after kill: %v", err)
	}
	pages, err := l.Pages()
	if err != nil {
		t.Fatal(err)
	}
	if len(pages)%crashBatchSize != 0 {
		t.Fatalf("%d pages: a batch was written in part", len(pages))
	}
	batches := len(pages) / crashBatchSize
	if batches < last {
		t.Fatalf("%d batches on disk, but the helper reported %d committed", batches, last)
	}
	for i := 1; i <= batches; i++ {
		for j := range crashBatchSize {
			if _, ok := pages[crashPage(i, j)]; !ok {
				t.Fatalf("batch %d lacks page %d", i, j)
			}
		}
	}
	inflight, err := l.InFlight()
	if err != nil {
		t.Fatal(err)
	}
	if len(inflight) != len(pages) {
		t.Errorf("InFlight() found %d, want %d (one per page)", len(inflight), len(pages))
	}
	if r, ok, err := l.LastRun(); err != nil || !ok || r.ID != uint64(batches) {
		t.Errorf("LastRun() = %d, %v, %v; want run %d", r.ID, ok, err, batches)
	}
	// The ledger takes writes again.
	if err := l.Commit(&Batch{DeletePages: []string{crashPage(1, 0)}}); err != nil {
		t.Fatal(err)
	}
}

func TestPersistsAcrossReopen(t *testing.T) {
	l, path := openTest(t)
	b := fullBatch()
	if err := l.Commit(&b); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	for _, ro := range []bool{true, false} {
		l, err := Open(path, &Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		checkFullBatch(t, l)
		if err := l.Check(); err != nil {
			t.Errorf("Check: %v", err)
		}
		l.Close()
	}
}

// fullBatch has one record of every kind with every field set.
func fullBatch() Batch {
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 123456789, time.UTC)
	return Batch{
		Pages: []Page{{
			URL: "https://blog.example/posts/a/", File: "posts/a/index.html", Hash: "abc123",
			Links:   []string{"https://x.example/2", "https://x.example/1"},
			Targets: []string{"https://x.example/1"},
			Title:   "Post A — ünïcode", Published: t0, FirstSeen: t0, LastSeen: t0.Add(time.Hour),
		}, {
			URL: "https://blog.example/posts/gone/", File: "posts/gone/index.html", Hash: "def",
			Deleted: true, DeletedAt: t0.Add(2 * time.Hour), FirstSeen: t0, LastSeen: t0,
		}},
		Notifications: []Notification{{
			Source: "https://blog.example/posts/a/", Target: "https://x.example/1",
			Protocol: "webmention", Endpoint: "https://x.example/wm", Status: StatusNotified,
			Attempts: 1, NextAttempt: t0.Add(time.Minute), LastError: "none", Code: 201,
			Answer: "accepted", Location: "https://x.example/wm/status/1", Version: "abc123",
			Sends: 1, Created: t0, Updated: t0.Add(time.Second), NotifiedAt: t0.Add(time.Second),
		}, {
			Source: "https://blog.example/posts/a/", Target: "https://x.example/2",
			Protocol: "pingback", Endpoint: "https://x.example/xmlrpc.php", Status: StatusFailed,
			Code: -32601, LastError: "server does not support pingback.ping", Created: t0, Updated: t0,
		}},
		Discoveries: []Discovery{{
			Target: "https://x.example/1", Final: "https://x.example/1/", Pingback: "https://x.example/xmlrpc.php",
			Webmention: "https://x.example/wm", Trackback: "https://x.example/tb",
			Fetched: t0, Expires: t0.Add(24 * time.Hour),
		}},
		Runs: []Run{{Started: t0, Finished: t0.Add(time.Minute), Command: "send --all",
			Counts: map[string]int{"notified": 1, "failed": 1}, Interrupted: true}},
	}
}

func checkFullBatch(t *testing.T, l *Ledger) {
	t.Helper()
	want := fullBatch()
	want.Pages[0].Links = []string{"https://x.example/1", "https://x.example/2"}
	pages, err := l.Pages()
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 {
		t.Fatalf("Pages() has %d pages, want 2", len(pages))
	}
	for _, p := range want.Pages {
		if got := pages[p.URL]; !equal(got, p) {
			t.Errorf("page %s:\n got %+v\nwant %+v", p.URL, got, p)
		}
		if got, ok, err := l.Page(p.URL); !ok || err != nil || !equal(got, p) {
			t.Errorf("Page(%s) = %+v, %v, %v", p.URL, got, ok, err)
		}
	}
	ns, err := l.NotificationsFor("https://blog.example/posts/a/")
	if err != nil {
		t.Fatal(err)
	}
	if !equal(ns, want.Notifications) {
		t.Errorf("NotificationsFor:\n got %+v\nwant %+v", ns, want.Notifications)
	}
	d, ok, err := l.Discovery("https://x.example/1", want.Discoveries[0].Fetched)
	if err != nil || !ok || !equal(d, want.Discoveries[0]) {
		t.Errorf("Discovery = %+v, %v, %v; want %+v", d, ok, err, want.Discoveries[0])
	}
	r, ok, err := l.LastRun()
	want.Runs[0].ID = 1
	if err != nil || !ok || !equal(r, want.Runs[0]) {
		t.Errorf("LastRun = %+v, %v, %v; want %+v", r, ok, err, want.Runs[0])
	}
}

func TestClosedLedger(t *testing.T) {
	l, _ := openTest(t)
	l.Close()
	if _, _, err := l.Page("x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Page after Close = %v, want ErrClosed", err)
	}
	if err := l.Commit(&Batch{DeletePages: []string{"x"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Close = %v, want ErrClosed", err)
	}
}

func TestReadOnlyCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	bigLedger(t, path, 1)
	l, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = l.Commit(&Batch{DeletePages: []string{"x"}})
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), path) {
		t.Errorf("Commit on read-only ledger = %v, want ErrReadOnly naming the file", err)
	}
}

// TestCorruptionWhileOpen damages the file under an open ledger, the way a
// disk error or a second writer ignoring the lock would, and checks that
// bbolt's panics and faults on the memory map come back as ErrCorrupt.
func TestCorruptionWhileOpen(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, path string, size int64)
		message string // a part of the error text
	}{
		{
			// Reading a page beyond the end of the file faults (SIGBUS).
			name: "truncated under the map",
			damage: func(t *testing.T, path string, size int64) {
				if err := os.Truncate(path, 2*4096); err != nil {
					t.Fatal(err)
				}
			},
			message: "memory fault reading the file",
		},
		{
			// Every data page overwritten: bbolt finds nonsense page headers.
			name: "data pages overwritten",
			damage: func(t *testing.T, path string, size int64) {
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				junk := bytes.Repeat([]byte{0xA5}, int(size-2*4096))
				if _, err := f.WriteAt(junk, 2*4096); err != nil {
					t.Fatal(err)
				}
			},
			message: "", // bbolt's text depends on the first page it reads
		},
	}
	// The first call that meets the damage, for each kind of call.
	calls := []struct {
		name string
		call func(l *Ledger) error
	}{
		{"Pages", func(l *Ledger) error { _, err := l.Pages(); return err }},
		{"Check", func(l *Ledger) error { return l.Check() }},
		{"Commit", func(l *Ledger) error {
			return l.Commit(&Batch{Pages: []Page{benchPage(250)}, DeletePages: []string{benchPage(3).URL}})
		}},
	}
	for _, tt := range tests {
		for _, c := range calls {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "ledger.db")
				size := bigLedger(t, path, 500)
				l, err := Open(path, nil)
				if err != nil {
					t.Fatal(err)
				}
				tt.damage(t, path, size)

				err = c.call(l)
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("%s on a damaged file = %v, want ErrCorrupt naming the file and saying %q", c.name, err, tt.message)
				}
				// Once corruption is found, every call says so.
				if _, err := l.PageCount(); !errors.Is(err, ErrCorrupt) {
					t.Errorf("PageCount() after corruption = %v, want ErrCorrupt", err)
				}
				// Close must not hang on locks a bbolt panic left held, and
				// must release the file lock.
				if err := l.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				if _, err := Open(path, &Options{Timeout: -1}); errors.Is(err, ErrLocked) {
					t.Errorf("Open after Close of a broken ledger: %v", err)
				}
			})
		}
	}
}

func TestCheckFindsBadRecords(t *testing.T) {
	// A page the ledger has, and records of it written by hand.
	page := benchPage(3).URL
	urlID := func(in *interner) uint64 {
		id, ok, err := in.lookup(page)
		if !ok || err != nil {
			panic(fmt.Sprintf("no id for %s: %v", page, err))
		}
		return id
	}
	recordKey := func(in *interner) []byte {
		e, err := in.entry(urlID(in))
		if err != nil {
			panic(err)
		}
		return idKey(e.page)
	}
	record := func(targetID, flags uint64) func(in *interner) []byte {
		return func(in *interner) []byte {
			e := newEncoder(8)
			e.b[0] = sourceFormat
			e.int(srcURL, int64(urlID(in)))
			e.bool(srcHasPage, true)
			sub := binary.AppendUvarint(nil, targetID)
			sub = binary.AppendUvarint(sub, flags)
			e.bytesField(srcEntry, string(sub))
			return e.b
		}
	}
	bytes := func(b []byte) func(*interner) []byte { return func(*interner) []byte { return b } }
	tests := []struct {
		name   string
		bucket []byte
		key    func(in *interner) []byte // written in the ledger's transaction
		value  func(in *interner) []byte // nil: the key is deleted
		says   string                    // a part of the error text
	}{
		// A page value that is not our encoding.
		{"page value", bucketPages, recordKey, bytes([]byte(`{"file":"x"}`)), "malformed value: unknown format byte 0x7b"},
		// A page key that is not an id.
		{"page key", bucketPages, bytes([]byte("https://x/")), record(1, 0), "is not an id"},
		// An entry whose status this build does not know.
		{"entry status", bucketPages, recordKey, record(1, 15<<flagStatusShift), "status 15"},
		// An entry naming a URL the ledger does not have.
		{"dangling target", bucketPages, recordKey, record(99999, flagLinked), "url 99999 is missing"},
		// A record its URL does not name.
		{"stray record", bucketPages, bytes(idKey(77777)), record(1, flagLinked), "is not the one its URL names"},
		// A discovery value cut short.
		{"discovery value", bucketDiscovery, func(in *interner) []byte { return idKey(urlID(in)) }, bytes([]byte{sourceFormat, 0x0a, 9, 'h'}), "discovery " + page},
		// A URL the url index cannot find.
		{"url index", bucketURLIDs, func(in *interner) []byte { k, _ := urlIndex(page); return k[:] }, nil, "is not in the url index"},
		// A run key that is not 8 bytes.
		{"run key", bucketRuns, bytes([]byte("1")), bytes(encodeRun(&Run{Command: "send"})), "not 8 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			bigLedger(t, path, 20)
			db, err := bolt.Open(path, 0o644, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				in := newInterner(tx)
				k := tt.key(in)
				if tt.value == nil {
					return tx.Bucket(tt.bucket).Delete(k)
				}
				return tx.Bucket(tt.bucket).Put(k, tt.value(in))
			})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()

			l, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			err = l.Check()
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), path) {
				t.Errorf("Check() = %v, want ErrCorrupt naming the file and saying %q", err, tt.says)
			}
		})
	}
}

// equal compares with reflect.DeepEqual, which works for times because the
// ledger returns them in UTC without a monotonic reading.
func equal(a, b any) bool { return reflect.DeepEqual(a, b) }
