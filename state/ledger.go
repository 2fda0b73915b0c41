package state

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
)

// Errors a caller can test with errors.Is. Every error returned by this
// package names the ledger file.
var (
	// ErrLocked means another process, or another Ledger in this process,
	// holds the ledger open; Open gave up after Options.Timeout.
	ErrLocked = errors.New("ledger is in use by another process")
	// ErrCorrupt means the file is not a readable bbolt database, or is a
	// bbolt database that hugo-pingback did not write. The file is left as is.
	ErrCorrupt = errors.New("ledger is corrupt or not a hugo-pingback ledger")
	// ErrSchema means the ledger was written by a newer hugo-pingback whose
	// schema this build does not know.
	ErrSchema = errors.New("ledger was written by a newer hugo-pingback")
	// ErrReadOnly means Commit was called on a ledger opened with
	// Options.ReadOnly.
	ErrReadOnly = errors.New("ledger is open read-only")
	// ErrInvalidRecord means Commit refused a record (an empty key, an
	// unknown status, a URL too long to be a key); nothing was written.
	ErrInvalidRecord = errors.New("invalid ledger record")
	// ErrClosed means the Ledger was used after Close.
	ErrClosed = errors.New("ledger is closed")
)

// SchemaVersion is the layout version this build writes and reads. Open
// refuses a ledger with a higher version (ErrSchema) and migrates a lower one.
const SchemaVersion = 3

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// allocSize is how much the file grows by once it is larger than that: a
// quarter megabyte, so a ledger (what CI caches keep) is at most that much
// longer than its pages.
const allocSize = 256 << 10

// toolMarker is stored under meta/tool; a bbolt file without it is not ours.
const toolMarker = "hugo-pingback"

// Bucket and meta key names; see doc.go for the layout.
var (
	bucketMeta          = []byte("meta")
	bucketPages         = []byte("pages")
	bucketNotifications = []byte("notifications")
	bucketDiscovery     = []byte("discovery")
	bucketRuns          = []byte("runs")
	bucketFeeds         = []byte("feeds")
	bucketServices      = []byte("services")
	bucketURLs          = []byte("urls")
	bucketURLIDs        = []byte("urlids")
	bucketHosts         = []byte("hosts")
	bucketHostIDs       = []byte("hostids")

	metaTool    = []byte("tool")
	metaSchema  = []byte("schema")
	metaCreated = []byte("created")
	// metaFirstRun is when the first run was recorded: a ledger with one
	// knows its site, whatever else it holds.
	metaFirstRun = []byte("first_run")

	// dataBuckets are the buckets of the current schema besides meta.
	dataBuckets = [][]byte{bucketPages, bucketDiscovery, bucketRuns, bucketFeeds, bucketServices, bucketURLs, bucketURLIDs, bucketHosts, bucketHostIDs}
	// schemaBuckets are the buckets each schema has besides meta.
	schemaBuckets = map[uint64][][]byte{
		1: {bucketPages, bucketNotifications, bucketDiscovery, bucketRuns},
		2: {bucketPages, bucketNotifications, bucketDiscovery, bucketRuns, bucketFeeds, bucketServices},
		3: dataBuckets,
	}
)

// Options configures Open. A nil *Options means the defaults.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process before it fails with ErrLocked; 0 means DefaultTimeout, a
	// negative value means a single attempt.
	Timeout time.Duration
	// ReadOnly opens an existing ledger for reading only (for `status`); it
	// shares the lock with other readers but not with a writer, and never
	// creates the file: a missing file is an error wrapping fs.ErrNotExist.
	ReadOnly bool
	// Now is the clock Commit uses to fill in zero timestamps; nil means
	// time.Now.
	Now func() time.Time
	// Seed is an export (see Export) that a new ledger starts from: when
	// there is no file at the path and Seed names a file, Open imports it
	// into the ledger it creates, which appears complete or not at all.
	// With ReadOnly, the seeded ledger is a temporary copy removed by
	// Close. A ledger that exists is opened as it is.
	Seed string
}

// Ledger is an open hugo-pingback ledger: one bbolt file holding the pages of
// the site, one record per (source, target) notification, a discovery cache
// per target and a short history of runs. A Ledger is safe for concurrent use
// by several goroutines; writes are serialised by bbolt.
type Ledger struct {
	db       *bolt.DB
	file     *os.File // bbolt's file, closed directly if bbolt cannot be trusted
	path     string
	created  bool
	readOnly bool
	now      func() time.Time
	// copyPath is the migrated copy a read-only Open of an older schema
	// (or the seeded copy a read-only Open of a missing ledger) reads
	// instead of path; Close removes it.
	copyPath string
	// seeded is what Options.Seed brought into a ledger this Open created.
	seeded *ImportStats

	// swap is held for reading by every transaction and for writing by
	// Compact, which replaces db and file.
	swap      sync.RWMutex
	closeOnce sync.Once
	closeErr  error
	broken    atomic.Pointer[error] // set when a transaction found corruption
}

// Open opens the ledger at path, creating it (and its parent directories)
// when it does not exist, unless opts.ReadOnly is set. A new ledger is
// written to a temporary file and linked into place only once it is
// complete, so a ledger file is never half-initialised; an existing file is
// never replaced, truncated or repaired.
//
// Open fails with an error naming path that wraps ErrLocked when another
// Ledger holds the file beyond opts.Timeout, ErrCorrupt when the file is not
// a hugo-pingback ledger (an empty, truncated or foreign file included),
// ErrSchema when it was written by a newer version, and fs.ErrNotExist when
// opts.ReadOnly is set and there is no file.
func Open(path string, opts *Options) (*Ledger, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	timeout := o.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		timeout = time.Nanosecond // bbolt: one attempt, then ErrTimeout
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if path == "" {
		return nil, fmt.Errorf("open ledger: %w: empty path", fs.ErrInvalid)
	}

	created := false
	var seed *seeding
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && o.Seed != "" {
		if _, serr := os.Stat(o.Seed); serr == nil {
			seed = &seeding{file: o.Seed, now: now}
		}
	}
	switch {
	case errors.Is(err, fs.ErrNotExist) && o.ReadOnly && seed != nil:
		return seededCopy(path, seed, timeout)
	case errors.Is(err, fs.ErrNotExist) && o.ReadOnly:
		return nil, fmt.Errorf("open ledger %s: %w", path, fs.ErrNotExist)
	case errors.Is(err, fs.ErrNotExist):
		if created, err = create(path, now(), seed); err != nil {
			return nil, fmt.Errorf("create ledger %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	case info.IsDir():
		return nil, fmt.Errorf("open ledger %s: is a directory", path)
	}

	noFreelist, err := precheck(path)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}

	// NoFreelistSync follows the file: bbolt would otherwise write a
	// freelist into a file written without one while opening it, before
	// checkMeta could tell whether the file is ours.
	db, f, err := openBolt(path, &bolt.Options{Timeout: timeout, ReadOnly: o.ReadOnly, NoFreelistSync: noFreelist})
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	if replaced(path, f) {
		// Another process renamed a new file over this one (a migration or
		// a compaction) while this one waited for the lock: the file it
		// holds is gone from the directory. Open the new one.
		_ = db.Close()
		return Open(path, opts)
	}
	if !o.ReadOnly {
		removeStale(path)
	}
	// Grow the file in steps of allocSize instead of bbolt's 16 MiB, which
	// would make a small site's ledger mostly padding in a CI cache.
	db.AllocSize = allocSize
	l := &Ledger{db: db, file: f, path: path, readOnly: o.ReadOnly, now: now}
	version, empty, err := l.checkMeta()
	if err == nil && version < SchemaVersion {
		if o.ReadOnly {
			// A reader must not change the file: it reads a migrated copy.
			copied, cerr := l.migratedCopy(timeout, now)
			_ = l.Close()
			if cerr != nil {
				return nil, cerr
			}
			copied.created = copied.created || created
			return copied, nil
		}
		// The migration writes a new file and renames it over this one;
		// opening again opens the new file.
		err = l.migrate(version)
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		return Open(path, opts)
	}
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	l.created = created || empty
	if created && seed != nil {
		l.seeded = &seed.stats
	}
	return l, nil
}

// Seeded reports what Options.Seed brought into the ledger, when this Open
// created it from the seed.
func (l *Ledger) Seeded() (ImportStats, bool) {
	if l.seeded == nil {
		return ImportStats{}, false
	}
	return *l.seeded, true
}

// seeding is an export a new ledger starts from.
type seeding struct {
	file  string
	now   func() time.Time
	stats ImportStats
}

// importInto imports the seed into the new ledger at path.
func (s *seeding) importInto(path string) error {
	f, err := os.Open(s.file)
	if err != nil {
		return err
	}
	defer f.Close()
	l, err := Open(path, &Options{Now: s.now})
	if err != nil {
		return err
	}
	s.stats, err = l.Import(f)
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.file, err)
	}
	return nil
}

// seededCopy creates a temporary ledger from the seed and returns it as a
// read-only Ledger that names path.
func seededCopy(path string, seed *seeding, timeout time.Duration) (*Ledger, error) {
	dir, err := os.MkdirTemp("", "hugo-pingback-ledger-")
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	tmp := filepath.Join(dir, "ledger.db")
	if _, err := create(tmp, seed.now(), seed); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("open ledger %s: seed: %w", path, err)
	}
	c, err := Open(tmp, &Options{Timeout: timeout, Now: seed.now})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("open ledger %s: seed: %w", path, err)
	}
	c.path, c.readOnly, c.copyPath, c.created, c.seeded = path, true, dir, true, &seed.stats
	return c, nil
}

// migratedCopy writes a consistent copy of l's file to a temporary file,
// migrates the copy and returns it as a read-only Ledger that still names
// l's path. The copy is removed by Close.
func (l *Ledger) migratedCopy(timeout time.Duration, now func() time.Time) (*Ledger, error) {
	tmp, err := os.CreateTemp("", "hugo-pingback-ledger-*.db")
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: copy to migrate: %w", l.path, err)
	}
	err = l.view("open ledger", func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(tmp)
		return err
	})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return nil, err
	}
	c, err := Open(tmp.Name(), &Options{Timeout: timeout, Now: now})
	if err != nil {
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("open ledger %s: migrate a copy: %w", l.path, err)
	}
	c.path, c.readOnly, c.copyPath = l.path, true, tmp.Name()
	return c, nil
}

// Created reports whether the ledger is new: this Open created the file, or
// nothing was ever committed to it (no page, notification, discovery or
// run), as when the first run stopped before recording anything, or another
// process created the file a moment ago. It is what the first-run guard
// asks; for it to hold on the run after a stopped first run, commit nothing,
// not even a Run, before the guard has passed.
func (l *Ledger) Created() bool { return l.created }

// Path returns the ledger file's path as given to Open.
func (l *Ledger) Path() string { return l.path }

// ReadOnly reports whether the ledger was opened with Options.ReadOnly.
func (l *Ledger) ReadOnly() bool { return l.readOnly }

// Close releases the file and its lock. Committed batches are already on
// disk; Close only unmaps and unlocks. Calling Close again returns the first
// result.
func (l *Ledger) Close() error {
	l.swap.Lock()
	defer l.swap.Unlock()
	l.closeOnce.Do(func() {
		if l.broken.Load() != nil {
			// A panic inside bbolt may have left its mutexes held, and
			// DB.Close takes them: release the file lock and close the
			// file instead; the memory map goes with the process.
			unlockFile(l.file)
			_ = l.file.Close()
			return
		}
		if err := l.db.Close(); err != nil {
			l.closeErr = fmt.Errorf("close ledger %s: %w", l.path, err)
		}
	})
	if l.copyPath != "" {
		_ = os.RemoveAll(l.copyPath)
	}
	return l.closeErr
}

// Check verifies the whole ledger: every record decodes (keys, values,
// statuses), then bbolt's own check of its structure (every page reachable
// or free, nothing freed twice, keys in order). It reads the whole file, so
// it is meant for tests, the crash test and troubleshooting, not every run.
func (l *Ledger) Check() error {
	return l.view("check ledger", func(tx *bolt.Tx) error {
		// Reading every record first touches every reachable page here,
		// where faults and bbolt's panics are recovered; tx.Check runs in a
		// goroutine of its own where they would crash the process.
		if err := checkRecords(tx); err != nil {
			return err
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
			return fmt.Errorf("%w: %w", ErrCorrupt, errors.Join(errs...))
		}
		return nil
	})
}

// checkRecords decodes every record of every bucket, and checks that every
// id a record names is in the urls bucket and that urlids finds each URL.
func checkRecords(tx *bolt.Tx) error {
	in := newInterner(tx)
	err := tx.Bucket(bucketURLs).ForEach(func(k, _ []byte) error {
		id, ok := readID(k)
		if !ok {
			return fmt.Errorf("%w: url key %x is not an id", ErrCorrupt, k)
		}
		url, err := in.url(id)
		if err != nil {
			return err
		}
		if got, ok, err := in.lookup(url); err != nil || !ok || got != id {
			return fmt.Errorf("%w: url %d (%s) is not in the url index", ErrCorrupt, id, url)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
		url, r, err := decodeRecordKV(in, k, v)
		if err != nil {
			return err
		}
		key, _ := readID(k)
		if e, err := in.entry(r.urlID); err != nil || e.page != key {
			return fmt.Errorf("%w: record %d of %s is not the one its URL names", ErrCorrupt, key, url)
		}
		if _, err := r.toPage(url, in); err != nil {
			return err
		}
		if _, err := r.notifications(url, nil, in); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketDiscovery).ForEach(func(k, v []byte) error {
		id, ok := readID(k)
		if !ok {
			return fmt.Errorf("%w: discovery key %x is not an id", ErrCorrupt, k)
		}
		target, err := in.url(id)
		if err != nil {
			return err
		}
		if _, err := decodeDiscoveryIDs(target, v, in); err != nil {
			return corruptValue("discovery", target, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	checks := []struct {
		bucket []byte
		decode func(k, v []byte) error
	}{
		{bucketFeeds, func(k, v []byte) error { _, err := decodeFeedKV(k, v); return err }},
		{bucketServices, func(k, v []byte) error { _, err := decodeNotificationKV(k, v); return err }},
		{bucketRuns, func(k, v []byte) error { _, err := decodeRunKV(k, v); return err }},
	}
	for _, c := range checks {
		if err := tx.Bucket(c.bucket).ForEach(c.decode); err != nil {
			return err
		}
	}
	return nil
}

// removeStale removes what a migration or a compaction of the ledger at
// path left when it was killed: only a writer, which holds the lock, may,
// since no other migration or compaction of it runs then.
func removeStale(path string) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	for _, kind := range []string{"migrate", "compact"} {
		stale, _ := filepath.Glob(filepath.Join(dir, "."+base+"."+kind+"-*"))
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
}

// replaced reports whether path no longer names the file f.
func replaced(path string, f *os.File) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(path)
	return err == nil && !os.SameFile(held, now)
}

// openBolt opens the bbolt file, turning bbolt's errors and its panics on
// unreadable pages into ErrLocked and ErrCorrupt.
func openBolt(path string, o *bolt.Options) (db *bolt.DB, f *os.File, err error) {
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			// bbolt panicked half way: release the lock it took and the
			// file. A memory map may leak until exit, which is acceptable
			// for a process that is about to report a corrupt ledger.
			if f != nil {
				unlockFile(f)
				_ = f.Close()
			}
			db, f, err = nil, nil, fmt.Errorf("%w: %s", ErrCorrupt, panicText(r))
		}
	}()
	db, err = bolt.Open(path, 0o644, o)
	switch {
	case err == nil:
		return db, f, nil
	case errors.Is(err, bolt.ErrTimeout):
		return nil, nil, ErrLocked
	case errors.Is(err, bolt.ErrInvalid), errors.Is(err, bolt.ErrVersionMismatch),
		errors.Is(err, bolt.ErrChecksum), errors.Is(err, bolt.ErrInvalidMapping):
		return nil, nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil, nil, err
}

// checkMeta verifies, without writing, that the file is a hugo-pingback
// ledger of a schema this build reads, with all the buckets of its schema,
// and reports its schema version and whether its buckets are all empty.
func (l *Ledger) checkMeta() (version uint64, empty bool, err error) {
	err = l.view("open ledger", func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || string(meta.Get(metaTool)) != toolMarker {
			return fmt.Errorf("%w: not a hugo-pingback ledger (no %q marker)", ErrCorrupt, toolMarker)
		}
		v, err := strconv.ParseUint(string(meta.Get(metaSchema)), 10, 32)
		if err != nil {
			return fmt.Errorf("%w: unreadable schema version %q", ErrCorrupt, meta.Get(metaSchema))
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w: schema %d, this build reads up to %d", ErrSchema, v, SchemaVersion)
		}
		if v == 0 {
			return fmt.Errorf("%w: unreadable schema version %q", ErrCorrupt, meta.Get(metaSchema))
		}
		version = v
		empty = true
		for _, name := range schemaBuckets[v] {
			b := tx.Bucket(name)
			if b == nil {
				return fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, name)
			}
			if k, _ := b.Cursor().First(); k != nil {
				empty = false
			}
		}
		return nil
	})
	return version, empty, err
}

// create writes a new, complete ledger next to path (imported from seed,
// when not nil) and links it into place without replacing a file that
// appeared meanwhile. It reports false when another process won that race;
// the caller then opens that file.
func create(path string, now time.Time, seed *seeding) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return false, err
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(tmpPath)

	db, err := bolt.Open(tmpPath, 0o644, &bolt.Options{Timeout: DefaultTimeout})
	if err != nil {
		return false, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		for _, kv := range [][2]string{
			{string(metaTool), toolMarker},
			{string(metaSchema), strconv.Itoa(SchemaVersion)},
			{string(metaCreated), now.UTC().Format(time.RFC3339Nano)},
		} {
			if err := meta.Put([]byte(kv[0]), []byte(kv[1])); err != nil {
				return err
			}
		}
		for _, name := range dataBuckets {
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
	if seed != nil {
		if err := seed.importInto(tmpPath); err != nil {
			return false, err
		}
	}
	if err := os.Chmod(tmpPath, 0o644); err != nil { // CreateTemp made it 0600
		return false, err
	}

	// Link, unlike Rename, never replaces an existing file.
	if err := os.Link(tmpPath, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		// A filesystem without hard links: fall back to a rename, after
		// checking once more that no ledger appeared.
		if _, serr := os.Lstat(path); serr == nil {
			return false, nil
		}
		if err := os.Rename(tmpPath, path); err != nil {
			return false, err
		}
	}
	syncDir(dir)
	return true, nil
}

// syncDir makes a new directory entry durable; errors are ignored because
// some filesystems cannot fsync a directory and the data itself is synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
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
func precheck(path string) (noFreelist bool, err error) {
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
		return false, fmt.Errorf("%w: empty file", ErrCorrupt)
	case size < pageHeaderSize+metaSize:
		return false, fmt.Errorf("%w: %d bytes is too short for a bbolt file", ErrCorrupt, size)
	}
	best, ok := readMeta(f, 0)
	if !ok {
		return false, nil // bbolt tries the second meta page at its own page size
	}
	if m1, ok1 := readMeta(f, int64(best.pageSize)); ok1 && m1.txid > best.txid {
		best = m1
	}
	if need := int64(best.pgid) * int64(best.pageSize); size < need {
		return false, fmt.Errorf("%w: truncated: %d bytes, its meta page needs %d", ErrCorrupt, size, need)
	}
	return best.freelist == noFreelistPgid, nil
}

// view runs fn in a read transaction; see guard.
func (l *Ledger) view(op string, fn func(*bolt.Tx) error) error {
	l.swap.RLock()
	defer l.swap.RUnlock()
	return l.guard(op, func() error { return l.db.View(fn) })
}

// update runs fn in a write transaction; see guard.
func (l *Ledger) update(op string, fn func(*bolt.Tx) error) error {
	if l.readOnly {
		return fmt.Errorf("%s %s: %w", op, l.path, ErrReadOnly)
	}
	l.swap.RLock()
	defer l.swap.RUnlock()
	return l.guard(op, func() error { return l.db.Update(fn) })
}

// guard runs a transaction with faults on the memory map turned into panics,
// recovers bbolt's panics on corrupt pages as ErrCorrupt (bbolt rolls the
// transaction back while the panic unwinds), and wraps errors with op and
// the path. After corruption is found every later call fails the same way.
func (l *Ledger) guard(op string, tx func() error) (err error) {
	if p := l.broken.Load(); p != nil {
		return *p
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = fmt.Errorf("%s %s: %w: %s", op, l.path, ErrCorrupt, panicText(r))
			l.broken.CompareAndSwap(nil, &err)
		}
	}()
	if err = tx(); err != nil {
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			err = ErrClosed
		}
		err = fmt.Errorf("%s %s: %w", op, l.path, err)
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

// FirstRun returns when the first run was recorded in the ledger (the
// Started time of the first Run committed, or of the oldest run kept when
// the ledger predates this record); ok is false when no run ever was. A
// ledger imported from an export knows it too. A run the flood guard
// stopped records no run, so the next run is still the first.
func (l *Ledger) FirstRun() (t time.Time, ok bool, err error) {
	err = l.view(readOp, func(tx *bolt.Tx) error {
		t, ok, err = firstRun(tx)
		return err
	})
	return t, ok, err
}

func firstRun(tx *bolt.Tx) (time.Time, bool, error) {
	if v := tx.Bucket(bucketMeta).Get(metaFirstRun); v != nil {
		t, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%w: meta %s = %q", ErrCorrupt, metaFirstRun, v)
		}
		return t, true, nil
	}
	k, v := tx.Bucket(bucketRuns).Cursor().First()
	if k == nil {
		return time.Time{}, false, nil
	}
	r, err := decodeRunKV(k, v)
	if err != nil {
		return time.Time{}, false, err
	}
	return r.Started, true, nil
}

// setFirstRun records t as the first run, unless an earlier one is
// recorded already (an import may bring an earlier one).
func setFirstRun(tx *bolt.Tx, t time.Time) error {
	old, ok, err := firstRun(tx)
	if err != nil {
		return err
	}
	recorded := tx.Bucket(bucketMeta).Get(metaFirstRun) != nil
	switch {
	case recorded && !old.After(t):
		return nil
	case ok && old.Before(t): // the oldest run kept by a ledger that predates the record
		t = old
	}
	return tx.Bucket(bucketMeta).Put(metaFirstRun, []byte(t.UTC().Format(time.RFC3339Nano)))
}

// CreatedAt returns when the ledger file was first created.
func (l *Ledger) CreatedAt() (time.Time, error) {
	var t time.Time
	err := l.view("read ledger", func(tx *bolt.Tx) error {
		var err error
		t, err = time.Parse(time.RFC3339Nano, string(tx.Bucket(bucketMeta).Get(metaCreated)))
		return err
	})
	return t, err
}
