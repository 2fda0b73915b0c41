package state

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/internal/boltfile"
)

// A ledger of an older schema is migrated by writing a new ledger beside it
// (".NAME.migrate-*" in the same directory), copying every record through
// the public records (a page, a notification, ...), and renaming the new
// file over the old one while the old one is still locked. A migration
// killed at any moment leaves the old file as it was, and a temporary file
// that the next migration removes before it starts again. Another process
// that waited for the lock finds the file renamed and opens the new one
// (see replaced).

// migrateBatch is how many records a migration copies per transaction.
const migrateBatch = 5000

// migrateHook, when set (by tests), is called after each transaction of a
// migration with the number of records copied so far.
var migrateHook func(copied int)

// servicesOfSchema1 are the protocols of the records schema 1 kept among the
// notifications although they are calls to update services and WebSub hubs.
var servicesOfSchema1 = []string{"weblogUpdates", "websub"}

// migrate writes l's records, read in the layout of schema from, into a
// new ledger of the current schema and renames it over l's file. l stays
// open on the old file; the caller closes it and opens the path again.
func (l *Ledger) migrate(from int) error {
	tmpPath, err := boltfile.TempBeside(l.path, "migrate")
	if err != nil {
		return fmt.Errorf("migrate ledger %s: %w", l.path, err)
	}
	_ = os.Remove(tmpPath) // Open makes it, complete, or not at all
	defer os.Remove(tmpPath)
	dst, err := Open(tmpPath, &Options{Timeout: -1, Now: l.now})
	if err != nil {
		return fmt.Errorf("migrate ledger %s: %w", l.path, err)
	}
	err = l.view("migrate ledger", func(tx *bolt.Tx) error { return copyLegacy(tx, from, dst) })
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("migrate ledger %s from schema %d: %w", l.path, from, err)
	}
	if err := os.Rename(tmpPath, l.path); err != nil {
		return fmt.Errorf("migrate ledger %s: %w", l.path, err)
	}
	boltfile.SyncDir(filepath.Dir(l.path))
	return nil
}

// copyLegacy copies the records of a ledger of schema 1 or 2, read from tx,
// into dst: the meta times, then pages, notifications, discovery entries,
// feeds, service calls and runs, in transactions of migrateBatch records.
func copyLegacy(tx *bolt.Tx, from int, dst *Ledger) error {
	meta := tx.Bucket(bucketMeta)
	var h exportHeader
	if created, err := time.Parse(time.RFC3339Nano, string(meta.Get(metaCreated))); err == nil {
		h.Created = created
	}
	if v := meta.Get(metaFirstRun); v != nil {
		if t, err := time.Parse(time.RFC3339Nano, string(v)); err == nil {
			h.FirstRun = t
		}
	}
	if err := dst.update("migrate ledger", func(tx *bolt.Tx) error { return mergeMeta(tx, h) }); err != nil {
		return err
	}
	copied := 0
	var b Batch
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		copied += b.Len()
		if err := dst.Commit(&b); err != nil {
			return err
		}
		b = Batch{}
		if migrateHook != nil {
			migrateHook(copied)
		}
		return nil
	}
	add := func() error {
		if b.Len() >= migrateBatch {
			return flush()
		}
		return nil
	}
	err := tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
		p, err := decodePageKV(k, v)
		if err != nil {
			return err
		}
		if from == 1 && strings.HasSuffix(p.File, ".xml") {
			// Schema 1 kept feeds among the pages, for their hash.
			b.Feeds = append(b.Feeds, Feed{URL: p.URL, File: p.File, Hash: p.Hash, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen})
		} else {
			b.Pages = append(b.Pages, p)
		}
		return add()
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil { // pages first: their ids come first
		return err
	}
	err = tx.Bucket(bucketNotifications).ForEach(func(k, v []byte) error {
		n, err := decodeNotificationKV(k, v)
		if err != nil {
			return err
		}
		if from == 1 && slices.Contains(servicesOfSchema1, n.Protocol) {
			b.Services = append(b.Services, n)
		} else {
			b.Notifications = append(b.Notifications, n)
		}
		return add()
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketDiscovery).ForEach(func(k, v []byte) error {
		d, err := decodeDiscovery(string(k), v)
		if err != nil {
			return corruptValue("discovery", string(k), err)
		}
		b.Discoveries = append(b.Discoveries, d)
		return add()
	})
	if err != nil {
		return err
	}
	if from >= 2 {
		err = tx.Bucket(bucketFeeds).ForEach(func(k, v []byte) error {
			f, err := decodeFeedKV(k, v)
			if err != nil {
				return err
			}
			b.Feeds = append(b.Feeds, f)
			return add()
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketServices).ForEach(func(k, v []byte) error {
			n, err := decodeNotificationKV(k, v)
			if err != nil {
				return err
			}
			b.Services = append(b.Services, n)
			return add()
		})
		if err != nil {
			return err
		}
	}
	err = tx.Bucket(bucketRuns).ForEach(func(k, v []byte) error {
		r, err := decodeRunKV(k, v)
		if err != nil {
			return err
		}
		b.Runs = append(b.Runs, r)
		return add()
	})
	if err != nil {
		return err
	}
	return flush()
}
