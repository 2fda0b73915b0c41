package state

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/internal/boltfile"
)

// bbolt never gives a file's pages back: pages freed by a transaction are
// reused by later ones, and a ledger whose runs once wrote a lot (a
// baseline, whose every commit rewrites the url index) keeps their free
// pages. Compact writes the records into a new file, every page filled,
// and renames it over the old one, like a migration: killed at any moment,
// the ledger is the old file or the new one, whole, and the next writer
// removes what was left.

// compactTxSize bounds one transaction of a compaction: bbolt holds what a
// transaction writes in memory until it commits.
const compactTxSize = 4 << 20

// CompactThreshold is the share of the file holding no record (free pages
// and the empty parts of pages) from which CompactIfSparse compacts.
const CompactThreshold = 1.0 / 3

// compactMinSize is the smallest file CompactIfSparse compacts: below it a
// few free pages are not worth a rewrite.
const compactMinSize = 1 << 20

// Compaction is what a compaction did.
type Compaction struct {
	Before, After int64 // file size in bytes
}

// Compact rewrites the ledger densely into a new file, renamed over the
// old one, and goes on with the new file. It needs a ledger opened for
// writing, and waits for the transactions under way.
func (l *Ledger) Compact() (Compaction, error) {
	before, after, err := l.rewrite("compact ledger", "compact", copyDense)
	return Compaction{Before: before, After: after}, err
}

// rewrite replaces the ledger's file by a new one, which fill writes from a
// read transaction of the ledger (through the guarded view: a damaged
// page is an error here, not a crash), and goes on with it. The new file is
// written beside the old one under a temporary name (".LEDGER.KIND-*",
// which removeStale clears after a kill), cut at its last page, synced,
// and renamed over the old one: at every moment the file at the ledger's
// path is whole, the old one or the new one. It returns the file's sizes
// before and after.
func (l *Ledger) rewrite(op, kind string, fill func(tx *bolt.Tx, dst *bolt.DB) error) (before, after int64, err error) {
	if l.readOnly {
		return 0, 0, fmt.Errorf("%s %s: %w", op, l.path, ErrReadOnly)
	}
	l.swap.Lock()
	defer l.swap.Unlock()
	fail := func(err error) (int64, int64, error) { return before, 0, fmt.Errorf("%s %s: %w", op, l.path, err) }
	info, err := os.Stat(l.path)
	if err != nil {
		return fail(err)
	}
	before = info.Size()
	dir := filepath.Dir(l.path)
	tmpPath, err := boltfile.TempBeside(l.path, kind)
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmpPath) // after the rename, a no-op
	dst, err := bolt.Open(tmpPath, 0o644, &bolt.Options{Timeout: DefaultTimeout})
	if err != nil {
		return fail(err)
	}
	dst.AllocSize = allocSize
	err = l.f.View(op, func(tx *bolt.Tx) error { return fill(tx, dst) })
	var used int64
	if err == nil {
		err = dst.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return before, 0, err
	}
	// bbolt grew the file a step at a time; it reads nothing past its last
	// page, so the file ends there.
	if err := truncateSync(tmpPath, used); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmpPath, 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpPath, l.path); err != nil {
		return fail(err)
	}
	boltfile.SyncDir(dir)
	// Go on with the new file. Between the close and the open another
	// process could take its lock: then this Ledger fails like a locked
	// one would.
	if err := l.f.Close(); err != nil {
		return fail(err)
	}
	f, err := boltfile.Open(l.path, format, boltfile.Options{Timeout: DefaultTimeout, Now: l.now(), AllocSize: allocSize})
	if err != nil {
		return before, 0, err
	}
	l.f = f
	if info, err := os.Stat(l.path); err == nil {
		after = info.Size()
	}
	return before, after, nil
}

// copyDense copies every bucket of tx into dst, each with its sequence,
// every page filled, in transactions of about compactTxSize.
func copyDense(tx *bolt.Tx, dst *bolt.DB) error {
	out, err := dst.Begin(true)
	if err != nil {
		return err
	}
	defer func() { _ = out.Rollback() }() // the last one, when it did not commit
	size := 0
	err = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if _, err := out.CreateBucket(name); err != nil {
			return err
		}
		if err := out.Bucket(name).SetSequence(b.Sequence()); err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if size += len(k) + len(v); size > compactTxSize {
				if err := out.Commit(); err != nil {
					return err
				}
				var err error
				if out, err = dst.Begin(true); err != nil {
					return err
				}
				size = len(k) + len(v)
			}
			bk := out.Bucket(name)
			bk.FillPercent = 1
			return bk.Put(k, v)
		})
	})
	if err != nil {
		return err
	}
	return out.Commit()
}

// Unused returns how many bytes of the ledger's pages hold no record (free
// pages, the empty parts of pages) and how many pages' bytes the ledger
// has; the file may be up to a growth step longer. It reads every page.
func (l *Ledger) Unused() (unused, size int64, err error) {
	var used int64
	err = l.view(readOp, func(tx *bolt.Tx) error {
		size = tx.Size()
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			s := b.Stats()
			used += int64(s.BranchInuse + s.LeafInuse + s.InlineBucketInuse)
			return nil
		})
	})
	if err != nil {
		return 0, 0, err
	}
	return max(size-used, 0), size, nil
}

// CompactIfSparse compacts the ledger when at least threshold (a share,
// CompactThreshold when 0) of the pages of a ledger of a megabyte or more
// hold no record, and reports whether it did.
func (l *Ledger) CompactIfSparse(threshold float64) (Compaction, bool, error) {
	if threshold <= 0 {
		threshold = CompactThreshold
	}
	unused, size, err := l.Unused()
	if err != nil || size < compactMinSize || float64(unused) < threshold*float64(size) {
		return Compaction{}, false, err
	}
	c, err := l.Compact()
	return c, err == nil, err
}

// truncateSync cuts the file at path to size and syncs it.
func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
