package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Reads run in bbolt read transactions. Values are decoded inside the
// transaction and decoding copies every string, so nothing returned points
// into bbolt's memory map.

const readOp = "read ledger"

// Page returns the stored page with this URL; ok is false when there is none.
func (l *Ledger) Page(url string) (p Page, ok bool, err error) {
	err = l.view(readOp, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPages).Get([]byte(url))
		if v == nil {
			return nil
		}
		page, err := decodePage(url, v)
		if err != nil {
			return corruptValue("page", url, err)
		}
		p, ok = page, true
		return nil
	})
	return p, ok, err
}

// Pages returns every stored page, deleted ones included, by URL.
func (l *Ledger) Pages() (map[string]Page, error) {
	var pages map[string]Page
	err := l.view(readOp, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketPages)
		pages = make(map[string]Page, bk.Stats().KeyN)
		return bk.ForEach(func(k, v []byte) error {
			url := string(k)
			p, err := decodePage(url, v)
			if err != nil {
				return corruptValue("page", url, err)
			}
			pages[url] = p
			return nil
		})
	})
	return pages, err
}

// PageHead is what a scan needs to know of a stored page to tell whether it
// changed, without its links.
type PageHead struct {
	Known    bool   // the ledger has a record of the page
	Deleted  bool   // the record is marked deleted
	Hash     string // Page.Hash
	HasLinks bool   // Page.Links is not empty
}

// PageHeads returns the head of the stored page of each URL, in one read
// transaction; a URL the ledger does not know has the zero PageHead.
func (l *Ledger) PageHeads(urls []string) ([]PageHead, error) {
	heads := make([]PageHead, len(urls))
	err := l.view(readOp, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketPages)
		for i, u := range urls {
			v := bk.Get([]byte(u))
			if v == nil {
				continue
			}
			h, err := decodePageHead(v)
			if err != nil {
				return corruptValue("page", u, err)
			}
			heads[i] = h
		}
		return nil
	})
	return heads, err
}

// ForEachPageHead calls fn with the URL and head of every stored page,
// deleted ones included, by URL, and stops at the first error fn returns,
// which it returns as is. Like ForEachNotification it reads in chunks and
// calls fn outside any transaction.
func (l *Ledger) ForEachPageHead(fn func(url string, h PageHead) error) error {
	type entry struct {
		url  string
		head PageHead
	}
	decode := func(k, v []byte) (entry, error) {
		h, err := decodePageHead(v)
		if err != nil {
			return entry{}, corruptValue("page", string(k), err)
		}
		return entry{string(k), h}, nil
	}
	return forEachChunked(l, bucketPages, decode, func(e entry) error { return fn(e.url, e.head) })
}

// PageCount returns how many pages are stored, deleted ones included.
func (l *Ledger) PageCount() (int, error) {
	var n int
	err := l.view(readOp, func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketPages).Stats().KeyN
		return nil
	})
	return n, err
}

// Notification returns the stored notification of target by source; ok is
// false when there is none.
func (l *Ledger) Notification(source, target string) (n Notification, ok bool, err error) {
	err = l.view(readOp, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketNotifications).Get(notificationKey(source, target))
		if v == nil {
			return nil
		}
		got, err := decodeNotificationValue(source, target, v)
		if err != nil {
			return corruptValue("notification", source+" -> "+target, err)
		}
		n, ok = got, true
		return nil
	})
	return n, ok, err
}

// NotificationsFor returns every notification whose Source is source,
// sorted by Target.
func (l *Ledger) NotificationsFor(source string) ([]Notification, error) {
	var out []Notification
	prefix := notificationKey(source, "")
	err := l.view(readOp, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketNotifications).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			n, err := decodeNotification(k, v)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// forEachChunk is how many notifications ForEachNotification reads per
// transaction.
const forEachChunk = 1024

// ForEachNotification calls fn for every notification in key order (by
// Source, then Target) and stops at the first error fn returns, which it
// returns as is. fn runs outside any transaction, so it may call any Ledger
// method, Commit included; the notifications are read in chunks, so a
// change fn commits is seen only for keys not yet visited.
func (l *Ledger) ForEachNotification(fn func(Notification) error) error {
	return forEachChunked(l, bucketNotifications, decodeNotification, fn)
}

// forEachChunked calls fn for every record of a bucket in key order,
// reading forEachChunk records per read transaction and calling fn outside
// of it.
func forEachChunked[T any](l *Ledger, bucket []byte, decode func(k, v []byte) (T, error), fn func(T) error) error {
	var after []byte
	for {
		chunk := make([]T, 0, forEachChunk)
		err := l.view(readOp, func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(chunk) < forEachChunk; k, v = c.Next() {
				r, err := decode(k, v)
				if err != nil {
					return err
				}
				chunk = append(chunk, r)
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
		if len(chunk) < forEachChunk {
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
// statuses, in key order (by Source, then Target); for example the
// unsettled ones a run must look at whatever pages changed:
//
//	l.NotificationsWith(StatusInFlight, StatusPending, StatusRetry, StatusDeferred)
//
// Only the status of the others is read, so this is much cheaper than
// ForEachNotification when few match.
func (l *Ledger) NotificationsWith(statuses ...Status) ([]Notification, error) {
	var out []Notification
	err := l.view(readOp, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNotifications).ForEach(func(k, v []byte) error {
			s, err := statusOf(v)
			if err != nil {
				return corruptValue("notification", string(k), err)
			}
			if !slices.Contains(statuses, s) {
				return nil
			}
			n, err := decodeNotification(k, v)
			if err != nil {
				return err
			}
			out = append(out, n)
			return nil
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
		return tx.Bucket(bucketNotifications).ForEach(func(k, v []byte) error {
			s, err := statusOf(v)
			if err != nil {
				return corruptValue("notification", string(k), err)
			}
			counts[s]++
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
	err = l.view(readOp, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDiscovery).Get([]byte(target))
		if v == nil {
			return nil
		}
		c, err := decodeDiscovery(target, v)
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

func decodeDiscoveryKV(k, v []byte) (Discovery, error) {
	d, err := decodeDiscovery(string(k), v)
	if err != nil {
		return Discovery{}, corruptValue("discovery", string(k), err)
	}
	return d, nil
}

// decodeNotificationKV is decodeNotification, refusing an unknown status.
func decodeNotificationKV(k, v []byte) (Notification, error) {
	n, err := decodeNotification(k, v)
	if err == nil && !n.Status.Valid() {
		err = fmt.Errorf("%w: notification %s -> %s: unknown status %q", ErrCorrupt, n.Source, n.Target, n.Status)
	}
	return n, err
}
