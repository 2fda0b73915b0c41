package state

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
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

// Reset empties b, keeping its slices' storage (but none of the records)
// for the next batch.
func (b *Batch) Reset() {
	clear(b.Pages)
	clear(b.Notifications)
	clear(b.Discoveries)
	clear(b.Feeds)
	clear(b.Services)
	clear(b.DeletePages)
	clear(b.Runs)
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
//   - Times are stored in UTC; the times Commit fills in are whole seconds.
//
// Commit fails with ErrInvalidRecord (naming the record) for an empty or
// NUL-containing URL, a URL longer than bbolt's key limit allows, or a
// notification whose Status is not one of the Status constants; with
// ErrReadOnly on a read-only ledger.
func (l *Ledger) Commit(b *Batch) error {
	if b.Len() == 0 {
		return nil
	}
	if err := b.check(); err != nil {
		return fmt.Errorf("commit to ledger %s: %w", l.path, err)
	}
	// Whole seconds: a record stores whole-second times in a byte or two.
	now := l.now().UTC().Truncate(time.Second)
	runIDs := make([]uint64, len(b.Runs))
	err := l.update("commit to ledger", func(tx *bolt.Tx) error {
		w := newWriter(tx, now)
		if err := w.apply(b); err != nil {
			return err
		}
		if err := putFeeds(tx.Bucket(bucketFeeds), b.Feeds, now); err != nil {
			return err
		}
		if err := putServices(tx.Bucket(bucketServices), b.Services, now); err != nil {
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

// check refuses the records Commit cannot store, before any is written.
func (b *Batch) check() error {
	for _, p := range b.Pages {
		if err := checkKey("page URL", p.URL); err != nil {
			return err
		}
	}
	for _, u := range b.DeletePages {
		if err := checkKey("deleted page URL", u); err != nil {
			return err
		}
	}
	for _, n := range b.Notifications {
		if err := checkNotification("notification", n); err != nil {
			return err
		}
	}
	for _, d := range b.Discoveries {
		if err := checkKey("discovery target", d.Target); err != nil {
			return err
		}
	}
	for _, f := range b.Feeds {
		if err := checkKey("feed URL", f.URL); err != nil {
			return err
		}
	}
	for _, n := range b.Services {
		if err := checkNotification(kindService, n); err != nil {
			return err
		}
	}
	return nil
}

func checkNotification(kind string, n Notification) error {
	if err := checkKey(kind+" source", n.Source); err != nil {
		return err
	}
	if err := checkKey(kind+" target", n.Target); err != nil {
		return err
	}
	if !n.Status.Valid() {
		return fmt.Errorf("%w: %s %s -> %s: unknown status %q", ErrInvalidRecord, kind, n.Source, n.Target, n.Status)
	}
	return nil
}

// writer applies a batch to the records of one write transaction: each
// source record the batch touches is read once, changed in memory, and
// written once.
type writer struct {
	tx        *bolt.Tx
	in        *interner
	now       time.Time
	pages     *bolt.Bucket
	discovery *bolt.Bucket
	touched   map[uint64]*loaded
}

// loaded is a source record being changed.
type loaded struct {
	key uint64 // the record's key in the pages bucket
	url string
	rec *sourceRecord
}

func newWriter(tx *bolt.Tx, now time.Time) *writer {
	w := &writer{
		tx: tx, in: newInterner(tx), now: now,
		pages: tx.Bucket(bucketPages), discovery: tx.Bucket(bucketDiscovery),
		touched: map[uint64]*loaded{},
	}
	// Ids and record keys are sequential, so new keys land at the end of
	// these buckets: fill their pages instead of splitting them in half.
	// A URL gets the key of its page's record after it was first linked
	// to: its value grows a byte or two in place, so its pages keep room.
	w.pages.FillPercent, w.in.hosts.FillPercent, w.in.urls.FillPercent = 1, 1, 0.9
	return w
}

// apply applies the pages, deletions, notifications and discovery entries
// of b, in that order.
func (w *writer) apply(b *Batch) error {
	for _, p := range b.Pages {
		r, err := w.source(p.URL, true)
		if err != nil {
			return err
		}
		if err := r.rec.putPage(p, w.now, w.in); err != nil {
			return fmt.Errorf("page %s: %w", p.URL, err)
		}
	}
	for _, url := range b.DeletePages {
		r, err := w.source(url, false)
		if err != nil {
			return err
		}
		if r != nil {
			r.rec.deletePage(w.now)
		}
	}
	for _, n := range b.Notifications {
		if err := w.putNotification(n); err != nil {
			return err
		}
	}
	for _, d := range b.Discoveries {
		if err := w.putDiscovery(d); err != nil {
			return err
		}
	}
	return w.flush()
}

func (w *writer) putNotification(n Notification) error {
	r, err := w.source(n.Source, true)
	if err != nil {
		return err
	}
	if err := r.rec.putNotification(n, w.now, w.in); err != nil {
		return fmt.Errorf("notification %s -> %s: %w", n.Source, n.Target, err)
	}
	return nil
}

// source returns the record of a source URL, read from the ledger or new;
// with create false, nil when the ledger has none.
func (w *writer) source(url string, create bool) (*loaded, error) {
	var id uint64
	var err error
	if create {
		id, err = w.in.intern(url)
	} else {
		var ok bool
		id, ok, err = w.in.lookup(url)
		if !ok && err == nil {
			return nil, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if r := w.touched[id]; r != nil {
		return r, nil
	}
	e, err := w.in.entry(id)
	if err != nil {
		return nil, err
	}
	r := &loaded{key: e.page, url: url, rec: &sourceRecord{urlID: id}}
	switch {
	case e.page != 0:
		v := w.pages.Get(idKey(e.page))
		if v == nil {
			return nil, fmt.Errorf("%w: record %d of %s is missing", ErrCorrupt, e.page, url)
		}
		if r.rec, err = decodeSource(v); err != nil {
			return nil, corruptValue("page", url, err)
		}
		r.rec.urlID = id
	case !create:
		return nil, nil
	default:
		if r.key, err = w.pages.NextSequence(); err != nil {
			return nil, err
		}
		if err := w.in.setPage(id, r.key); err != nil {
			return nil, err
		}
	}
	w.touched[id] = r
	return r, nil
}

// flush writes the changed records, by key.
func (w *writer) flush() error {
	recs := make([]*loaded, 0, len(w.touched))
	for _, r := range w.touched {
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b *loaded) int { return cmp.Compare(a.key, b.key) })
	for _, r := range recs {
		if err := w.pages.Put(idKey(r.key), encodeSource(r.rec, r.url)); err != nil {
			return fmt.Errorf("page %s: %w", r.url, err)
		}
	}
	clear(w.touched)
	return w.in.flush()
}

func (w *writer) putDiscovery(d Discovery) error {
	id, err := w.in.intern(d.Target)
	if err != nil {
		return err
	}
	d.Fetched, d.Expires = utc(d.Fetched), utc(d.Expires)
	if d.Fetched.IsZero() {
		d.Fetched = w.now
	}
	v, err := encodeDiscoveryIDs(&d, w.in)
	if err != nil {
		return err
	}
	if err := w.discovery.Put(idKey(id), v); err != nil {
		return fmt.Errorf("discovery %s: %w", d.Target, err)
	}
	return nil
}

// putServices stores service calls in bk, checked already (Batch.check,
// mergeService).
func putServices(bk *bolt.Bucket, ns []Notification, now time.Time) error {
	const kind = kindService
	for i := range ns {
		n := ns[i]
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

func putFeeds(bk *bolt.Bucket, feeds []Feed, now time.Time) error {
	for i := range feeds {
		f := feeds[i] // checked already (Batch.check, mergeFeed)
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
