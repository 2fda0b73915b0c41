package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hugo-pingback/hugo-pingback/internal/boltfile"
)

// The export is a logical copy of a ledger: JSON Lines of the public
// records (Page, Notification, Discovery, Feed, and the service calls), not
// of the file's layout, so it reads the same whatever schema wrote it and
// whatever schema imports it. It is deterministic: the same ledger state
// always exports to the same bytes, so a CI job that commits it makes a
// commit only when something was sent or recorded.
//
// The first line is the header:
//
//	{"format":"hugo-pingback ledger","version":1,"created":TIME,"first_run":TIME}
//
// then one record per line, in this order, each kind sorted by its key:
// "page" (by url), "notification" (by source, then target), "discovery"
// (by target), "feed" (by url), "service" (by source, then target). A
// record is an object whose "type" names the kind and whose other fields
// are the record's, in snake case; fields at their zero value are left
// out; times are RFC 3339 in UTC. The run log is not exported: it is
// history, and it would change the file on every run.

// ExportFormat and ExportVersion are the header's format and version.
// Import refuses a higher version, whose records it may not know.
const (
	ExportFormat  = "hugo-pingback ledger"
	ExportVersion = 1
)

// ErrExport means an export could not be read: not an export, written by a
// newer version, or a record that is malformed or invalid. The error names
// the line.
var ErrExport = errors.New("not a readable ledger export")

type exportHeader struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Created  time.Time `json:"created,omitzero"`
	FirstRun time.Time `json:"first_run,omitzero"`
}

// The records as JSON: each type has the fields of its record, in the same
// order (so a record converts to it and back), with the export's names.

type pageJSON struct {
	URL       string    `json:"url"`
	File      string    `json:"file,omitempty"`
	Hash      string    `json:"hash,omitempty"`
	Links     []string  `json:"links,omitempty"`
	Targets   []string  `json:"targets,omitempty"`
	Title     string    `json:"title,omitempty"`
	Published time.Time `json:"published,omitzero"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	Deleted   bool      `json:"deleted,omitempty"`
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

type notificationJSON struct {
	Source        string    `json:"source"`
	Target        string    `json:"target"`
	Protocol      string    `json:"protocol,omitempty"`
	Endpoint      string    `json:"endpoint,omitempty"`
	Status        Status    `json:"status"`
	Attempts      int       `json:"attempts,omitempty"`
	NextAttempt   time.Time `json:"next_attempt,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	Code          int       `json:"code,omitempty"`
	Answer        string    `json:"answer,omitempty"`
	Location      string    `json:"location,omitempty"`
	Version       string    `json:"version,omitempty"`
	Sends         int       `json:"sends,omitempty"`
	Created       time.Time `json:"created,omitzero"`
	Updated       time.Time `json:"updated,omitzero"`
	NotifiedAt    time.Time `json:"notified_at,omitzero"`
	DeferredSince time.Time `json:"deferred_since,omitzero"`
}

type discoveryJSON struct {
	Target     string    `json:"target"`
	Final      string    `json:"final,omitempty"`
	Pingback   string    `json:"pingback,omitempty"`
	Webmention string    `json:"webmention,omitempty"`
	Trackback  string    `json:"trackback,omitempty"`
	Fetched    time.Time `json:"fetched,omitzero"`
	Expires    time.Time `json:"expires,omitzero"`
}

type feedJSON struct {
	URL       string    `json:"url"`
	File      string    `json:"file,omitempty"`
	Hash      string    `json:"hash,omitempty"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
}

// The lines after the header: the record's type, then its fields.
type (
	pageLine struct {
		Type string `json:"type"`
		*pageJSON
	}
	notificationLine struct {
		Type string `json:"type"`
		*notificationJSON
	}
	discoveryLine struct {
		Type string `json:"type"`
		*discoveryJSON
	}
	feedLine struct {
		Type string `json:"type"`
		*feedJSON
	}
)

// Record kinds, as the "type" field names them.
const (
	kindPage         = "page"
	kindNotification = "notification"
	kindDiscovery    = "discovery"
	kindFeed         = "feed"
	kindService      = "service"
)

// Export writes the ledger to w as JSON Lines (see ExportFormat), from one
// consistent read of the ledger.
func (l *Ledger) Export(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err := l.view("export ledger", func(tx *bolt.Tx) error {
		h := exportHeader{Format: ExportFormat, Version: ExportVersion}
		var err error
		if h.Created, err = time.Parse(time.RFC3339Nano, string(tx.Bucket(bucketMeta).Get(metaCreated))); err != nil {
			return fmt.Errorf("%w: meta %s = %q", ErrCorrupt, metaCreated, tx.Bucket(bucketMeta).Get(metaCreated))
		}
		if h.FirstRun, _, err = firstRun(tx); err != nil {
			return err
		}
		if err := enc.Encode(h); err != nil {
			return err
		}
		return exportRecords(tx, enc)
	})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export ledger %s: %w", l.path, err)
	}
	return nil
}

// exportRecords writes every record of tx in the order of the format:
// each kind sorted by its URLs (the ledger keeps pages and discovery
// entries by id, so their URLs are sorted here first).
func exportRecords(tx *bolt.Tx, enc *json.Encoder) error {
	in := newInterner(tx)
	sources, err := sortedByURL(tx.Bucket(bucketPages), in, func(k, v []byte) (uint64, error) {
		h, err := decodeSourceHead(v)
		if err != nil {
			return 0, corruptValue("page", fmt.Sprintf("record %x", k), err)
		}
		return h.urlID, nil
	})
	if err != nil {
		return err
	}
	pages := tx.Bucket(bucketPages)
	record := func(k keyed) (*sourceRecord, error) {
		r, err := decodeSource(pages.Get(k.key))
		if err != nil {
			return nil, corruptValue("page", k.url, err)
		}
		return r, nil
	}
	for _, k := range sources {
		r, err := record(k)
		if err != nil {
			return err
		}
		if !r.hasPage {
			continue
		}
		p, err := r.toPage(k.url, in)
		if err != nil {
			return err
		}
		if err := enc.Encode(pageLine{kindPage, (*pageJSON)(&p)}); err != nil {
			return err
		}
	}
	for _, k := range sources {
		r, err := record(k)
		if err != nil {
			return err
		}
		ns, err := r.notifications(k.url, nil, in)
		if err != nil {
			return err
		}
		for i := range ns {
			if err := enc.Encode(notificationLine{kindNotification, (*notificationJSON)(&ns[i])}); err != nil {
				return err
			}
		}
	}
	targets, err := sortedByURL(tx.Bucket(bucketDiscovery), in, func(k, _ []byte) (uint64, error) {
		id, ok := readID(k)
		if !ok {
			return 0, fmt.Errorf("%w: discovery key %x is not an id", ErrCorrupt, k)
		}
		return id, nil
	})
	if err != nil {
		return err
	}
	for _, k := range targets {
		d, err := decodeDiscoveryIDs(k.url, tx.Bucket(bucketDiscovery).Get(k.key), in)
		if err != nil {
			return corruptValue("discovery", k.url, err)
		}
		if err := enc.Encode(discoveryLine{kindDiscovery, (*discoveryJSON)(&d)}); err != nil {
			return err
		}
	}
	err = tx.Bucket(bucketFeeds).ForEach(func(k, v []byte) error {
		f, err := decodeFeedKV(k, v)
		if err != nil {
			return err
		}
		return enc.Encode(feedLine{kindFeed, (*feedJSON)(&f)})
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketServices).ForEach(func(k, v []byte) error {
		n, err := decodeNotificationKV(k, v)
		if err != nil {
			return err
		}
		return enc.Encode(notificationLine{kindService, (*notificationJSON)(&n)})
	})
}

// keyed is a key of a bucket with the URL of its record.
type keyed struct {
	url string
	key []byte
}

// sortedByURL lists the keys of a bucket by the URL of each record, whose
// url id urlID reads.
func sortedByURL(bk *bolt.Bucket, in *interner, urlID func(k, v []byte) (uint64, error)) ([]keyed, error) {
	var out []keyed
	err := bk.ForEach(func(k, v []byte) error {
		id, err := urlID(k, v)
		if err != nil {
			return err
		}
		url, err := in.url(id)
		out = append(out, keyed{url, k})
		return err
	})
	slices.SortFunc(out, func(a, b keyed) int { return strings.Compare(a.url, b.url) })
	return out, err
}

// ExportFile writes the export to path, through a temporary file in the
// same directory renamed into place, and only when its bytes differ from
// what path holds: an unchanged ledger leaves the file (and a CI job that
// commits it) alone. It reports whether the file changed.
func (l *Ledger) ExportFile(path string) (changed bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("export ledger to %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("export ledger to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	err = l.Export(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("export ledger to %s: %w", path, err)
	}
	same, err := sameFile(tmp.Name(), path)
	if err != nil || same {
		return false, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return false, fmt.Errorf("export ledger to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, fmt.Errorf("export ledger to %s: %w", path, err)
	}
	boltfile.SyncDir(dir)
	return true, nil
}

// sameFile reports whether the files at a and b hold the same bytes; a
// missing b is not the same.
func sameFile(a, b string) (bool, error) {
	fb, err := os.Open(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer fb.Close()
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	ra, rb := bufio.NewReaderSize(fa, 64<<10), bufio.NewReaderSize(fb, 64<<10)
	bufA, bufB := make([]byte, 32<<10), make([]byte, 32<<10)
	for {
		na, errA := io.ReadFull(ra, bufA)
		nb, errB := io.ReadFull(rb, bufB)
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if errA != nil || errB != nil {
			eofA := errA == io.EOF || errA == io.ErrUnexpectedEOF
			eofB := errB == io.EOF || errB == io.ErrUnexpectedEOF
			switch {
			case eofA && eofB:
				return true, nil
			case !eofA && errA != nil:
				return false, errA
			case !eofB && errB != nil:
				return false, errB
			}
			return false, nil
		}
	}
}

// ImportStats counts what an Import did with the records it read.
type ImportStats struct {
	Added     int // records the ledger did not have
	Updated   int // records newer than the ledger's, which replaced them
	Unchanged int // records the same as, or older than, the ledger's
}

// importChunk is how many records Import applies per transaction.
const importChunk = 2000

// Import merges an export into the ledger: a record the ledger lacks is
// added; one it has is replaced when the export's is newer (a
// notification's or service call's Updated, a page's or feed's LastSeen, a
// discovery's Fetched) and kept otherwise, so importing the same export
// twice changes nothing. A page's Targets are the union of both. The
// ledger's creation time and first run become the earlier of both.
//
// The whole export is merged or none of it: the ledger is copied to a
// new file, the records are merged into the copy (in transactions of a
// few thousand), and the copy is renamed over the ledger (see rewrite).
// An Import that fails or is killed leaves the ledger as it was: a
// truncated export never leaves pages that look settled without their
// notifications. A malformed or invalid record stops it with an error
// wrapping ErrExport (or ErrInvalidRecord) that names the line.
func (l *Ledger) Import(r io.Reader) (ImportStats, error) {
	var st ImportStats
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	next := func() ([]byte, error) {
		for {
			b, err := br.ReadBytes('\n')
			if len(bytes.TrimSpace(b)) > 0 {
				line++
				return b, nil
			}
			line++
			if err != nil {
				return nil, err
			}
		}
	}
	first, err := next()
	if err == io.EOF {
		return st, fmt.Errorf("%w: empty", ErrExport)
	}
	if err != nil {
		return st, fmt.Errorf("import ledger: %w", err)
	}
	var h exportHeader
	if err := strictUnmarshal(first, &h); err != nil || h.Format != ExportFormat {
		return st, fmt.Errorf("%w: line 1 is not the header of a hugo-pingback ledger export", ErrExport)
	}
	if h.Version > ExportVersion || h.Version < 1 {
		return st, fmt.Errorf("%w: version %d, this build reads up to %d", ErrExport, h.Version, ExportVersion)
	}
	_, _, err = l.rewrite("import into ledger", "import", func(src *bolt.Tx, dst *bolt.DB) error {
		if err := copyDense(src, dst); err != nil {
			return err
		}
		if err := dst.Update(func(tx *bolt.Tx) error { return mergeMeta(tx, h) }); err != nil {
			return err
		}
		chunk := make([]importRecord, 0, importChunk)
		flush := func() error {
			if len(chunk) == 0 {
				return nil
			}
			err := dst.Update(func(tx *bolt.Tx) error {
				s, err := mergeRecords(tx, chunk, l.now().UTC())
				if err == nil {
					st.Added, st.Updated, st.Unchanged = st.Added+s.Added, st.Updated+s.Updated, st.Unchanged+s.Unchanged
				}
				return err
			})
			chunk = chunk[:0]
			return err
		}
		for {
			b, err := next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("import ledger: line %d: %w", line+1, err)
			}
			rec, err := parseRecord(b)
			if err != nil {
				return fmt.Errorf("%w: line %d: %w", ErrExport, line, err)
			}
			rec.line = line
			if chunk = append(chunk, rec); len(chunk) == importChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err != nil {
		return ImportStats{}, err
	}
	return st, nil
}

// importRecord is one record read from an export.
type importRecord struct {
	line         int
	kind         string
	page         *Page
	notification *Notification
	discovery    *Discovery
	feed         *Feed
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one value on the line")
	}
	return nil
}

func parseRecord(b []byte) (importRecord, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return importRecord{}, err
	}
	rec := importRecord{kind: head.Type}
	var err error
	switch head.Type {
	case kindPage:
		line := pageLine{pageJSON: new(pageJSON)}
		rec.page = (*Page)(line.pageJSON)
		err = strictUnmarshal(b, &line)
	case kindNotification, kindService:
		line := notificationLine{notificationJSON: new(notificationJSON)}
		rec.notification = (*Notification)(line.notificationJSON)
		err = strictUnmarshal(b, &line)
	case kindDiscovery:
		line := discoveryLine{discoveryJSON: new(discoveryJSON)}
		rec.discovery = (*Discovery)(line.discoveryJSON)
		err = strictUnmarshal(b, &line)
	case kindFeed:
		line := feedLine{feedJSON: new(feedJSON)}
		rec.feed = (*Feed)(line.feedJSON)
		err = strictUnmarshal(b, &line)
	default:
		err = fmt.Errorf("unknown record type %q", head.Type)
	}
	return rec, err
}

// mergeMeta makes the ledger's creation time and first run the earlier of
// its own and the export's.
func mergeMeta(tx *bolt.Tx, h exportHeader) error {
	meta := tx.Bucket(bucketMeta)
	if !h.Created.IsZero() {
		created, err := time.Parse(time.RFC3339Nano, string(meta.Get(metaCreated)))
		if err != nil || h.Created.Before(created) {
			if err := meta.Put(metaCreated, []byte(h.Created.UTC().Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
	}
	if !h.FirstRun.IsZero() {
		return setFirstRun(tx, h.FirstRun)
	}
	return nil
}

// mergeRecords applies records where they are new or newer, through the
// same writer as Commit (which checks them and keeps every stored Target).
func mergeRecords(tx *bolt.Tx, recs []importRecord, now time.Time) (ImportStats, error) {
	var st ImportStats
	w := newWriter(tx, now)
	tx.Bucket(bucketFeeds).FillPercent = fillPercent // an export comes in key order
	tx.Bucket(bucketServices).FillPercent = fillPercent
	for _, rec := range recs {
		var o outcome
		var err error
		switch {
		case rec.page != nil:
			o, err = w.mergePage(*rec.page)
		case rec.notification != nil && rec.kind == kindService:
			o, err = mergeService(tx.Bucket(bucketServices), *rec.notification, now)
		case rec.notification != nil:
			o, err = w.mergeNotification(*rec.notification)
		case rec.discovery != nil:
			o, err = w.mergeDiscovery(*rec.discovery)
		case rec.feed != nil:
			o, err = mergeFeed(tx.Bucket(bucketFeeds), *rec.feed, now)
		}
		if err != nil {
			return st, fmt.Errorf("line %d (%s): %w", rec.line, rec.kind, err)
		}
		switch o {
		case added:
			st.Added++
		case updated:
			st.Updated++
		default:
			st.Unchanged++
		}
	}
	return st, w.flush()
}

// outcome is what a merge did with one record.
type outcome int

const (
	unchanged outcome = iota
	added
	updated
)

func (w *writer) mergePage(p Page) (outcome, error) {
	if err := checkKey("page URL", p.URL); err != nil {
		return 0, err
	}
	r, err := w.source(p.URL, true)
	if err != nil {
		return 0, err
	}
	if !r.rec.hasPage {
		return added, r.rec.putPage(p, w.now, w.in)
	}
	if p.LastSeen.After(r.rec.page.LastSeen) {
		return updated, r.rec.putPage(p, w.now, w.in) // Targets unioned there
	}
	// An older record may still know targets this one forgot: a page never
	// forgets a target it notified.
	o := unchanged
	for _, t := range p.Targets {
		id, err := w.in.intern(t)
		if err != nil {
			return 0, err
		}
		if en := r.rec.entry(id); !en.tried {
			en.tried, o = true, updated
		}
	}
	return o, nil
}

func (w *writer) mergeNotification(n Notification) (outcome, error) {
	if err := checkNotification(kindNotification, n); err != nil {
		return 0, err
	}
	r, err := w.source(n.Source, true)
	if err != nil {
		return 0, err
	}
	o := added
	if id, ok, err := w.in.lookup(n.Target); err != nil {
		return 0, err
	} else if i, found := r.rec.find(id); ok && found && r.rec.entries[i].note != nil {
		if !n.Updated.After(r.rec.entries[i].note.updated) {
			return unchanged, nil
		}
		o = updated
	}
	return o, r.rec.putNotification(n, w.now, w.in)
}

func (w *writer) mergeDiscovery(d Discovery) (outcome, error) {
	if err := checkKey("discovery target", d.Target); err != nil {
		return 0, err
	}
	o := added
	if id, ok, err := w.in.lookup(d.Target); err != nil {
		return 0, err
	} else if v := w.discovery.Get(idKey(id)); ok && v != nil {
		old, err := decodeDiscoveryIDs(d.Target, v, w.in)
		if err != nil {
			return 0, corruptValue("discovery", d.Target, err)
		}
		if !d.Fetched.After(old.Fetched) {
			return unchanged, nil
		}
		o = updated
	}
	return o, w.putDiscovery(d)
}

func mergeService(bk *bolt.Bucket, n Notification, now time.Time) (outcome, error) {
	if err := checkNotification(kindService, n); err != nil {
		return 0, err
	}
	stored := bk.Get(notificationKey(n.Source, n.Target))
	if stored != nil {
		old, err := decodeNotificationValue(n.Source, n.Target, stored)
		if err != nil {
			return 0, corruptValue(kindService, n.Source+" -> "+n.Target, err)
		}
		if !n.Updated.After(old.Updated) {
			return unchanged, nil
		}
	}
	return addedOr(stored), putServices(bk, []Notification{n}, now)
}

func mergeFeed(bk *bolt.Bucket, f Feed, now time.Time) (outcome, error) {
	if err := checkKey("feed URL", f.URL); err != nil {
		return 0, err
	}
	stored := bk.Get([]byte(f.URL))
	if stored != nil {
		old, err := decodeFeedKV([]byte(f.URL), stored)
		if err != nil {
			return 0, err
		}
		if !f.LastSeen.After(old.LastSeen) {
			return unchanged, nil
		}
	}
	return addedOr(stored), putFeeds(bk, []Feed{f}, now)
}

// addedOr is the outcome of writing over stored: a new record when there
// was none.
func addedOr(stored []byte) outcome {
	if stored == nil {
		return added
	}
	return updated
}
