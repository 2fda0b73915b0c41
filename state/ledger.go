package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/internal/boltfile"
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
const DefaultTimeout = boltfile.DefaultTimeout

// allocSize is how much the file grows by once it is larger than that: a
// quarter megabyte, so a ledger (what CI caches keep) is at most that much
// longer than its pages.
const allocSize = 256 << 10

// toolMarker is stored under meta/tool; a bbolt file without it is not ours.
const toolMarker = boltfile.Marker

// Bucket and meta key names; see doc.go for the layout.
var (
	bucketMeta          = boltfile.BucketMeta
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

	metaTool    = boltfile.MetaTool
	metaSchema  = boltfile.MetaSchema
	metaCreated = boltfile.MetaCreated
	// metaFirstRun is when the first run was recorded: a ledger with one
	// knows its site, whatever else it holds.
	metaFirstRun = []byte("first_run")

	// dataBuckets are the buckets of the current schema besides meta.
	dataBuckets = [][]byte{bucketPages, bucketDiscovery, bucketRuns, bucketFeeds, bucketServices, bucketURLs, bucketURLIDs, bucketHosts, bucketHostIDs}
	// schemaBuckets are the buckets each schema has besides meta.
	schemaBuckets = map[int][][]byte{
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
	// swap is held for reading by every transaction and for writing by
	// Compact, which replaces f.
	swap     sync.RWMutex
	f        *boltfile.File
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
}

// format is the ledger's kind of bbolt file (see package boltfile).
var format = &boltfile.Format{
	Name:        "ledger",
	Schema:      SchemaVersion,
	Buckets:     dataBuckets,
	ErrLocked:   ErrLocked,
	ErrCorrupt:  ErrCorrupt,
	ErrSchema:   ErrSchema,
	ErrReadOnly: ErrReadOnly,
	ErrClosed:   ErrClosed,
}

// Open opens the ledger at path, creating it (and its parent directories)
// when it does not exist, unless opts.ReadOnly is set. A new ledger is
// written to a temporary file and linked into place only once it is
// complete, so a ledger file is never half-initialised. A ledger of an
// older schema is migrated (see doc.go); a file found corrupt is never
// replaced, truncated or repaired.
//
// Open fails with an error naming path that wraps ErrLocked when another
// Ledger holds the file beyond opts.Timeout, ErrCorrupt when the file is not
// a hugo-pingback ledger (an empty, truncated or foreign file included),
// ErrSchema when it was written by a newer version, and fs.ErrNotExist when
// opts.ReadOnly is set and there is no file (nor a Seed to start from).
func Open(path string, opts *Options) (*Ledger, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	var seed *seeding
	if o.Seed != "" && path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(o.Seed); err == nil {
				seed = &seeding{file: o.Seed, now: now}
			}
		}
	}
	if seed != nil && o.ReadOnly {
		return seededCopy(path, seed, o.Timeout)
	}
	created := false
	if seed != nil {
		var err error
		if created, err = createSeeded(path, seed); err != nil {
			return nil, fmt.Errorf("create ledger %s: %w", path, err)
		}
	}
	f, err := boltfile.Open(path, format, boltfile.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly, Now: now(), AllocSize: allocSize})
	if err != nil {
		return nil, err
	}
	if f.Replaced() {
		// Another process renamed a new file over this one (a migration or
		// a compaction) while this one waited for the lock: open the new one.
		_ = f.Close()
		return Open(path, opts)
	}
	if !o.ReadOnly {
		removeStale(path)
	}
	l := &Ledger{f: f, path: path, readOnly: o.ReadOnly, now: now}
	if v := f.Schema(); v < SchemaVersion {
		if err := l.checkBuckets(schemaBuckets[v]); err != nil {
			_ = l.Close()
			return nil, err
		}
		if o.ReadOnly {
			// A reader must not change the file: it reads a migrated copy.
			copied, cerr := l.migratedCopy(o.Timeout, now)
			_ = l.Close()
			return copied, cerr
		}
		// The migration writes a new file and renames it over this one;
		// opening again opens the new file.
		err = l.migrate(v)
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		return Open(path, opts)
	}
	empty := true
	err = l.view("open ledger", func(tx *bolt.Tx) error {
		for _, name := range dataBuckets {
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				empty = false
			}
		}
		return nil
	})
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	l.created = created || f.Created() || empty
	if created {
		l.seeded = &seed.stats
	}
	return l, nil
}

// checkBuckets verifies that a ledger of an older schema has its buckets.
func (l *Ledger) checkBuckets(names [][]byte) error {
	return l.view("open ledger", func(tx *bolt.Tx) error {
		for _, name := range names {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, name)
			}
		}
		return nil
	})
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

// createSeeded writes a new ledger started from the seed next to path and
// links it into place, complete, without replacing a file that appeared
// meanwhile; it reports false when another process won that race.
func createSeeded(path string, seed *seeding) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp(dir, "."+filepath.Base(path)+".seed-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, filepath.Base(path))
	if err := seed.importInto(file); err != nil {
		return false, err
	}
	return boltfile.LinkNew(file, path)
}

// seededCopy creates a temporary ledger from the seed and returns it as a
// read-only Ledger that names path.
func seededCopy(path string, seed *seeding, timeout time.Duration) (*Ledger, error) {
	dir, err := os.MkdirTemp("", "hugo-pingback-ledger-")
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	tmp := filepath.Join(dir, "ledger.db")
	if err := seed.importInto(tmp); err != nil {
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
	dir, err := os.MkdirTemp("", "hugo-pingback-ledger-")
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: copy to migrate: %w", l.path, err)
	}
	tmp := filepath.Join(dir, "ledger.db")
	err = l.view("open ledger", func(tx *bolt.Tx) error { return tx.CopyFile(tmp, 0o644) })
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c, err := Open(tmp, &Options{Timeout: timeout, Now: now})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("open ledger %s: migrate a copy: %w", l.path, err)
	}
	c.path, c.readOnly, c.copyPath = l.path, true, dir
	return c, nil
}

// Created reports whether the ledger is new: this Open created the file, or
// nothing was ever committed to it (no page, notification, discovery or
// run), as when another process created the file a moment ago.
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
	err := l.f.Close()
	if l.copyPath != "" {
		_ = os.RemoveAll(l.copyPath)
	}
	return err
}

// Check verifies the whole ledger: every record decodes (keys, values,
// statuses, the ids they name), then bbolt's own check of its structure
// (every page reachable or free, nothing freed twice, keys in order). It
// reads the whole file, so it is meant for tests, the crash test and
// troubleshooting, not every run.
func (l *Ledger) Check() error {
	l.swap.RLock()
	defer l.swap.RUnlock()
	return l.f.Check(checkRecords)
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

// removeStale removes what a migration, a compaction, an import or a
// seeding of the ledger at path left when it was killed: only a writer, which holds the
// lock, may, since no other migration or compaction of it runs then.
func removeStale(path string) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	for _, kind := range []string{"migrate", "compact", "import", "seed"} {
		stale, _ := filepath.Glob(filepath.Join(dir, "."+base+"."+kind+"-*"))
		for _, f := range stale {
			_ = os.RemoveAll(f)
		}
	}
}

// view runs fn in a read transaction; see boltfile.File.Update.
func (l *Ledger) view(op string, fn func(*bolt.Tx) error) error {
	l.swap.RLock()
	defer l.swap.RUnlock()
	return l.f.View(op, fn)
}

// update runs fn in a write transaction; see boltfile.File.Update.
func (l *Ledger) update(op string, fn func(*bolt.Tx) error) error {
	if l.readOnly {
		return fmt.Errorf("%s %s: %w", op, l.path, ErrReadOnly)
	}
	l.swap.RLock()
	defer l.swap.RUnlock()
	return l.f.Update(op, fn)
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
	l.swap.RLock()
	defer l.swap.RUnlock()
	return l.f.CreatedAt()
}
