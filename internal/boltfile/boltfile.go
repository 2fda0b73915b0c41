// Package boltfile owns what every bbolt file of hugo-pingback has in
// common: the sender's ledger (package state) and the receiver's mention
// store (package mention). It creates a file complete or not at all, with a
// meta bucket naming the tool and the schema; it refuses, before bbolt maps
// it, a file that is not ours or that would crash bbolt (empty, truncated,
// foreign); and it turns bbolt's panics and memory faults on corrupt pages
// into errors, so a damaged file is reported instead of killing the process.
//
// Package boltfile never decides what goes into a file: its owner names the
// data buckets and its error sentinels in a Format, runs its transactions
// through File.View, File.Update and File.Batch, and keeps its own layout.
// A file is never replaced, truncated or repaired here.
package boltfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// DefaultAllocSize is how much bbolt grows a file by when
// Options.AllocSize is zero: 1 MiB instead of bbolt's 16 MiB, which would
// make a small file mostly padding (in a CI cache, say).
const DefaultAllocSize = 1 << 20

// Marker is stored under meta/tool in every file; a bbolt file without it
// is not ours.
const Marker = "hugo-pingback"

// The meta bucket and its keys, the same in every file.
var (
	BucketMeta  = []byte("meta")
	MetaTool    = []byte("tool")
	MetaSchema  = []byte("schema")
	MetaCreated = []byte("created")
)

// Format describes one kind of file: what to call it in messages, the
// schema version this build writes and reads, the data buckets created with
// the file, and the owner's sentinel errors that errors from this package
// wrap.
type Format struct {
	Name    string   // "ledger", "mention store": as in "open ledger PATH: ..."
	Schema  int      // written into new files; files with a higher one are refused
	Buckets [][]byte // top-level data buckets, created with the file and required

	ErrLocked   error // another process (or File) holds the file
	ErrCorrupt  error // not a readable bbolt file of this Format
	ErrSchema   error // written by a newer schema
	ErrReadOnly error // Update or Batch on a read-only File
	ErrClosed   error // used after Close
}

// Options configures Open.
type Options struct {
	// Timeout is how long Open waits for a lock another process holds; 0
	// means DefaultTimeout, a negative value one attempt.
	Timeout time.Duration
	// ReadOnly opens an existing file for reading, sharing the lock with
	// other readers; a missing file is then an error wrapping fs.ErrNotExist.
	ReadOnly bool
	// Now is written as meta/created into a new file.
	Now time.Time
	// AllocSize is how much bbolt grows the file by; 0 means
	// DefaultAllocSize.
	AllocSize int
	// NoSync turns off fsync (bbolt's DB.NoSync): for benchmarks that
	// measure what fsync costs, never for data.
	NoSync bool
}

// File is an open bbolt file of one Format. Its methods are safe for
// concurrent use.
type File struct {
	// DB is the bbolt handle, for the owner's tests; the owner's code goes
	// through View, Update and Batch, which recover bbolt's panics.
	DB *bolt.DB

	format   *Format
	path     string
	file     *os.File // bbolt's file, closed directly if bbolt cannot be trusted
	created  bool
	readOnly bool
	schema   int

	closeOnce sync.Once
	closeErr  error
	broken    atomic.Pointer[error] // set when a transaction found corruption
	group     committer             // GroupUpdate's calls
}

// Open opens the file at path, creating it (and its parent directories)
// when it does not exist, unless o.ReadOnly is set. A new file is written
// to a temporary name and linked into place only once complete. Open
// checks, without writing, that the file has the tool's marker, a schema
// no newer than f.Schema and, at f.Schema, every bucket of f; a file of an
// older schema is its owner's to check and migrate (see File.Schema).
//
// Errors name the file and wrap f.ErrLocked, f.ErrCorrupt, f.ErrSchema,
// fs.ErrNotExist (read-only, no file) or fs.ErrInvalid (empty path).
func Open(path string, f *Format, o Options) (*File, error) {
	timeout := o.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		timeout = time.Nanosecond // bbolt: one attempt, then ErrTimeout
	}
	if path == "" {
		return nil, fmt.Errorf("open %s: %w: empty path", f.Name, fs.ErrInvalid)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	created := false
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && o.ReadOnly:
		return nil, fmt.Errorf("open %s %s: %w", f.Name, path, fs.ErrNotExist)
	case errors.Is(err, fs.ErrNotExist):
		if created, err = create(path, f, o.Now); err != nil {
			return nil, fmt.Errorf("create %s %s: %w", f.Name, path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open %s %s: %w", f.Name, path, err)
	case info.IsDir():
		return nil, fmt.Errorf("open %s %s: is a directory", f.Name, path)
	}

	noFreelist, err := precheck(path, f.ErrCorrupt)
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", f.Name, path, err)
	}
	// NoFreelistSync follows the file: bbolt would otherwise write a
	// freelist into a file written without one while opening it, before
	// checkMeta could tell whether the file is ours.
	db, file, err := openBolt(path, f, &bolt.Options{Timeout: timeout, ReadOnly: o.ReadOnly, NoFreelistSync: noFreelist})
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", f.Name, path, err)
	}
	db.AllocSize = o.AllocSize
	if db.AllocSize <= 0 {
		db.AllocSize = DefaultAllocSize
	}
	db.NoSync = o.NoSync
	bf := &File{DB: db, format: f, path: path, file: file, created: created, readOnly: o.ReadOnly}
	if err := bf.checkMeta(); err != nil {
		_ = bf.Close()
		return nil, err
	}
	return bf, nil
}

// Path returns the file's path as given to Open.
func (f *File) Path() string { return f.path }

// Created reports whether this Open created the file.
func (f *File) Created() bool { return f.created }

// ReadOnly reports whether the file was opened with Options.ReadOnly.
func (f *File) ReadOnly() bool { return f.readOnly }

// Schema returns the schema version stored in the file.
func (f *File) Schema() int { return f.schema }

// Replaced reports whether the file's path no longer names the file this
// File opened: another process renamed a new file over it (a migration, a
// compaction) while this one waited for the lock. Its owner then opens the
// path again.
func (f *File) Replaced() bool {
	held, err := f.file.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(f.path)
	return err == nil && !os.SameFile(held, now)
}

// View runs fn in a read transaction; see Update for errors.
func (f *File) View(op string, fn func(*bolt.Tx) error) error {
	return f.guard(op, func() error { return f.DB.View(fn) })
}

// Update runs fn in a write transaction, durable when it returns nil.
// Errors are wrapped as "OP PATH: ..."; bbolt's panics and memory faults on
// corrupt pages come back as Format.ErrCorrupt, and from then on every call
// fails the same way.
func (f *File) Update(op string, fn func(*bolt.Tx) error) error {
	if f.readOnly {
		return fmt.Errorf("%s %s: %w", op, f.path, f.format.ErrReadOnly)
	}
	return f.guard(op, func() error { return f.DB.Update(fn) })
}

// Batch is Update through bbolt's DB.Batch: concurrent calls share one
// transaction and one fsync. fn may run more than once (when a call in the
// same batch fails, bbolt retries the others alone), so it must be
// idempotent and keep its results only in variables it resets itself.
// bbolt commits a batch on a goroutine of its own, where a memory fault on
// a damaged file is not recovered as an error; GroupUpdate commits under
// the guard and is what the mention store uses.
func (f *File) Batch(op string, fn func(*bolt.Tx) error) error {
	if f.readOnly {
		return fmt.Errorf("%s %s: %w", op, f.path, f.format.ErrReadOnly)
	}
	return f.guard(op, func() error { return f.DB.Batch(fn) })
}

// Close releases the file and its lock. Calling Close again returns the
// first result.
func (f *File) Close() error {
	f.closeOnce.Do(func() {
		if f.broken.Load() != nil {
			// A panic inside bbolt may have left its mutexes held, and
			// DB.Close takes them: release the file lock and close the
			// file instead; the memory map goes with the process.
			unlockFile(f.file)
			_ = f.file.Close()
			return
		}
		if err := f.DB.Close(); err != nil {
			f.closeErr = fmt.Errorf("close %s %s: %w", f.format.Name, f.path, err)
		}
	})
	return f.closeErr
}

// Check verifies the whole file: records (the owner's decoding of every
// record; nil skips it), then bbolt's own check of its structure. It reads
// the whole file: for tests, crash tests and troubleshooting.
func (f *File) Check(records func(*bolt.Tx) error) error {
	return f.View("check "+f.format.Name, func(tx *bolt.Tx) error {
		// Reading every record first touches every reachable page here,
		// where faults and bbolt's panics are recovered; tx.Check runs in a
		// goroutine of its own where they would crash the process.
		if records != nil {
			if err := records(tx); err != nil {
				return err
			}
		}
		var errs []error
		n := 0
		for err := range tx.Check() { // drain fully: the checker reads tx
			if n++; len(errs) < 10 {
				errs = append(errs, err)
			}
		}
		if n > len(errs) {
			errs = append(errs, fmt.Errorf("and %d more problems", n-len(errs)))
		}
		if len(errs) > 0 {
			return fmt.Errorf("%w: %w", f.format.ErrCorrupt, errors.Join(errs...))
		}
		return nil
	})
}

// CreatedAt returns meta/created: when the file was first created.
func (f *File) CreatedAt() (time.Time, error) {
	var t time.Time
	err := f.View("read "+f.format.Name, func(tx *bolt.Tx) error {
		var err error
		t, err = time.Parse(time.RFC3339Nano, string(tx.Bucket(BucketMeta).Get(MetaCreated)))
		return err
	})
	return t, err
}

// checkMeta verifies, without writing, that the file has the marker, a
// schema this build reads and, when it is the Format's schema, every
// bucket of the Format.
func (f *File) checkMeta() error {
	return f.View("open "+f.format.Name, func(tx *bolt.Tx) error {
		meta := tx.Bucket(BucketMeta)
		if meta == nil || string(meta.Get(MetaTool)) != Marker {
			return fmt.Errorf("%w: not a %s %s (no %q marker)", f.format.ErrCorrupt, Marker, f.format.Name, Marker)
		}
		v, err := strconv.ParseUint(string(meta.Get(MetaSchema)), 10, 32)
		if err != nil {
			return fmt.Errorf("%w: unreadable schema version %q", f.format.ErrCorrupt, meta.Get(MetaSchema))
		}
		if int(v) > f.format.Schema {
			// The tool's other files share the marker: a newer file of
			// this Format keeps some of its buckets, another kind (the
			// ledger given as a mention store) has none of them.
			if name, ok := f.format.noBucket(tx); ok {
				return fmt.Errorf("%w: bucket %q is missing", f.format.ErrCorrupt, name)
			}
			return fmt.Errorf("%w: schema %d, this build reads up to %d", f.format.ErrSchema, v, f.format.Schema)
		}
		f.schema = int(v)
		if f.schema < f.format.Schema {
			return nil // an older layout, which its owner checks and migrates
		}
		for _, name := range f.format.Buckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: bucket %q is missing", f.format.ErrCorrupt, name)
			}
		}
		return nil
	})
}

// noBucket reports the Format's first bucket when tx has none of them.
func (format *Format) noBucket(tx *bolt.Tx) (string, bool) {
	for _, name := range format.Buckets {
		if tx.Bucket(name) != nil {
			return "", false
		}
	}
	if len(format.Buckets) == 0 {
		return "", false
	}
	return string(format.Buckets[0]), true
}

// create writes a new, complete file next to path and links it into place
// without replacing a file that appeared meanwhile. It reports false when
// another process won that race; the caller then opens that file.
// TempBeside makes an empty file beside path, named ".BASE.KIND-*" (the
// patterns a writer's stale-file sweep knows), and returns its name: where
// a new bbolt file is written before it is renamed over, or linked to,
// path. The caller removes it when it is not renamed.
func TempBeside(path, kind string) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"."+kind+"-*")
	if err != nil {
		return "", err
	}
	name := tmp.Name()
	return name, tmp.Close()
}

func create(path string, f *Format, now time.Time) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmpPath, err := TempBeside(path, "new")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmpPath)

	db, err := bolt.Open(tmpPath, 0o644, &bolt.Options{Timeout: DefaultTimeout})
	if err != nil {
		return false, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(BucketMeta)
		if err != nil {
			return err
		}
		for _, kv := range [][2]string{
			{string(MetaTool), Marker},
			{string(MetaSchema), strconv.Itoa(f.Schema)},
			{string(MetaCreated), now.UTC().Format(time.RFC3339Nano)},
		} {
			if err := meta.Put([]byte(kv[0]), []byte(kv[1])); err != nil {
				return err
			}
		}
		for _, name := range f.Buckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	if err := os.Chmod(tmpPath, 0o644); err != nil { // CreateTemp made it 0600
		return false, err
	}

	return LinkNew(tmpPath, path)
}

// LinkNew puts the complete file tmpPath at path unless a file is there
// already, and makes the new entry durable. It reports false, leaving
// path alone, when a file was there (another process won the race); the
// caller removes tmpPath either way.
func LinkNew(tmpPath, path string) (bool, error) {
	// Link, unlike Rename, never replaces an existing file.
	if err := os.Link(tmpPath, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		// A filesystem without hard links: fall back to a rename, after
		// checking once more that no file appeared.
		if _, serr := os.Lstat(path); serr == nil {
			return false, nil
		}
		if err := os.Rename(tmpPath, path); err != nil {
			return false, err
		}
	}
	SyncDir(filepath.Dir(path))
	return true, nil
}

// SyncDir makes a new directory entry durable; errors are ignored because
// some filesystems cannot fsync a directory and the data itself is synced.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// openBolt opens the bbolt file, turning bbolt's errors and its panics on
// unreadable pages into ErrLocked and ErrCorrupt.
func openBolt(path string, f *Format, o *bolt.Options) (db *bolt.DB, file *os.File, err error) {
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		file, err = os.OpenFile(name, flag, perm)
		return file, err
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			// bbolt panicked half way: release the lock it took and the
			// file. A memory map may leak until exit, which is acceptable
			// for a process that is about to report a corrupt file.
			if file != nil {
				unlockFile(file)
				_ = file.Close()
			}
			db, file, err = nil, nil, fmt.Errorf("%w: %s", f.ErrCorrupt, panicText(r))
		}
	}()
	db, err = bolt.Open(path, 0o644, o)
	switch {
	case err == nil:
		return db, file, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, nil, f.ErrLocked
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, nil, fmt.Errorf("%w: %w", f.ErrCorrupt, err)
	}
	return nil, nil, err
}

// guard runs a transaction with faults on the memory map turned into panics,
// recovers bbolt's panics on corrupt pages as ErrCorrupt (bbolt rolls the
// transaction back while the panic unwinds), and wraps errors with op and
// the path. After corruption is found every later call fails the same way.
func (f *File) guard(op string, tx func() error) (err error) {
	if p := f.broken.Load(); p != nil {
		return *p
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = fmt.Errorf("%s %s: %w: %s", op, f.path, f.format.ErrCorrupt, panicText(r))
			f.broken.CompareAndSwap(nil, &err)
		}
	}()
	if err = tx(); err != nil {
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			err = f.format.ErrClosed
		}
		err = fmt.Errorf("%s %s: %w", op, f.path, err)
	}
	return err
}

// panicText describes a recovered panic: bbolt's own assertions say what
// they found; a memory fault means the file no longer backs its pages.
func panicText(r any) string {
	if _, ok := r.(interface{ Addr() uintptr }); ok {
		return "memory fault reading the file (truncated or overwritten while open)"
	}
	return fmt.Sprint(r)
}

// bbolt's on-disk meta page: a 16-byte page header, then magic, version,
// page size, flags (4 bytes each), root bucket (16), freelist, high-water
// page id, txid and an FNV-64a checksum of the preceding 56 bytes (8 each).
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64
)

// noFreelistPgid in the freelist field means "no freelist written".
const noFreelistPgid = 1<<64 - 1

type metaPage struct {
	pageSize uint32
	freelist uint64
	pgid     uint64
	txid     uint64
}

// readMeta decodes and validates the meta page at off; ok is false when it
// is not a valid bbolt meta page.
func readMeta(f *os.File, off int64) (m metaPage, ok bool) {
	var buf [pageHeaderSize + metaSize]byte
	if _, err := f.ReadAt(buf[:], off); err != nil {
		return m, false
	}
	b := buf[pageHeaderSize:]
	ne := binary.NativeEndian
	if ne.Uint32(b[0:]) != boltMagic || ne.Uint32(b[4:]) != boltVersion {
		return m, false
	}
	h := fnv.New64a()
	_, _ = h.Write(b[:56])
	if h.Sum64() != ne.Uint64(b[56:]) {
		return m, false
	}
	return metaPage{pageSize: ne.Uint32(b[8:]), freelist: ne.Uint64(b[32:]), pgid: ne.Uint64(b[40:]), txid: ne.Uint64(b[48:])}, true
}

// precheck rejects files bbolt would misread or fault on: empty files, files
// too short to hold a meta page, and files truncated below the page count
// their newest valid meta page promises (reading those pages through the
// memory map would crash the process). Anything else is left to bbolt.
// noFreelist reports a file written with bbolt's NoFreelistSync.
func precheck(path string, errCorrupt error) (noFreelist bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, err
	}
	size := info.Size()
	switch {
	case size == 0:
		return false, fmt.Errorf("%w: empty file", errCorrupt)
	case size < pageHeaderSize+metaSize:
		return false, fmt.Errorf("%w: %d bytes is too short for a bbolt file", errCorrupt, size)
	}
	best, ok := readMeta(f, 0)
	if !ok {
		return false, nil // bbolt tries the second meta page at its own page size
	}
	if m1, ok1 := readMeta(f, int64(best.pageSize)); ok1 && m1.txid > best.txid {
		best = m1
	}
	if need := int64(best.pgid) * int64(best.pageSize); size < need {
		return false, fmt.Errorf("%w: truncated: %d bytes, its meta page needs %d", errCorrupt, size, need)
	}
	return best.freelist == noFreelistPgid, nil
}

// MaxGroup is the most calls GroupUpdate commits in one transaction.
const MaxGroup = 4096

// groupCall is one GroupUpdate waiting for its commit.
type groupCall struct {
	fn   func(*bolt.Tx) error
	done chan error
}

// committer gathers GroupUpdate calls: whatever arrives while one commit
// runs goes into the next.
type committer struct {
	mu      sync.Mutex
	pending []groupCall
	running bool
}

// GroupUpdate runs fn in a write transaction shared with the calls that
// arrive while the previous group commits (group commit): one transaction
// and one fsync for all of them, and no waiting at all when the file is
// idle. It returns once fn's writes are durable. fn must only write (its
// error rolls back the whole group, and the group's calls are then run
// again, each in a transaction of its own, so fn may run twice and must be
// idempotent).
//
// Unlike bbolt's DB.Batch, which starts a group on a timer and queues
// groups behind the write lock, a group here is everything that waited, so
// groups grow when commits are slow instead of piling up behind each other.
func (f *File) GroupUpdate(op string, fn func(*bolt.Tx) error) error {
	if f.readOnly {
		return fmt.Errorf("%s %s: %w", op, f.path, f.format.ErrReadOnly)
	}
	c := groupCall{fn: fn, done: make(chan error, 1)}
	g := &f.group
	g.mu.Lock()
	g.pending = append(g.pending, c)
	if !g.running {
		g.running = true
		go f.commitGroups(op)
	}
	g.mu.Unlock()
	return <-c.done
}

// commitGroups commits the pending calls until there are none.
func (f *File) commitGroups(op string) {
	g := &f.group
	for {
		g.mu.Lock()
		n := min(len(g.pending), MaxGroup)
		calls := g.pending[:n:n]
		g.pending = g.pending[n:]
		if n == 0 {
			g.pending = nil
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()

		failed := -1
		err := f.guard(op, func() error {
			return f.DB.Update(func(tx *bolt.Tx) error {
				for i, c := range calls {
					if err := c.fn(tx); err != nil {
						failed = i
						return err
					}
				}
				return nil
			})
		})
		if err == nil || failed < 0 {
			// Committed, or the commit itself failed: the same answer for all.
			for _, c := range calls {
				c.done <- err
			}
			continue
		}
		// One call failed and took the group down: each alone.
		for _, c := range calls {
			c.done <- f.Update(op, c.fn)
		}
	}
}
