package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Reads run in bbolt read transactions. Values are decoded inside the
// transaction and decoding copies every string, so nothing returned points
// into bbolt's memory map.

const readOp = "read ledger"

// read runs fn in a read transaction with an interner for it.
func (l *Ledger) read(fn func(tx *bolt.Tx, in *interner) error) error {
	return l.view(readOp, func(tx *bolt.Tx) error { return fn(tx, newInterner(tx)) })
}

// sourceOf reads the record of a source URL; nil when there is none.
func sourceOf(tx *bolt.Tx, in *interner, url string) (*sourceRecord, error) {
	id, ok, err := in.lookup(url)
	if !ok || err != nil {
		return nil, err
	}
	e, err := in.entry(id)
	if e.page == 0 || err != nil {
		return nil, err
	}
	v := tx.Bucket(bucketPages).Get(idKey(e.page))
	if v == nil {
		return nil, fmt.Errorf("%w: record %d of %s is missing", ErrCorrupt, e.page, url)
	}
	r, err := decodeSource(v)
	if err != nil {
		return nil, corruptValue("page", url, err)
	}
	return r, nil
}

// Page returns the stored page with this URL; ok is false when there is none.
func (l *Ledger) Page(url string) (p Page, ok bool, err error) {
	err = l.read(func(tx *bolt.Tx, in *interner) error {
		r, err := sourceOf(tx, in, url)
		if r == nil || err != nil || !r.hasPage {
			return err
		}
		p, err = r.toPage(url, in)
		ok = err == nil
		return err
	})
	return p, ok, err
}

// Pages returns every stored page, deleted ones included, by URL. It holds
// the whole site in memory: for tests and tools; a run reads heads.
func (l *Ledger) Pages() (map[string]Page, error) {
	pages := map[string]Page{}
	err := l.forEachRecord(func(url string, r *sourceRecord, in *interner) error {
		if !r.hasPage {
			return nil
		}
		p, err := r.toPage(url, in)
		pages[url] = p
		return err
	})
	return pages, err
}

// forEachRecord calls fn with every source record, in one read transaction.
func (l *Ledger) forEachRecord(fn func(url string, r *sourceRecord, in *interner) error) error {
	return l.read(func(tx *bolt.Tx, in *interner) error {
		return tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
			url, r, err := decodeRecordKV(in, k, v)
			if err != nil {
				return err
			}
			return fn(url, r, in)
		})
	})
}

// decodeRecordKV decodes a source record and the URL of its source.
func decodeRecordKV(in *interner, k, v []byte) (string, *sourceRecord, error) {
	if _, ok := readID(k); !ok {
		return "", nil, fmt.Errorf("%w: page key %x is not an id", ErrCorrupt, k)
	}
	r, err := decodeSource(v)
	if err != nil {
		return "", nil, corruptValue("page", fmt.Sprintf("record %x", k), err)
	}
	url, err := in.url(r.urlID)
	return url, r, err
}

// PageHead is what a scan needs to know of a stored page to tell whether it
// changed, without its links.
type PageHead struct {
	Known    bool   // the ledger has a record of the page
	Deleted  bool   // the record is marked deleted
	Hash     string // Page.Hash
	HasLinks bool   // Page.Links is not empty
	// Record names the page's record in this ledger (0 when Known is
	// false). Records are numbered from 1 as they are made, so the records
	// a scan saw fit in a bitmap; see PagesNotIn.
	Record uint64
}

func (h sourceHead) pageHead(record uint64) PageHead {
	if !h.hasPage {
		return PageHead{}
	}
	return PageHead{Known: true, Deleted: h.deleted, Hash: h.hash, HasLinks: h.linked > 0, Record: record}
}

// PageHeads returns the head of the stored page of each URL, in one read
// transaction; a URL the ledger does not know has the zero PageHead.
func (l *Ledger) PageHeads(urls []string) ([]PageHead, error) {
	heads := make([]PageHead, len(urls))
	err := l.read(func(tx *bolt.Tx, in *interner) error {
		pages := tx.Bucket(bucketPages)
		for i, u := range urls {
			id, ok, err := in.lookup(u)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			e, err := in.entry(id)
			if err != nil {
				return err
			}
			v := pages.Get(idKey(e.page))
			if e.page == 0 || v == nil {
				continue
			}
			h, err := decodeSourceHead(v)
			if err != nil {
				return corruptValue("page", u, err)
			}
			heads[i] = h.pageHead(e.page)
		}
		return nil
	})
	return heads, err
}

// LastRecord returns the Record of the last page record made, 0 before
// any: the records made after it have higher numbers.
func (l *Ledger) LastRecord() (uint64, error) {
	var last uint64
	err := l.view(readOp, func(tx *bolt.Tx) error {
		last = tx.Bucket(bucketPages).Sequence()
		return nil
	})
	return last, err
}

// PagesNotIn returns the URLs of the stored pages not marked deleted whose
// Record seen does not hold, in record order: the pages a scan that saw
// the records in seen did not find. It reads the head of every record, in
// one read transaction, and the URLs of those it returns only.
func (l *Ledger) PagesNotIn(seen func(record uint64) bool) ([]string, error) {
	var urls []string
	err := l.read(func(tx *bolt.Tx, in *interner) error {
		c := tx.Bucket(bucketPages).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			record, ok := readID(k)
			if !ok {
				return fmt.Errorf("%w: page key %x is not an id", ErrCorrupt, k)
			}
			if seen(record) {
				continue
			}
			h, err := decodeSourceHead(v)
			if err != nil {
				return corruptValue("page", fmt.Sprintf("record %x", k), err)
			}
			if !h.hasPage || h.deleted {
				continue
			}
			url, err := in.url(h.urlID)
			if err != nil {
				return err
			}
			urls = append(urls, url)
		}
		return nil
	})
	return urls, err
}

// ForEachPageHead calls fn with the URL and head of every stored page,
// deleted ones included, in the ledger's order, and stops at the first
// error fn returns, which it returns as is. Like ForEachNotification it
// reads in chunks and calls fn outside any transaction.
func (l *Ledger) ForEachPageHead(fn func(url string, h PageHead) error) error {
	type entry struct {
		url  string
		head PageHead
	}
	decode := func(in *interner, k, v []byte) ([]entry, error) {
		h, err := decodeSourceHead(v)
		if err != nil {
			return nil, corruptValue("page", fmt.Sprintf("record %x", k), err)
		}
		if !h.hasPage {
			return nil, nil
		}
		record, _ := readID(k)
		url, err := in.url(h.urlID)
		return []entry{{url, h.pageHead(record)}}, err
	}
	return forEachChunked(l, bucketPages, decode, func(e entry) error { return fn(e.url, e.head) })
}

// PageCount returns how many pages are stored, deleted ones included.
func (l *Ledger) PageCount() (int, error) {
	var n int
	err := l.view(readOp, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
			h, err := decodeSourceHead(v)
			if err != nil {
				return corruptValue("page", fmt.Sprintf("%x", k), err)
			}
			if h.hasPage {
				n++
			}
			return nil
		})
	})
	return n, err
}

// Notification returns the stored notification of target by source; ok is
// false when there is none.
func (l *Ledger) Notification(source, target string) (n Notification, ok bool, err error) {
	err = l.read(func(tx *bolt.Tx, in *interner) error {
		r, err := sourceOf(tx, in, source)
		if r == nil || err != nil {
			return err
		}
		id, known, err := in.lookup(target)
		if !known || err != nil {
			return err
		}
		i, found := r.find(id)
		if !found || r.entries[i].note == nil {
			return nil
		}
		n, err = toNotification(source, &r.entries[i], in)
		ok = err == nil
		return err
	})
	return n, ok, err
}

// NotificationsFor returns every notification whose Source is source,
// sorted by Target.
func (l *Ledger) NotificationsFor(source string) ([]Notification, error) {
	var out []Notification
	err := l.read(func(tx *bolt.Tx, in *interner) error {
		r, err := sourceOf(tx, in, source)
		if r == nil || err != nil {
			return err
		}
		out, err = r.notifications(source, nil, in)
		return err
	})
	return out, err
}

// forEachChunk is how many records ForEachNotification and ForEachPageHead
// read per transaction.
const forEachChunk = 1024

// ForEachNotification calls fn for every notification, grouped by source
// in the ledger's order and sorted by Target within one, and stops at the
// first error fn returns, which it returns as is. fn runs outside any
// transaction, so it may call any Ledger method, Commit included; the
// notifications are read in chunks of sources, so a change fn commits is
// seen only for sources not yet visited.
func (l *Ledger) ForEachNotification(fn func(Notification) error) error {
	decode := func(in *interner, k, v []byte) ([]Notification, error) {
		url, r, err := decodeRecordKV(in, k, v)
		if err != nil {
			return nil, err
		}
		return r.notifications(url, nil, in)
	}
	return forEachChunked(l, bucketPages, decode, fn)
}

// forEachChunked calls fn for what decode makes of every record of a
// bucket, in key order, reading about forEachChunk records' worth per read
// transaction and calling fn outside of it.
func forEachChunked[T any](l *Ledger, bucket []byte, decode func(in *interner, k, v []byte) ([]T, error), fn func(T) error) error {
	var after []byte
	for {
		var chunk []T
		more := false
		err := l.read(func(tx *bolt.Tx, in *interner) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil; k, v = c.Next() {
				if len(chunk) >= forEachChunk {
					more = true
					break
				}
				rs, err := decode(in, k, v)
				if err != nil {
					return err
				}
				chunk = append(chunk, rs...)
				after = append(after[:0], k...)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range chunk {
			if err := fn(r); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// InFlight returns every notification with StatusInFlight: those a run
// marked before sending and never settled because it died. The sender
// re-sends them (a pingback re-send is answered "already registered").
func (l *Ledger) InFlight() ([]Notification, error) {
	return l.NotificationsWith(StatusInFlight)
}

// NotificationsWith returns every notification whose Status is one of
// statuses, grouped by source in the ledger's order and sorted by Target
// within one; for example the unsettled ones a run must look at whatever
// pages changed:
//
//	l.NotificationsWith(StatusInFlight, StatusPending, StatusRetry, StatusDeferred)
//
// A record says which statuses it holds before its entries, so records
// holding none of them are not decoded: this costs little when few match.
func (l *Ledger) NotificationsWith(statuses ...Status) ([]Notification, error) {
	var mask uint64
	for _, s := range statuses {
		if i := statusIndex(s); i >= 0 {
			mask |= 1 << i
		}
	}
	var out []Notification
	if mask == 0 {
		return nil, nil
	}
	err := l.read(func(tx *bolt.Tx, in *interner) error {
		return tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
			h, err := decodeSourceHead(v)
			if err != nil {
				return corruptValue("page", fmt.Sprintf("%x", k), err)
			}
			if h.statuses&mask == 0 {
				return nil
			}
			url, r, err := decodeRecordKV(in, k, v)
			if err != nil {
				return err
			}
			ns, err := r.notifications(url, statuses, in)
			out = append(out, ns...)
			return err
		})
	})
	return out, err
}

// Stats counts the notifications per status; every Status is present in
// the map, with zero when no notification has it.
func (l *Ledger) Stats() (map[Status]int, error) {
	counts := make(map[Status]int, len(Statuses))
	for _, s := range Statuses {
		counts[s] = 0
	}
	err := l.view(readOp, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPages).ForEach(func(k, v []byte) error {
			h, err := decodeSourceHead(v)
			if err != nil {
				return corruptValue("page", fmt.Sprintf("%x", k), err)
			}
			for i, c := range h.counts {
				counts[Statuses[i]] += c
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// Discovery returns the cached discovery of target; ok is false when there
// is none or it expired (now is not before Expires).
func (l *Ledger) Discovery(target string, now time.Time) (d Discovery, ok bool, err error) {
	err = l.read(func(tx *bolt.Tx, in *interner) error {
		id, known, err := in.lookup(target)
		if !known || err != nil {
			return err
		}
		v := tx.Bucket(bucketDiscovery).Get(idKey(id))
		if v == nil {
			return nil
		}
		c, err := decodeDiscoveryIDs(target, v, in)
		if err != nil {
			return corruptValue("discovery", target, err)
		}
		if now.Before(c.Expires) {
			d, ok = c, true
		}
		return nil
	})
	return d, ok, err
}

// LastRun returns the run with the highest ID; ok is false before the first
// run was committed.
func (l *Ledger) LastRun() (r Run, ok bool, err error) {
	err = l.view(readOp, func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketRuns).Cursor().Last()
		if k == nil {
			return nil
		}
		run, err := decodeRunKV(k, v)
		if err != nil {
			return err
		}
		r, ok = run, true
		return nil
	})
	return r, ok, err
}

// Runs returns the stored runs, oldest first (at most MaxRuns).
func (l *Ledger) Runs() ([]Run, error) {
	return readAll(l, bucketRuns, decodeRunKV)
}

// readAll decodes every record of a bucket, in key order.
func readAll[T any](l *Ledger, bucket []byte, decode func(k, v []byte) (T, error)) ([]T, error) {
	var out []T
	err := l.view(readOp, func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			r, err := decode(k, v)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

func decodeNotification(k, v []byte) (Notification, error) {
	source, target, ok := splitNotificationKey(k)
	if !ok {
		return Notification{}, fmt.Errorf("%w: notification key %q has no separator", ErrCorrupt, k)
	}
	n, err := decodeNotificationValue(source, target, v)
	if err != nil {
		return Notification{}, corruptValue("notification", source+" -> "+target, err)
	}
	return n, nil
}

func decodeRunKV(k, v []byte) (Run, error) {
	if len(k) != 8 {
		return Run{}, fmt.Errorf("%w: run key %x is not 8 bytes", ErrCorrupt, k)
	}
	id := binary.BigEndian.Uint64(k)
	r, err := decodeRun(id, v)
	if err != nil {
		return Run{}, corruptValue("run", fmt.Sprint(id), err)
	}
	return r, nil
}

func corruptValue(kind, key string, err error) error {
	return fmt.Errorf("%w: %s %s: %w", ErrCorrupt, kind, key, err)
}

// Feeds returns every stored feed, by URL.
func (l *Ledger) Feeds() (map[string]Feed, error) {
	list, err := readAll(l, bucketFeeds, decodeFeedKV)
	if err != nil {
		return nil, err
	}
	feeds := make(map[string]Feed, len(list))
	for _, f := range list {
		feeds[f.URL] = f
	}
	return feeds, nil
}

// Services returns every stored call to an update service or WebSub hub,
// by Source, then Target.
func (l *Ledger) Services() ([]Notification, error) {
	return readAll(l, bucketServices, decodeNotification)
}

func decodeFeedKV(k, v []byte) (Feed, error) {
	f, err := decodeFeed(string(k), v)
	if err != nil {
		return Feed{}, corruptValue("feed", string(k), err)
	}
	return f, nil
}

func decodePageKV(k, v []byte) (Page, error) {
	p, err := decodePage(string(k), v)
	if err != nil {
		return Page{}, corruptValue("page", string(k), err)
	}
	return p, nil
}

// decodeNotificationKV is decodeNotification, refusing an unknown status.
func decodeNotificationKV(k, v []byte) (Notification, error) {
	n, err := decodeNotification(k, v)
	if err == nil && !n.Status.Valid() {
		err = fmt.Errorf("%w: notification %s -> %s: unknown status %q", ErrCorrupt, n.Source, n.Target, n.Status)
	}
	return n, err
}
