package mention

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/internal/boltfile"
	"github.com/hugo-pingback/hugo-pingback/linkurl"
)

// SchemaVersion is the layout version of the mention store this build
// writes and reads; Open refuses a newer one with ErrSchema.
const SchemaVersion = 1

// More errors a caller can test with errors.Is.
var (
	// ErrReadOnly means a write on a store opened with Options.ReadOnly.
	ErrReadOnly = errors.New("mention store is open read-only")
	// ErrClosed means the store was used after Close.
	ErrClosed = errors.New("mention store is closed")
	// ErrInvalid means a record or argument the store refuses (an unknown
	// state, a URL that is not absolute http(s), an empty host); nothing
	// was written. The error names the value.
	ErrInvalid = errors.New("invalid mention record")
)

// Bucket names; see the package doc for the layout.
var (
	bucketMentions = []byte("mentions")
	bucketPairs    = []byte("pairs")
	bucketTargets  = []byte("targets")
	bucketStates   = []byte("states")
	bucketApproved = []byte("approved")
	bucketRequests = []byte("requests")
	bucketQueued   = []byte("queued")
	bucketBlocked  = []byte("blocked")

	dataBuckets = [][]byte{bucketMentions, bucketPairs, bucketTargets, bucketStates, bucketApproved, bucketRequests, bucketQueued, bucketBlocked}
)

var format = &boltfile.Format{
	Name:        "mention store",
	Schema:      SchemaVersion,
	Buckets:     dataBuckets,
	ErrLocked:   ErrLocked,
	ErrCorrupt:  ErrCorrupt,
	ErrSchema:   ErrSchema,
	ErrReadOnly: ErrReadOnly,
	ErrClosed:   ErrClosed,
}

// Options configures Open. A nil *Options means the defaults.
type Options struct {
	// Timeout is how long Open waits for the lock another process holds
	// (a running `serve`) before failing with ErrLocked; 0 means one
	// second, a negative value a single attempt.
	Timeout time.Duration
	// ReadOnly opens an existing store for reading only; it shares the lock
	// with other readers but not with a writer. A missing file is an error
	// wrapping fs.ErrNotExist.
	ReadOnly bool
	// Now is the clock for Received and Updated times; nil means time.Now.
	Now func() time.Time
	// NoSync turns fsync off. Only benchmarks that measure what fsync
	// costs set it: a store opened so loses acknowledged requests on a
	// power cut.
	NoSync bool
}

// BoltStore is the Store of `hugo-pingback serve`: one bbolt file. It is
// safe for concurrent use.
type BoltStore struct {
	f   *boltfile.File
	now func() time.Time

	boltBatch bool // Enqueue through bbolt's DB.Batch: for the benchmark that compares
}

var _ Store = (*BoltStore)(nil)

// Open opens the mention store at path, creating it (and its directories)
// unless opts.ReadOnly is set. Its errors name path and wrap ErrLocked
// (another process, such as a running `serve`, holds it beyond
// opts.Timeout), ErrCorrupt (not a hugo-pingback mention store: an empty,
// truncated or foreign file, never modified), ErrSchema (a newer
// hugo-pingback wrote it) or fs.ErrNotExist (read-only and missing).
func Open(path string, opts *Options) (*BoltStore, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	f, err := boltfile.Open(path, format, boltfile.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly, Now: o.Now(), NoSync: o.NoSync})
	if err != nil {
		return nil, err
	}
	return &BoltStore{f: f, now: o.Now}, nil
}

// Path returns the store's file as given to Open.
func (s *BoltStore) Path() string { return s.f.Path() }

// Close releases the file and its lock; what was written is on disk.
func (s *BoltStore) Close() error { return s.f.Close() }

// NewRequestID returns a request ID for a request received at t: 16 hex
// digits of t (Unix nanoseconds), then 128 bits from crypto/rand in hex.
// The random part makes it unguessable (it is in a Webmention's status
// URL); the time prefix makes new requests append to the end of the
// requests bucket instead of landing on random pages of it, which cut the
// pages one Enqueue commit writes several times over.
func NewRequestID(t time.Time) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixNano()))
	_, _ = rand.Read(b[8:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
}

// Enqueue commits r as a new queued request: it assigns r.ID, sets r.State
// to Queued and a zero r.Received to now, and returns once the request is
// on disk. Concurrent calls share one transaction and one fsync (group
// commit: the calls that arrive while one commit runs make the next), which
// is what lets a receiver answer thousands of Webmentions a second, each
// only after its request is durable.
func (s *BoltStore) Enqueue(ctx context.Context, r *Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkPair(r.Source, r.Target); err != nil {
		return err
	}
	q := *r
	q.State = Queued
	if q.Received.IsZero() {
		q.Received = s.now()
	}
	q.Received = q.Received.UTC()
	q.ID = NewRequestID(q.Received)
	val, err := json.Marshal(&q)
	if err != nil {
		return err
	}
	qkey := queuedKey(&q)
	// This may run more than once (see GroupUpdate): everything it writes
	// is computed above, so a second run writes the same keys and values.
	put := func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketRequests).Put([]byte(q.ID), val); err != nil {
			return err
		}
		return tx.Bucket(bucketQueued).Put(qkey, nil)
	}
	if s.boltBatch {
		err = s.f.Batch("enqueue request in mention store", put)
	} else {
		err = s.f.GroupUpdate("enqueue request in mention store", put)
	}
	if err != nil {
		return err
	}
	*r = q
	return nil
}

// Request returns the request with that ID (ErrNotFound when there is none).
func (s *BoltStore) Request(ctx context.Context, id string) (Request, error) {
	var r Request
	if err := ctx.Err(); err != nil {
		return r, err
	}
	err := s.f.View("read mention store", func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRequests).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("request %q: %w", id, ErrNotFound)
		}
		return decode("request", id, v, &r)
	})
	return r, err
}

// Queued returns the requests still to verify, oldest first.
func (s *BoltStore) Queued(ctx context.Context) ([]Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rs []Request
	err := s.f.View("read mention store", func(tx *bolt.Tx) error {
		reqs := tx.Bucket(bucketRequests)
		return tx.Bucket(bucketQueued).ForEach(func(k, _ []byte) error {
			if len(k) <= 8 {
				return fmt.Errorf("%w: queued key %x is too short", ErrCorrupt, k)
			}
			id := string(k[8:])
			v := reqs.Get(k[8:])
			if v == nil {
				return fmt.Errorf("%w: queued request %s has no record", ErrCorrupt, id)
			}
			var r Request
			if err := decode("request", id, v, &r); err != nil {
				return err
			}
			rs = append(rs, r)
			return nil
		})
	})
	return rs, err
}

// Settle records the outcome of verifying r in one transaction: r as it now
// stands (a request with no ID, as a Pingback verified at once, gets one and
// is stored) and, when m is not nil, the mention it creates or updates.
//
// The mention is matched by source and target compared with linkurl.Key,
// so https://Blog.example.net/p and https://blog.example.net/p/ update one
// mention. An update keeps the mention's ID and first Received time; a zero
// Updated becomes now. m.ID and r.Mention are set on return.
func (s *BoltStore) Settle(ctx context.Context, r *Request, m *Mention) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q := *r
	if q.Received.IsZero() {
		q.Received = s.now()
	}
	q.Received = q.Received.UTC()
	if q.ID == "" {
		q.ID = NewRequestID(q.Received)
	}
	if err := checkPair(q.Source, q.Target); err != nil {
		return err
	}
	var mm Mention
	if m != nil {
		mm = *m
		if err := checkMention(&mm); err != nil {
			return err
		}
	}
	now := s.now().UTC()
	// A group commit, as Enqueue: concurrent settles (Pingbacks verified
	// while their senders wait) share one fsync. The closure may run twice
	// (see GroupUpdate), so each run starts from the same values.
	m0, q0 := mm, q
	err := s.f.GroupUpdate("settle request in mention store", func(tx *bolt.Tx) error {
		mm, q = m0, q0
		if m != nil {
			if err := putMention(tx, &mm, now); err != nil {
				return err
			}
			q.Mention = mm.ID
		}
		reqs := tx.Bucket(bucketRequests)
		if old := reqs.Get([]byte(q.ID)); old != nil {
			var o Request
			if err := decode("request", q.ID, old, &o); err != nil {
				return err
			}
			// The queue index is keyed by the received time it was queued with.
			if err := tx.Bucket(bucketQueued).Delete(queuedKey(&o)); err != nil {
				return err
			}
		}
		if q.State == Queued {
			if err := tx.Bucket(bucketQueued).Put(queuedKey(&q), nil); err != nil {
				return err
			}
		}
		val, err := json.Marshal(&q)
		if err != nil {
			return err
		}
		return reqs.Put([]byte(q.ID), val)
	})
	if err != nil {
		return err
	}
	*r = q
	if m != nil {
		*m = mm
	}
	return nil
}

// putMention inserts or updates m, matched by its pair key, and keeps every
// index in step. m is updated to what was stored.
func putMention(tx *bolt.Tx, m *Mention, now time.Time) error {
	pairs, mentions := tx.Bucket(bucketPairs), tx.Bucket(bucketMentions)
	pk := pairKey(m.Source, m.Target)
	var old *Mention
	if idb := pairs.Get(pk); idb != nil {
		id := ID(binary.BigEndian.Uint64(idb))
		o, err := getMention(tx, id)
		if err != nil {
			return err
		}
		old = &o
		m.ID = id
		if !o.Received.IsZero() && (m.Received.IsZero() || o.Received.Before(m.Received)) {
			m.Received = o.Received // the first request
		}
	} else {
		seq, err := mentions.NextSequence()
		if err != nil {
			return err
		}
		m.ID = ID(seq)
		if err := pairs.Put(pk, idKey(m.ID)); err != nil {
			return err
		}
	}
	if m.Received.IsZero() {
		m.Received = now
	}
	if m.Updated.IsZero() {
		m.Updated = now
	}
	return writeMention(tx, old, m)
}

// writeMention stores m over old (nil for a new mention) and moves its
// index entries: by state, by target, and approved by source host.
func writeMention(tx *bolt.Tx, old, m *Mention) error {
	normalise(m)
	val, err := json.Marshal(m)
	if err != nil {
		return err
	}
	id := idKey(m.ID)
	if err := tx.Bucket(bucketMentions).Put(id, val); err != nil {
		return err
	}
	states, approved := tx.Bucket(bucketStates), tx.Bucket(bucketApproved)
	if old != nil {
		if err := states.Delete(indexKey(string(old.State), m.ID)); err != nil {
			return err
		}
		if old.State == Approved {
			if err := approved.Delete(indexKey(sourceHost(old.Source), m.ID)); err != nil {
				return err
			}
		}
	} else if err := tx.Bucket(bucketTargets).Put(indexKey(linkurl.KeyOf(m.Target), m.ID), nil); err != nil {
		return err
	}
	if err := states.Put(indexKey(string(m.State), m.ID), nil); err != nil {
		return err
	}
	if m.State == Approved {
		return approved.Put(indexKey(sourceHost(m.Source), m.ID), nil)
	}
	return nil
}

// normalise stores times in UTC without a monotonic reading, so a mention
// read back equals the one written.
func normalise(m *Mention) {
	for _, t := range []*time.Time{&m.Received, &m.Updated, &m.Verified, &m.Published} {
		if !t.IsZero() {
			*t = t.UTC().Round(0)
		}
	}
}

func getMention(tx *bolt.Tx, id ID) (Mention, error) {
	var m Mention
	v := tx.Bucket(bucketMentions).Get(idKey(id))
	if v == nil {
		return m, fmt.Errorf("mention %d: %w", id, ErrNotFound)
	}
	err := decode("mention", fmt.Sprint(id), v, &m)
	return m, err
}

// Mention returns one mention by ID (ErrNotFound when there is none).
func (s *BoltStore) Mention(ctx context.Context, id ID) (Mention, error) {
	var m Mention
	if err := ctx.Err(); err != nil {
		return m, err
	}
	err := s.f.View("read mention store", func(tx *bolt.Tx) error {
		var err error
		m, err = getMention(tx, id)
		return err
	})
	return m, err
}

// Find returns the mention of target by source (compared with
// linkurl.Key), if there is one.
func (s *BoltStore) Find(ctx context.Context, source, target string) (Mention, bool, error) {
	var m Mention
	if err := ctx.Err(); err != nil {
		return m, false, err
	}
	found := false
	err := s.f.View("read mention store", func(tx *bolt.Tx) error {
		idb := tx.Bucket(bucketPairs).Get(pairKey(source, target))
		if idb == nil {
			return nil
		}
		var err error
		m, err = getMention(tx, ID(binary.BigEndian.Uint64(idb)))
		found = err == nil
		return err
	})
	return m, found, err
}

// Mentions returns the mentions f selects, in ID order. A Target filter is
// one prefix scan of the target index, a States filter one per state of the
// state index; only the mentions those select are decoded.
func (s *BoltStore) Mentions(ctx context.Context, f Filter) ([]Mention, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, st := range f.States {
		if !st.Valid() {
			return nil, fmt.Errorf("list mentions: %w: unknown state %q", ErrInvalid, st)
		}
	}
	var targetKey, sourceKey string
	if f.Target != "" {
		if targetKey = linkurl.KeyOf(f.Target); targetKey == "" {
			return nil, fmt.Errorf("list mentions: %w: target %q is not an absolute http(s) URL", ErrInvalid, f.Target)
		}
	}
	if f.Source != "" {
		if sourceKey = linkurl.KeyOf(f.Source); sourceKey == "" {
			return nil, fmt.Errorf("list mentions: %w: source %q is not an absolute http(s) URL", ErrInvalid, f.Source)
		}
	}
	var out []Mention
	err := s.f.View("read mention store", func(tx *bolt.Tx) error {
		out = nil
		keep := func(m *Mention) bool {
			if len(f.States) > 0 && !slices.Contains(f.States, m.State) {
				return false
			}
			if targetKey != "" && linkurl.KeyOf(m.Target) != targetKey {
				return false
			}
			return sourceKey == "" || linkurl.KeyOf(m.Source) == sourceKey
		}
		var ids []ID
		switch {
		case targetKey != "":
			ids = scanIndex(tx.Bucket(bucketTargets), targetKey, f.Since)
		case len(f.States) > 0:
			for _, st := range f.States {
				ids = append(ids, scanIndex(tx.Bucket(bucketStates), string(st), f.Since)...)
			}
			slices.Sort(ids)
			ids = slices.Compact(ids)
		default:
			c := tx.Bucket(bucketMentions).Cursor()
			for k, v := c.Seek(idKey(f.Since + 1)); k != nil; k, v = c.Next() {
				var m Mention
				if err := decode("mention", fmt.Sprint(binary.BigEndian.Uint64(k)), v, &m); err != nil {
					return err
				}
				if keep(&m) {
					out = append(out, m)
					if f.Limit > 0 && len(out) == f.Limit {
						break
					}
				}
			}
			return nil
		}
		for _, id := range ids {
			m, err := getMention(tx, id)
			if err != nil {
				return fmt.Errorf("%w: index names %w", ErrCorrupt, err)
			}
			if keep(&m) {
				out = append(out, m)
				if f.Limit > 0 && len(out) == f.Limit {
					break
				}
			}
		}
		return nil
	})
	return out, err
}

// scanIndex returns the IDs above since under prefix+0x00 in an index.
func scanIndex(b *bolt.Bucket, prefix string, since ID) []ID {
	p := append([]byte(prefix), 0)
	var ids []ID
	c := b.Cursor()
	for k, _ := c.Seek(indexKey(prefix, since+1)); k != nil && bytes.HasPrefix(k, p) && len(k) == len(p)+8; k, _ = c.Next() {
		ids = append(ids, ID(binary.BigEndian.Uint64(k[len(p):])))
	}
	return ids
}

// Moderate sets the state and reason of the mentions with these IDs, all
// in one transaction, and returns them as they now are. An unknown ID is
// ErrNotFound (naming it) and an unknown state ErrInvalid; either changes
// nothing.
func (s *BoltStore) Moderate(ctx context.Context, ids []ID, st State, reason string) ([]Mention, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !st.Valid() {
		return nil, fmt.Errorf("moderate mentions: %w: unknown state %q (want one of %s)", ErrInvalid, st, statesList())
	}
	now := s.now().UTC()
	var out []Mention
	err := s.f.Update("moderate mentions in mention store", func(tx *bolt.Tx) error {
		out = nil
		for _, id := range ids {
			old, err := getMention(tx, id)
			if err != nil {
				return err
			}
			m := old
			m.State, m.Reason, m.Updated = st, reason, now
			if err := writeMention(tx, &old, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HasApproved reports whether any mention from a source on host is
// approved: one seek in the approved-by-host index.
func (s *BoltStore) HasApproved(ctx context.Context, host string) (bool, error) {
	n, err := s.approved(ctx, host, 1)
	return n > 0, err
}

// ApprovedCount returns how many approved mentions have a source on host,
// reading only that host's entries of the approved index.
func (s *BoltStore) ApprovedCount(ctx context.Context, host string) (int, error) {
	return s.approved(ctx, host, 0)
}

func (s *BoltStore) approved(ctx context.Context, host string, max int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	h := NormaliseHost(host)
	if h == "" {
		return 0, nil
	}
	p := append([]byte(h), 0)
	n := 0
	err := s.f.View("read mention store", func(tx *bolt.Tx) error {
		n = 0
		c := tx.Bucket(bucketApproved).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && (max == 0 || n < max); k, _ = c.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// BlockedReason is the Reason of a mention marked spam by Block.
const BlockedReason = "blocked host"

// Block adds host to the store's deny list and marks the pending mentions
// from sources on it spam with Reason BlockedReason, in one transaction.
// host is a host name (case and a trailing dot do not matter); blocking a
// host twice is not an error.
func (s *BoltStore) Block(ctx context.Context, host string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h := NormaliseHost(host)
	if h == "" || strings.ContainsAny(h, "/:@ \x00") {
		return fmt.Errorf("block host: %w: %q is not a host name", ErrInvalid, host)
	}
	now := s.now().UTC()
	return s.f.Update("block host in mention store", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlocked)
		if b.Get([]byte(h)) == nil {
			if err := b.Put([]byte(h), []byte(now.Format(time.RFC3339))); err != nil {
				return err
			}
		}
		for _, id := range scanIndex(tx.Bucket(bucketStates), string(Pending), 0) {
			old, err := getMention(tx, id)
			if err != nil {
				return err
			}
			if sourceHost(old.Source) != h {
				continue
			}
			m := old
			m.State, m.Reason, m.Updated = Spam, BlockedReason, now
			if err := writeMention(tx, &old, &m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Blocked returns the blocked hosts, sorted.
func (s *BoltStore) Blocked(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var hosts []string
	err := s.f.View("read mention store", func(tx *bolt.Tx) error {
		hosts = nil
		return tx.Bucket(bucketBlocked).ForEach(func(k, _ []byte) error {
			hosts = append(hosts, string(k))
			return nil
		})
	})
	return hosts, err
}

// Check reads the whole store: every record decodes, every index entry
// points at a record that agrees with it and every record has its index
// entries; then bbolt's own check of the file. It is for tests, the crash
// test and troubleshooting.
func (s *BoltStore) Check() error {
	return s.f.Check(checkRecords)
}

func checkRecords(tx *bolt.Tx) error {
	want := map[string]map[string]bool{} // bucket -> keys the records imply
	for _, b := range dataBuckets {
		want[string(b)] = map[string]bool{}
	}
	add := func(b []byte, k []byte) { want[string(b)][string(k)] = true }
	err := tx.Bucket(bucketMentions).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("%w: mention key %x is not 8 bytes", ErrCorrupt, k)
		}
		id := ID(binary.BigEndian.Uint64(k))
		var m Mention
		if err := decode("mention", fmt.Sprint(id), v, &m); err != nil {
			return err
		}
		if m.ID != id || !m.State.Valid() {
			return fmt.Errorf("%w: mention %d: id %d, state %q", ErrCorrupt, id, m.ID, m.State)
		}
		add(bucketPairs, pairKey(m.Source, m.Target))
		add(bucketTargets, indexKey(linkurl.KeyOf(m.Target), id))
		add(bucketStates, indexKey(string(m.State), id))
		if m.State == Approved {
			add(bucketApproved, indexKey(sourceHost(m.Source), id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
		var r Request
		if err := decode("request", string(k), v, &r); err != nil {
			return err
		}
		if r.ID != string(k) {
			return fmt.Errorf("%w: request %s holds id %q", ErrCorrupt, k, r.ID)
		}
		if r.State == Queued {
			add(bucketQueued, queuedKey(&r))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, b := range [][]byte{bucketPairs, bucketTargets, bucketStates, bucketApproved, bucketQueued} {
		n := 0
		err := tx.Bucket(b).ForEach(func(k, _ []byte) error {
			if !want[string(b)][string(k)] {
				return fmt.Errorf("%w: index %s has entry %q no record implies", ErrCorrupt, b, k)
			}
			n++
			return nil
		})
		if err != nil {
			return err
		}
		if n != len(want[string(b)]) {
			return fmt.Errorf("%w: index %s has %d entries, the records imply %d", ErrCorrupt, b, n, len(want[string(b)]))
		}
	}
	return nil
}

// decode reads a JSON record; a record that does not decode is corruption.
func decode(kind, key string, v []byte, into any) error {
	if err := json.Unmarshal(v, into); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrCorrupt, kind, key, err)
	}
	return nil
}

// Valid reports whether st is one of States.
func (st State) Valid() bool { return slices.Contains(States, st) }

func statesList() string {
	var b strings.Builder
	for i, st := range States {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(st))
	}
	return b.String()
}

// ParseState reads a state name as the CLI and the admin API take it.
func ParseState(s string) (State, error) {
	st := State(strings.ToLower(strings.TrimSpace(s)))
	if !st.Valid() {
		return "", fmt.Errorf("%w: unknown state %q (want one of %s)", ErrInvalid, s, statesList())
	}
	return st, nil
}

// NormaliseHost returns a host name as the store compares them: lower
// case, without a trailing dot or surrounding space.
func NormaliseHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// sourceHost is linkurl.Host of a source URL ("" when it does not parse).
func sourceHost(source string) string {
	u := linkurl.Parse(source)
	if u == nil {
		return ""
	}
	return linkurl.Host(u)
}

func checkPair(source, target string) error {
	if linkurl.KeyOf(source) == "" {
		return fmt.Errorf("%w: source %q is not an absolute http(s) URL", ErrInvalid, source)
	}
	if linkurl.KeyOf(target) == "" {
		return fmt.Errorf("%w: target %q is not an absolute http(s) URL", ErrInvalid, target)
	}
	return nil
}

func checkMention(m *Mention) error {
	if err := checkPair(m.Source, m.Target); err != nil {
		return err
	}
	if !m.State.Valid() {
		return fmt.Errorf("%w: mention %s -> %s: unknown state %q", ErrInvalid, m.Source, m.Target, m.State)
	}
	if len(m.Source)+len(m.Target) > bolt.MaxKeySize-16 {
		return fmt.Errorf("%w: mention %s -> %s: URLs too long", ErrInvalid, m.Source, m.Target)
	}
	return nil
}

// Keys; see the package doc.

func idKey(id ID) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

func indexKey(prefix string, id ID) []byte {
	k := make([]byte, 0, len(prefix)+9)
	k = append(k, prefix...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(id))
}

func pairKey(source, target string) []byte {
	return []byte(linkurl.KeyOf(source) + "\x00" + linkurl.KeyOf(target))
}

func queuedKey(r *Request) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(r.Received.UnixNano()))
	return append(k, r.ID...)
}
