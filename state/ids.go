package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	bolt "go.etcd.io/bbolt"
)

// URLs are interned: each is stored once, in the urls bucket, under a
// sequential id, and everything else refers to it by that id. A URL is
// stored as the id of its host (scheme://host[:port], interned the same
// way in the hosts bucket), the key of its page's record in the pages
// bucket (0 when it has none), and the rest of its bytes, because hosts
// repeat far more than paths do.
//
// urlids finds the id of a URL by a 64-bit hash of it, in 4096 keys: the
// hash's top 12 bits are the key, and its value lists 7-byte entries, the
// hash's next 24 bits and the url id (big-endian), sorted. A URL costs the
// index 7 bytes instead of a key of its own (16 bytes of bbolt's before
// any of ours), and a commit of many new URLs rewrites 4096 values rather
// than splitting and copying a tree of a million keys. Entries whose bits
// match are candidates; the URL itself decides.
//
// Page records have keys of their own, also sequential, given when the
// record is made: a page is often a link target (and given its url id)
// long before it is scanned, and records keyed by url id would land all
// over the bucket instead of at its end.

// appendID appends id in a variable-length encoding whose byte order is its
// numeric order, so sequential ids are appended at the end of a bucket
// (which bbolt then fills densely) and keys stay short: one byte up to
// 127, two up to 16383, three up to 2,097,151, four up to 268,435,455.
func appendID(b []byte, id uint64) []byte {
	switch {
	case id < 1<<7:
		return append(b, byte(id))
	case id < 1<<14:
		return append(b, 0x80|byte(id>>8), byte(id))
	case id < 1<<21:
		return append(b, 0xC0|byte(id>>16), byte(id>>8), byte(id))
	case id < 1<<28:
		return append(b, 0xE0|byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xF0), id)
}

// idKey is appendID to a new slice.
func idKey(id uint64) []byte { return appendID(make([]byte, 0, 4), id) }

// readID decodes an id appendID wrote, the whole of k.
func readID(k []byte) (uint64, bool) {
	if len(k) == 0 {
		return 0, false
	}
	c := k[0]
	var id uint64
	var n int
	switch {
	case c < 0x80:
		return uint64(c), len(k) == 1
	case c < 0xC0:
		id, n = uint64(c&0x3F), 2
	case c < 0xE0:
		id, n = uint64(c&0x1F), 3
	case c < 0xF0:
		id, n = uint64(c&0x0F), 4
	case c == 0xF0 && len(k) == 9:
		return binary.BigEndian.Uint64(k[1:]), true
	default:
		return 0, false
	}
	if len(k) != n {
		return 0, false
	}
	for _, b := range k[1:] {
		id = id<<8 | uint64(b)
	}
	return id, true
}

// splitURL splits a URL into its host part, "scheme://host[:port]", and the
// rest (path, query, fragment). A string without "://" has no host part.
func splitURL(s string) (host, rest string) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", s
	}
	end := len(s)
	if j := strings.IndexAny(s[i+3:], "/?#"); j >= 0 {
		end = i + 3 + j
	}
	return s[:end], s[end:]
}

// indexEntry is the size of an entry of urlids.
const indexEntry = 7

// urlIndex is where s goes in urlids: its key and its entry's hash bits.
func urlIndex(s string) (key [2]byte, bits uint32) {
	h := xxhash.Sum64String(s)
	binary.BigEndian.PutUint16(key[:], uint16(h>>52))
	return key, uint32(h>>28) & 0xFFFFFF
}

// indexIDs returns the ids of the entries of value v with these hash bits.
func indexIDs(v []byte, bits uint32) []uint64 {
	lo, hi := 0, len(v)/indexEntry
	for lo < hi { // the first entry whose bits are not below
		m := int(uint(lo+hi) >> 1)
		if entryBits(v[m*indexEntry:]) < bits {
			lo = m + 1
		} else {
			hi = m
		}
	}
	var ids []uint64
	for i := lo; i < len(v)/indexEntry && entryBits(v[i*indexEntry:]) == bits; i++ {
		ids = append(ids, uint64(binary.BigEndian.Uint32(v[i*indexEntry+3:])))
	}
	return ids
}

func entryBits(e []byte) uint32 { return uint32(e[0])<<16 | uint32(e[1])<<8 | uint32(e[2]) }

func appendIndexEntry(v []byte, bits uint32, id uint64) []byte {
	v = append(v, byte(bits>>16), byte(bits>>8), byte(bits))
	return binary.BigEndian.AppendUint32(v, uint32(id))
}

// urlEntry is a value of the urls bucket, decoded.
type urlEntry struct {
	url  string
	page uint64 // key of the page record, 0: none
}

// interner reads and assigns ids within one transaction. It remembers
// what it resolved, so a record read or written twice costs one lookup.
type interner struct {
	tx             *bolt.Tx
	urls, urlIDs   *bolt.Bucket
	hosts, hostIDs *bolt.Bucket
	byURL          map[string]uint64
	byID           map[uint64]urlEntry
	hostByName     map[string]uint64
	hostByID       map[uint64]string
	// added are the index entries of the URLs interned in this
	// transaction, by key; flush writes them.
	added map[[2]byte][]byte
	// fresh are the urls entries of the URLs interned in this transaction,
	// fresh[i] that of id freshFrom+i (ids are given in turn): flush
	// writes each once, with the page key setPage gave it, in id order
	// (appends at the end of the bucket).
	fresh     []urlValue
	freshFrom uint64
	// urlsCur and urlIDsCur read the buckets: Bucket.Get would make a
	// cursor, and grow its stack, on every call.
	urlsCur, urlIDsCur *bolt.Cursor
	// index holds the values of urlids read in this transaction: a batch
	// of many URLs reads each of the 4096 once.
	index map[[2]byte][]byte
}

// urlValue is a urls entry to write: see encodeURLEntry.
type urlValue struct {
	hostID, page uint64
	rest         string
}

func newInterner(tx *bolt.Tx) *interner {
	in := &interner{
		tx: tx, urls: tx.Bucket(bucketURLs), urlIDs: tx.Bucket(bucketURLIDs),
		hosts: tx.Bucket(bucketHosts), hostIDs: tx.Bucket(bucketHostIDs),
		byURL: map[string]uint64{}, byID: map[uint64]urlEntry{},
		hostByName: map[string]uint64{}, hostByID: map[uint64]string{},
		added: map[[2]byte][]byte{}, index: map[[2]byte][]byte{},
	}
	in.urlsCur, in.urlIDsCur = in.urls.Cursor(), in.urlIDs.Cursor()
	return in
}

// get is Bucket.Get through a cursor the transaction keeps. The cursor
// seeks from the root every time, so writes in between do not matter.
func get(c *bolt.Cursor, key []byte) []byte {
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// lookup returns the id of a URL, or false when the ledger has none.
func (in *interner) lookup(s string) (uint64, bool, error) {
	if id, ok := in.byURL[s]; ok {
		return id, true, nil
	}
	key, bits := urlIndex(s)
	v, ok := in.index[key]
	if !ok {
		v = get(in.urlIDsCur, key[:]) // valid until the transaction writes the key: flush does
		in.index[key] = v
	}
	for _, id := range indexIDs(v, bits) {
		got, err := in.entry(id)
		if err != nil {
			return 0, false, err
		}
		if got.url == s {
			in.byURL[s] = id
			return id, true, nil
		}
	}
	return 0, false, nil
}

// intern returns the id of a URL, assigning the next one when the ledger
// has none (in a writable transaction, whose writer flushes the index).
func (in *interner) intern(s string) (uint64, error) {
	if id, ok, err := in.lookup(s); ok || err != nil {
		return id, err
	}
	host, rest := splitURL(s)
	hostID, err := in.internHost(host)
	if err != nil {
		return 0, err
	}
	id, err := in.urls.NextSequence()
	if err != nil {
		return 0, err
	}
	if id > 1<<32-1 {
		return 0, fmt.Errorf("url %s: the ledger holds 4 billion URLs", s)
	}
	if len(in.fresh) == 0 {
		in.freshFrom = id
	}
	if id != in.freshFrom+uint64(len(in.fresh)) {
		return 0, fmt.Errorf("url %s: id %d out of turn (the url sequence moved)", s, id)
	}
	in.fresh = append(in.fresh, urlValue{hostID: hostID, rest: rest})
	key, bits := urlIndex(s)
	in.added[key] = appendIndexEntry(in.added[key], bits, id)
	in.byURL[s], in.byID[id] = id, urlEntry{url: s}
	return id, nil
}

// flush writes the URLs interned in the transaction and their index
// entries, each key's value once: the new entries sorted and merged into
// the stored ones, which are sorted already.
func (in *interner) flush() error {
	for i, f := range in.fresh {
		if err := in.urls.Put(idKey(in.freshFrom+uint64(i)), encodeURLEntry(f.hostID, f.page, f.rest)); err != nil {
			return err
		}
	}
	clear(in.fresh)
	in.fresh = in.fresh[:0]
	for key, add := range in.added {
		entries := make([][indexEntry]byte, len(add)/indexEntry)
		for i := range entries {
			copy(entries[i][:], add[i*indexEntry:])
		}
		slices.SortFunc(entries, func(a, b [indexEntry]byte) int { return bytes.Compare(a[:], b[:]) })
		old := in.urlIDs.Get(key[:])
		if len(old)%indexEntry != 0 {
			return fmt.Errorf("%w: url index %x: %d bytes", ErrCorrupt, key, len(old))
		}
		v := make([]byte, 0, len(old)+len(add))
		for len(old) > 0 || len(entries) > 0 {
			if len(entries) == 0 || len(old) > 0 && bytes.Compare(old[:indexEntry], entries[0][:]) <= 0 {
				v, old = append(v, old[:indexEntry]...), old[indexEntry:]
			} else {
				v, entries = append(v, entries[0][:]...), entries[1:]
			}
		}
		if err := in.urlIDs.Put(key[:], v); err != nil {
			return err
		}
	}
	clear(in.added)
	clear(in.index)
	return nil
}

func encodeURLEntry(hostID, page uint64, rest string) []byte {
	v := binary.AppendUvarint(make([]byte, 0, 6+len(rest)), hostID)
	v = binary.AppendUvarint(v, page)
	return append(v, rest...)
}

// url returns the URL with this id.
func (in *interner) url(id uint64) (string, error) {
	e, err := in.entry(id)
	return e.url, err
}

// entry returns the urls entry with this id.
func (in *interner) entry(id uint64) (urlEntry, error) {
	if e, ok := in.byID[id]; ok {
		return e, nil
	}
	v := get(in.urlsCur, idKey(id))
	if v == nil {
		return urlEntry{}, fmt.Errorf("%w: url %d is missing", ErrCorrupt, id)
	}
	hostID, n := binary.Uvarint(v)
	if n <= 0 {
		return urlEntry{}, fmt.Errorf("%w: url %d: bad host id", ErrCorrupt, id)
	}
	page, m := binary.Uvarint(v[n:])
	if m <= 0 {
		return urlEntry{}, fmt.Errorf("%w: url %d: bad page key", ErrCorrupt, id)
	}
	host, err := in.host(hostID)
	if err != nil {
		return urlEntry{}, err
	}
	e := urlEntry{url: host + string(v[n+m:]), page: page}
	in.byID[id] = e
	return e, nil
}

// setPage records the key of the page record of URL id.
func (in *interner) setPage(id, page uint64) error {
	e, err := in.entry(id)
	if err != nil {
		return err
	}
	if i := id - in.freshFrom; len(in.fresh) > 0 && id >= in.freshFrom && i < uint64(len(in.fresh)) {
		in.fresh[i].page = page // written by flush
		e.page = page
		in.byID[id] = e
		return nil
	}
	host, rest := splitURL(e.url)
	hostID, err := in.internHost(host)
	if err != nil {
		return err
	}
	if err := in.urls.Put(idKey(id), encodeURLEntry(hostID, page, rest)); err != nil {
		return err
	}
	e.page = page
	in.byID[id] = e
	return nil
}

// host returns the host part with this id; 0 is none.
func (in *interner) host(id uint64) (string, error) {
	if id == 0 {
		return "", nil
	}
	if h, ok := in.hostByID[id]; ok {
		return h, nil
	}
	v := in.hosts.Get(idKey(id))
	if v == nil {
		return "", fmt.Errorf("%w: host %d is missing", ErrCorrupt, id)
	}
	h := string(v)
	in.hostByID[id], in.hostByName[h] = h, id
	return h, nil
}

func (in *interner) internHost(h string) (uint64, error) {
	if h == "" {
		return 0, nil
	}
	if id, ok := in.hostByName[h]; ok {
		return id, nil
	}
	if v := in.hostIDs.Get([]byte(h)); v != nil {
		id, n := binary.Uvarint(v)
		if n <= 0 {
			return 0, fmt.Errorf("%w: host index of %s: bad id", ErrCorrupt, h)
		}
		in.hostByName[h], in.hostByID[id] = id, h
		return id, nil
	}
	id, err := in.hosts.NextSequence()
	if err != nil {
		return 0, err
	}
	if err := in.hosts.Put(idKey(id), []byte(h)); err != nil {
		return 0, err
	}
	if err := in.hostIDs.Put([]byte(h), binary.AppendUvarint(nil, id)); err != nil {
		return 0, err
	}
	in.hostByName[h], in.hostByID[id] = id, h
	return id, nil
}
