package state

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fillPercent is how full bbolt fills a page before splitting it.
const fillPercent = 0.9

// MaxRuns is how many runs the ledger keeps; Commit drops the oldest beyond it.
const MaxRuns = 1000

// Batch collects writes that Commit applies in one bbolt transaction, so
// they are on disk together or not at all. The sender writes in batches,
// never one transaction per link: every transaction costs an fsync.
type Batch struct {
	// Pages are stored by URL, replacing the stored record except that
	// Targets is unioned with the stored set and a zero FirstSeen keeps the
	// stored one; see Commit.
	Pages []Page
	// Notifications are stored by (Source, Target), replacing the stored
	// record except for a zero Created.
	Notifications []Notification
	// Discoveries are stored by Target.
	Discoveries []Discovery
	// Feeds are stored by URL, replacing the stored record except for a
	// zero FirstSeen.
	Feeds []Feed
	// Services are the calls to update services (weblogUpdates) and WebSub
	// hubs, stored by (Source, Target) apart from the notifications of
	// pages, like them (a zero Created keeps the stored one).
	Services []Notification
	// DeletePages are URLs of pages that left the site: each stored page is
	// marked Deleted and kept, so its Targets can still be told. Unknown
	// URLs are ignored.
	DeletePages []string
	// Runs are stored by ID; Commit assigns an ID to each run whose ID is
	// zero and writes it back here.
	Runs []Run
}

// Len returns how many records b holds.
func (b *Batch) Len() int {
	if b == nil {
		return 0
	}
	return len(b.Pages) + len(b.Notifications) + len(b.Discoveries) + len(b.DeletePages) + len(b.Runs) +
		len(b.Feeds) + len(b.Services)
}

// Reset empties b, keeping its slices' storage for the next batch.
func (b *Batch) Reset() {
	b.Pages = b.Pages[:0]
	b.Notifications = b.Notifications[:0]
	b.Discoveries = b.Discoveries[:0]
	b.DeletePages = b.DeletePages[:0]
	b.Runs = b.Runs[:0]
	b.Feeds = b.Feeds[:0]
	b.Services = b.Services[:0]
}

// Commit writes b in one transaction, durable (fsynced) when Commit returns
// nil; on error nothing of b is written. The records are applied in this
// order: Pages, DeletePages, Notifications, Discoveries, Feeds, Services,
// Runs; a key given twice ends with the later value (merged as below).
//
// What Commit stores differs from what it is given in these ways, all on
// its own copy (b is not modified, except for the IDs of new Runs):
//   - Page.Links and Page.Targets are sorted and de-duplicated, and Targets
//     is unioned with the stored Targets, so a page never forgets a target.
//   - A zero Page.FirstSeen keeps the stored one, or becomes now for a new
//     page; a zero LastSeen becomes now, or keeps the stored one for a
//     Deleted page.
//   - A Deleted page with a zero DeletedAt keeps the stored DeletedAt, or
//     becomes now; a page that is not Deleted has no DeletedAt.
//   - A zero Notification.Created keeps the stored one, or becomes now; a
//     zero Updated becomes now; Answer and LastError are cut to MaxText.
//   - A zero Discovery.Fetched becomes now.
//   - A zero Feed.FirstSeen keeps the stored one, or becomes now; a zero
//     LastSeen becomes now.
//   - Times are stored in UTC.
//
// Commit fails with ErrInvalidRecord (naming the record) for an empty or
// NUL-containing URL, a URL longer than bbolt's key limit allows, or a
// notification whose Status is not one of the Status constants; with
// ErrReadOnly on a read-only ledger.
func (l *Ledger) Commit(b *Batch) error {
	if b.Len() == 0 {
		return nil
	}
	now := l.now().UTC()
	runIDs := make([]uint64, len(b.Runs))
	err := l.update("commit to ledger", func(tx *bolt.Tx) error {
		pages, notifications, discovery := tx.Bucket(bucketPages), tx.Bucket(bucketNotifications), tx.Bucket(bucketDiscovery)
		// Pages and their notifications arrive mostly in key order (the
		// sender walks the site in order), and bbolt leaves a split page
		// FillPercent full: the default 0.5 doubles the file.
		pages.FillPercent, notifications.FillPercent, discovery.FillPercent = fillPercent, fillPercent, fillPercent
		if err := putPages(pages, b.Pages, now); err != nil {
			return err
		}
		if err := deletePages(pages, b.DeletePages, now); err != nil {
			return err
		}
		if err := putNotifications(notifications, b.Notifications, now); err != nil {
			return err
		}
		if err := putDiscoveries(discovery, b.Discoveries, now); err != nil {
			return err
		}
		if err := putFeeds(tx.Bucket(bucketFeeds), b.Feeds, now); err != nil {
			return err
		}
		if err := putNotificationsIn(tx.Bucket(bucketServices), "service", b.Services, now); err != nil {
			return err
		}
		return putRuns(tx, b.Runs, runIDs, now)
	})
	if err != nil {
		return err
	}
	for i, id := range runIDs {
		b.Runs[i].ID = id
	}
	return nil
}

func putPages(bk *bolt.Bucket, pages []Page, now time.Time) error {
	for i := range pages {
		p := pages[i] // a copy: b is not modified
		if err := checkKey("page URL", p.URL); err != nil {
			return err
		}
		key := []byte(p.URL)
		var old Page
		exists := false
		if v := bk.Get(key); v != nil {
			var err error
			if old, err = decodePage(p.URL, v); err != nil {
				return corruptValue("page", p.URL, err)
			}
			exists = true
		}
		p.Links = sortedSet(p.Links, nil)
		p.Targets = sortedSet(p.Targets, old.Targets)
		p.Published, p.FirstSeen, p.LastSeen, p.DeletedAt = utc(p.Published), utc(p.FirstSeen), utc(p.LastSeen), utc(p.DeletedAt)
		if p.FirstSeen.IsZero() {
			p.FirstSeen = old.FirstSeen
			if !exists {
				p.FirstSeen = now
			}
		}
		if !p.Deleted {
			p.DeletedAt = time.Time{}
			if p.LastSeen.IsZero() {
				p.LastSeen = now
			}
		} else {
			if p.LastSeen.IsZero() {
				p.LastSeen = old.LastSeen
			}
			if p.DeletedAt.IsZero() && old.Deleted {
				p.DeletedAt = old.DeletedAt
			}
			if p.DeletedAt.IsZero() {
				p.DeletedAt = now
			}
		}
		if err := bk.Put(key, encodePage(&p)); err != nil {
			return fmt.Errorf("page %s: %w", p.URL, err)
		}
	}
	return nil
}

func deletePages(bk *bolt.Bucket, urls []string, now time.Time) error {
	for _, url := range urls {
		if err := checkKey("deleted page URL", url); err != nil {
			return err
		}
		v := bk.Get([]byte(url))
		if v == nil {
			continue
		}
		p, err := decodePage(url, v)
		if err != nil {
			return corruptValue("page", url, err)
		}
		if p.Deleted {
			continue
		}
		p.Deleted, p.DeletedAt = true, now
		if err := bk.Put([]byte(url), encodePage(&p)); err != nil {
			return fmt.Errorf("page %s: %w", url, err)
		}
	}
	return nil
}

func putNotifications(bk *bolt.Bucket, ns []Notification, now time.Time) error {
	return putNotificationsIn(bk, "notification", ns, now)
}

// putNotificationsIn stores notifications, or service calls (kind names
// which in errors), in bk.
func putNotificationsIn(bk *bolt.Bucket, kind string, ns []Notification, now time.Time) error {
	for i := range ns {
		n := ns[i]
		if err := checkKey(kind+" source", n.Source); err != nil {
			return err
		}
		if err := checkKey(kind+" target", n.Target); err != nil {
			return err
		}
		if !n.Status.Valid() {
			return fmt.Errorf("%w: %s %s -> %s: unknown status %q", ErrInvalidRecord, kind, n.Source, n.Target, n.Status)
		}
		key := notificationKey(n.Source, n.Target)
		n.Answer = truncate(n.Answer, MaxText)
		n.LastError = truncate(n.LastError, MaxText)
		n.NextAttempt, n.Created, n.Updated, n.NotifiedAt = utc(n.NextAttempt), utc(n.Created), utc(n.Updated), utc(n.NotifiedAt)
		if n.Created.IsZero() {
			n.Created = now
			if v := bk.Get(key); v != nil {
				old, err := decodeNotificationValue(n.Source, n.Target, v)
				if err != nil {
					return corruptValue(kind, n.Source+" -> "+n.Target, err)
				}
				if !old.Created.IsZero() {
					n.Created = old.Created
				}
			}
		}
		if n.Updated.IsZero() {
			n.Updated = now
		}
		if err := bk.Put(key, encodeNotification(&n)); err != nil {
			return fmt.Errorf("%s %s -> %s: %w", kind, n.Source, n.Target, err)
		}
	}
	return nil
}

func putDiscoveries(bk *bolt.Bucket, ds []Discovery, now time.Time) error {
	for i := range ds {
		d := ds[i]
		if err := checkKey("discovery target", d.Target); err != nil {
			return err
		}
		d.Fetched, d.Expires = utc(d.Fetched), utc(d.Expires)
		if d.Fetched.IsZero() {
			d.Fetched = now
		}
		if err := bk.Put([]byte(d.Target), encodeDiscovery(&d)); err != nil {
			return fmt.Errorf("discovery %s: %w", d.Target, err)
		}
	}
	return nil
}

func putFeeds(bk *bolt.Bucket, feeds []Feed, now time.Time) error {
	for i := range feeds {
		f := feeds[i]
		if err := checkKey("feed URL", f.URL); err != nil {
			return err
		}
		f.FirstSeen, f.LastSeen = utc(f.FirstSeen), utc(f.LastSeen)
		if f.FirstSeen.IsZero() {
			f.FirstSeen = now
			if v := bk.Get([]byte(f.URL)); v != nil {
				old, err := decodeFeed(f.URL, v)
				if err != nil {
					return corruptValue("feed", f.URL, err)
				}
				if !old.FirstSeen.IsZero() {
					f.FirstSeen = old.FirstSeen
				}
			}
		}
		if f.LastSeen.IsZero() {
			f.LastSeen = now
		}
		if err := bk.Put([]byte(f.URL), encodeFeed(&f)); err != nil {
			return fmt.Errorf("feed %s: %w", f.URL, err)
		}
	}
	return nil
}

func putRuns(tx *bolt.Tx, runs []Run, ids []uint64, now time.Time) error {
	if len(runs) == 0 {
		return nil
	}
	first := runs[0].Started
	if first.IsZero() {
		first = now
	}
	if err := setFirstRun(tx, first); err != nil {
		return err
	}
	bk := tx.Bucket(bucketRuns)
	for i := range runs {
		r := runs[i]
		if r.ID == 0 {
			var err error
			if r.ID, err = bk.NextSequence(); err != nil {
				return err
			}
		} else if r.ID > bk.Sequence() {
			if err := bk.SetSequence(r.ID); err != nil {
				return err
			}
		}
		r.Started, r.Finished = utc(r.Started), utc(r.Finished)
		if err := bk.Put(runKey(r.ID), encodeRun(&r)); err != nil {
			return fmt.Errorf("run %d: %w", r.ID, err)
		}
		ids[i] = r.ID
	}
	// Keep the newest MaxRuns. Keys are counted with a cursor (Stats does
	// not see this transaction's writes) and collected before deleting
	// (deleting under a moving cursor can skip keys).
	var keys [][]byte
	c := bk.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		keys = append(keys, k)
	}
	if len(keys) <= MaxRuns {
		return nil
	}
	drop := make([][]byte, 0, len(keys)-MaxRuns)
	for _, k := range keys[:len(keys)-MaxRuns] {
		drop = append(drop, append([]byte(nil), k...))
	}
	for _, k := range drop {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// runKey is the big-endian ID, so keys sort in run order.
func runKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}
