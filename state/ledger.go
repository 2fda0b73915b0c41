package state

import (
	"errors"
	"fmt"
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
const SchemaVersion = 1

// DefaultTimeout is how long Open waits for the file lock when
// Options.Timeout is zero.
const DefaultTimeout = boltfile.DefaultTimeout

// Bucket and meta key names; see doc.go for the layout.
var (
	bucketMeta          = boltfile.BucketMeta
	bucketPages         = []byte("pages")
	bucketNotifications = []byte("notifications")
	bucketDiscovery     = []byte("discovery")
	bucketRuns          = []byte("runs")

	metaTool   = boltfile.MetaTool
	metaSchema = boltfile.MetaSchema

	dataBuckets = [][]byte{bucketPages, bucketNotifications, bucketDiscovery, bucketRuns}
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
}

// Ledger is an open hugo-pingback ledger: one bbolt file holding the pages of
// the site, one record per (source, target) notification, a discovery cache
// per target and a short history of runs. A Ledger is safe for concurrent use
// by several goroutines; writes are serialised by bbolt.
type Ledger struct {
	f       *boltfile.File
	db      *bolt.DB
	path    string
	created bool
	now     func() time.Time
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
	now := o.Now
	if now == nil {
		now = time.Now
	}
	f, err := boltfile.Open(path, format, boltfile.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly, Now: now()})
	if err != nil {
		return nil, err
	}
	l := &Ledger{f: f, db: f.DB, path: path, now: now}
	// Schema 1 is the first, so there is nothing to migrate yet. A later
	// schema migrates older ledgers in an Update here (not in read-only
	// mode), then bumps meta/schema.
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
	l.created = f.Created() || empty
	return l, nil
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
func (l *Ledger) ReadOnly() bool { return l.f.ReadOnly() }

// Close releases the file and its lock. Committed batches are already on
// disk; Close only unmaps and unlocks. Calling Close again returns the first
// result.
func (l *Ledger) Close() error { return l.f.Close() }

// Check verifies the whole ledger: every record decodes (keys, values,
// statuses), then bbolt's own check of its structure (every page reachable
// or free, nothing freed twice, keys in order). It reads the whole file, so
// it is meant for tests, the crash test and troubleshooting, not every run.
func (l *Ledger) Check() error { return l.f.Check(checkRecords) }

// checkRecords decodes every record of every bucket.
func checkRecords(tx *bolt.Tx) error {
	err := tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
		_, err := decodePage(string(k), v)
		if err != nil {
			return corruptValue("page", string(k), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketNotifications).ForEach(func(k, v []byte) error {
		n, err := decodeNotification(k, v)
		if err == nil && !n.Status.Valid() {
			err = fmt.Errorf("%w: notification %s -> %s: unknown status %q", ErrCorrupt, n.Source, n.Target, n.Status)
		}
		return err
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketDiscovery).ForEach(func(k, v []byte) error {
		if _, err := decodeDiscovery(string(k), v); err != nil {
			return corruptValue("discovery", string(k), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketRuns).ForEach(func(k, v []byte) error {
		_, err := decodeRunKV(k, v)
		return err
	})
}

// view runs fn in a read transaction; see boltfile.File.Update.
func (l *Ledger) view(op string, fn func(*bolt.Tx) error) error { return l.f.View(op, fn) }

// update runs fn in a write transaction; see boltfile.File.Update.
func (l *Ledger) update(op string, fn func(*bolt.Tx) error) error { return l.f.Update(op, fn) }

// CreatedAt returns when the ledger file was first created.
func (l *Ledger) CreatedAt() (time.Time, error) { return l.f.CreatedAt() }
