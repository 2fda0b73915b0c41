package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Values are encoded in a small tagged binary format (the protocol buffers
// wire format, restricted to two wire types) because decoding 10,000 pages
// as JSON took over 100 ms and this takes about 20. See doc.go for the layout.
//
// A value is the format byte valueFormat followed by fields. A field is a
// uvarint key (field number << 3 | wire type) and a payload: wire type 0 is
// a zig-zag varint, wire type 2 is a uvarint length and that many bytes.
// Zero values are not written; a repeated field is written once per element;
// a decoder skips fields it does not know, so fields can be added without a
// schema change.

const (
	valueFormat = 0x01
	wireVarint  = 0
	wireBytes   = 2
)

var errMalformed = errors.New("malformed value")

type encoder struct{ b []byte }

// newEncoder returns an encoder with room for about size bytes of strings.
func newEncoder(size int) *encoder {
	return &encoder{b: append(make([]byte, 0, size+64), valueFormat)}
}

// listSize is the room strs needs for ss.
func listSize(ss []string) int {
	n := 0
	for _, s := range ss {
		n += len(s) + 3
	}
	return n
}

func (e *encoder) key(field, wire int) {
	e.b = binary.AppendUvarint(e.b, uint64(field<<3|wire))
}

func (e *encoder) bytesField(field int, s string) {
	e.key(field, wireBytes)
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) str(field int, s string) {
	if s != "" {
		e.bytesField(field, s)
	}
}

func (e *encoder) strs(field int, ss []string) {
	for _, s := range ss {
		e.bytesField(field, s)
	}
}

func (e *encoder) int(field int, v int64) {
	if v != 0 {
		e.key(field, wireVarint)
		e.b = binary.AppendVarint(e.b, v)
	}
}

func (e *encoder) bool(field int, v bool) {
	if v {
		e.int(field, 1)
	}
}

// time writes seconds and nanoseconds since the Unix epoch, which covers
// every year time.Time can hold (UnixNano does not).
func (e *encoder) time(field int, t time.Time) {
	if t.IsZero() {
		return
	}
	e.key(field, wireBytes)
	at := len(e.b)
	e.b = append(e.b, 0) // length: at most 20 bytes follow, so one byte
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.b = binary.AppendUvarint(e.b, uint64(t.Nanosecond()))
	e.b[at] = byte(len(e.b) - at - 1)
}

// decoder reads fields from a value held in a string: the value is copied
// out of bbolt's memory once, and every decoded string is a substring of it,
// so decoding a record costs one allocation for all its strings.
type decoder struct {
	s   string
	err error

	wire int
	val  string // payload of a wireBytes field
	num  int64  // payload of a wireVarint field
}

func newDecoder(v []byte) decoder {
	var d decoder
	switch {
	case len(v) == 0:
		d.err = fmt.Errorf("%w: empty", errMalformed)
	case v[0] != valueFormat:
		d.err = fmt.Errorf("%w: unknown format byte %#x", errMalformed, v[0])
	default:
		d.s = string(v[1:])
	}
	return d
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if i >= len(d.s) {
			break
		}
		c := d.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			d.s = d.s[i+1:]
			return x | uint64(c)<<(7*i)
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	d.err = fmt.Errorf("%w: bad varint", errMalformed)
	d.s = ""
	return 0
}

// next reads the next field; it returns 0 at the end of the value or on
// error (see d.err). Field numbers start at 1.
func (d *decoder) next() int {
	if d.err != nil || d.s == "" {
		return 0
	}
	k := d.uvarint()
	if d.err != nil {
		return 0
	}
	field, wire := k>>3, int(k&7)
	if field == 0 || field > math.MaxInt32 {
		d.err = fmt.Errorf("%w: field number %d", errMalformed, field)
		return 0
	}
	d.wire = wire
	switch wire {
	case wireVarint:
		d.num = unzigzag(d.uvarint())
	case wireBytes:
		n := d.uvarint()
		if d.err == nil && n > uint64(len(d.s)) {
			d.err = fmt.Errorf("%w: field %d of %d bytes overruns the value", errMalformed, field, n)
		}
		if d.err != nil {
			return 0
		}
		d.val, d.s = d.s[:n], d.s[n:]
	default:
		d.err = fmt.Errorf("%w: field %d has wire type %d", errMalformed, field, wire)
	}
	if d.err != nil {
		return 0
	}
	return int(field)
}

// unzigzag undoes the zig-zag encoding of binary.AppendVarint.
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func (d *decoder) want(wire int) bool {
	if d.wire != wire {
		d.err = fmt.Errorf("%w: wire type %d where %d was expected", errMalformed, d.wire, wire)
		d.s = ""
		return false
	}
	return true
}

func (d *decoder) str() string {
	if !d.want(wireBytes) {
		return ""
	}
	return d.val
}

func (d *decoder) int() int {
	if !d.want(wireVarint) {
		return 0
	}
	return int(d.num)
}

func (d *decoder) bool() bool { return d.int() != 0 }

func (d *decoder) time() time.Time {
	if !d.want(wireBytes) {
		return time.Time{}
	}
	payload := decoder{s: d.val}
	sec := unzigzag(payload.uvarint())
	nsec := payload.uvarint()
	if payload.err != nil || payload.s != "" || nsec >= 1e9 {
		d.err = fmt.Errorf("%w: bad time", errMalformed)
		d.s = ""
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// Field numbers. Never reuse or renumber one: old ledgers hold them.
const (
	pageFile      = 1
	pageHash      = 2
	pageLinks     = 3 // repeated
	pageTargets   = 4 // repeated
	pageTitle     = 5
	pagePublished = 6
	pageFirstSeen = 7
	pageLastSeen  = 8
	pageDeleted   = 9
	pageDeletedAt = 10

	notifStatus      = 1 // always written first, see statusOf
	notifProtocol    = 2
	notifEndpoint    = 3
	notifAttempts    = 4
	notifNextAttempt = 5
	notifLastError   = 6
	notifCode        = 7
	notifAnswer      = 8
	notifLocation    = 9
	notifVersion     = 10
	notifSends       = 11
	notifCreated     = 12
	notifUpdated     = 13
	notifNotifiedAt  = 14
	notifDeferred    = 15

	discFinal      = 1
	discPingback   = 2
	discWebmention = 3
	discTrackback  = 4
	_              = 5 // retired: Err, never written by any release
	discFetched    = 6
	discExpires    = 7

	feedFile      = 1
	feedHash      = 2
	feedFirstSeen = 3
	feedLastSeen  = 4

	runStarted     = 1
	runFinished    = 2
	runCommand     = 3
	runCount       = 4 // repeated: uvarint name length, name, zig-zag varint count
	runInterrupted = 5
	runStopped     = 6
)

func encodePage(p *Page) []byte {
	e := newEncoder(len(p.File) + len(p.Hash) + len(p.Title) + listSize(p.Links) + listSize(p.Targets))
	e.str(pageFile, p.File)
	e.str(pageHash, p.Hash)
	e.strs(pageLinks, p.Links)
	e.strs(pageTargets, p.Targets)
	e.str(pageTitle, p.Title)
	e.time(pagePublished, p.Published)
	e.time(pageFirstSeen, p.FirstSeen)
	e.time(pageLastSeen, p.LastSeen)
	e.bool(pageDeleted, p.Deleted)
	e.time(pageDeletedAt, p.DeletedAt)
	return e.b
}

func decodePage(url string, v []byte) (Page, error) {
	p := Page{URL: url}
	d := newDecoder(v)
	// Size the lists first: a page has a handful of each, and growing two
	// slices by appending costs more than this second pass.
	links, targets := 0, 0
	for pre := d; ; {
		f := pre.next()
		if f == 0 {
			break
		}
		switch f {
		case pageLinks:
			links++
		case pageTargets:
			targets++
		}
	}
	if links+targets > 0 {
		all := make([]string, 0, links+targets)
		if links > 0 {
			p.Links = all[:0:links]
		}
		if targets > 0 {
			p.Targets = all[links : links : links+targets]
		}
	}
	for f := d.next(); f != 0; f = d.next() {
		switch f {
		case pageFile:
			p.File = d.str()
		case pageHash:
			p.Hash = d.str()
		case pageLinks:
			p.Links = append(p.Links, d.str())
		case pageTargets:
			p.Targets = append(p.Targets, d.str())
		case pageTitle:
			p.Title = d.str()
		case pagePublished:
			p.Published = d.time()
		case pageFirstSeen:
			p.FirstSeen = d.time()
		case pageLastSeen:
			p.LastSeen = d.time()
		case pageDeleted:
			p.Deleted = d.bool()
		case pageDeletedAt:
			p.DeletedAt = d.time()
		}
	}
	return p, d.err
}

func encodeNotification(n *Notification) []byte {
	e := newEncoder(len(n.Protocol) + len(n.Endpoint) + len(n.LastError) + len(n.Answer) + len(n.Location) + len(n.Version))
	e.bytesField(notifStatus, string(n.Status)) // even if empty: statusOf relies on it
	e.str(notifProtocol, n.Protocol)
	e.str(notifEndpoint, n.Endpoint)
	e.int(notifAttempts, int64(n.Attempts))
	e.time(notifNextAttempt, n.NextAttempt)
	e.str(notifLastError, n.LastError)
	e.int(notifCode, int64(n.Code))
	e.str(notifAnswer, n.Answer)
	e.str(notifLocation, n.Location)
	e.str(notifVersion, n.Version)
	e.int(notifSends, int64(n.Sends))
	e.time(notifCreated, n.Created)
	e.time(notifUpdated, n.Updated)
	e.time(notifNotifiedAt, n.NotifiedAt)
	e.time(notifDeferred, n.DeferredSince)
	return e.b
}

func decodeNotificationValue(source, target string, v []byte) (Notification, error) {
	n := Notification{Source: source, Target: target}
	d := newDecoder(v)
	for f := d.next(); f != 0; f = d.next() {
		switch f {
		case notifStatus:
			n.Status = Status(d.str())
		case notifProtocol:
			n.Protocol = d.str()
		case notifEndpoint:
			n.Endpoint = d.str()
		case notifAttempts:
			n.Attempts = d.int()
		case notifNextAttempt:
			n.NextAttempt = d.time()
		case notifLastError:
			n.LastError = d.str()
		case notifCode:
			n.Code = d.int()
		case notifAnswer:
			n.Answer = d.str()
		case notifLocation:
			n.Location = d.str()
		case notifVersion:
			n.Version = d.str()
		case notifSends:
			n.Sends = d.int()
		case notifCreated:
			n.Created = d.time()
		case notifUpdated:
			n.Updated = d.time()
		case notifNotifiedAt:
			n.NotifiedAt = d.time()
		case notifDeferred:
			n.DeferredSince = d.time()
		}
	}
	return n, d.err
}

// statusOf reads only the status of an encoded notification: its first
// field, so Stats and InFlight need not decode whole records.
func statusOf(v []byte) (Status, error) {
	// Fast path: format byte, key byte (1<<3|2), one-byte length.
	if len(v) >= 3 && v[0] == valueFormat && v[1] == notifStatus<<3|wireBytes && v[2] < 0x80 && int(v[2]) <= len(v)-3 {
		raw := v[3 : 3+v[2]]
		for _, s := range Statuses {
			if string(raw) == string(s) { // no allocation for a known status
				return s, nil
			}
		}
		return Status(raw), nil
	}
	n, err := decodeNotificationValue("", "", v)
	return n.Status, err
}

func encodeDiscovery(disc *Discovery) []byte {
	e := newEncoder(len(disc.Final) + len(disc.Pingback) + len(disc.Webmention) + len(disc.Trackback))
	e.str(discFinal, disc.Final)
	e.str(discPingback, disc.Pingback)
	e.str(discWebmention, disc.Webmention)
	e.str(discTrackback, disc.Trackback)
	e.time(discFetched, disc.Fetched)
	e.time(discExpires, disc.Expires)
	return e.b
}

func decodeDiscovery(target string, v []byte) (Discovery, error) {
	disc := Discovery{Target: target}
	d := newDecoder(v)
	for f := d.next(); f != 0; f = d.next() {
		switch f {
		case discFinal:
			disc.Final = d.str()
		case discPingback:
			disc.Pingback = d.str()
		case discWebmention:
			disc.Webmention = d.str()
		case discTrackback:
			disc.Trackback = d.str()
		case discFetched:
			disc.Fetched = d.time()
		case discExpires:
			disc.Expires = d.time()
		}
	}
	return disc, d.err
}

func encodeFeed(f *Feed) []byte {
	e := newEncoder(len(f.File) + len(f.Hash))
	e.str(feedFile, f.File)
	e.str(feedHash, f.Hash)
	e.time(feedFirstSeen, f.FirstSeen)
	e.time(feedLastSeen, f.LastSeen)
	return e.b
}

func decodeFeed(url string, v []byte) (Feed, error) {
	f := Feed{URL: url}
	d := newDecoder(v)
	for k := d.next(); k != 0; k = d.next() {
		switch k {
		case feedFile:
			f.File = d.str()
		case feedHash:
			f.Hash = d.str()
		case feedFirstSeen:
			f.FirstSeen = d.time()
		case feedLastSeen:
			f.LastSeen = d.time()
		}
	}
	return f, d.err
}

func encodeRun(r *Run) []byte {
	e := newEncoder(len(r.Command) + 16*len(r.Counts))
	e.time(runStarted, r.Started)
	e.time(runFinished, r.Finished)
	e.str(runCommand, r.Command)
	for name, n := range r.Counts {
		entry := binary.AppendUvarint(nil, uint64(len(name)))
		entry = append(entry, name...)
		entry = binary.AppendVarint(entry, int64(n))
		e.bytesField(runCount, string(entry))
	}
	e.bool(runInterrupted, r.Interrupted)
	e.str(runStopped, r.Stopped)
	return e.b
}

func decodeRun(id uint64, v []byte) (Run, error) {
	r := Run{ID: id}
	d := newDecoder(v)
	for f := d.next(); f != 0; f = d.next() {
		switch f {
		case runStarted:
			r.Started = d.time()
		case runFinished:
			r.Finished = d.time()
		case runCommand:
			r.Command = d.str()
		case runCount:
			entry := decoder{s: d.str()}
			l := entry.uvarint()
			if entry.err != nil || l > uint64(len(entry.s)) {
				d.err = fmt.Errorf("%w: bad count entry", errMalformed)
				break
			}
			name := entry.s[:l]
			entry.s = entry.s[l:]
			n := unzigzag(entry.uvarint())
			if entry.err != nil || entry.s != "" {
				d.err = fmt.Errorf("%w: bad count entry", errMalformed)
				break
			}
			if r.Counts == nil {
				r.Counts = make(map[string]int)
			}
			r.Counts[name] = int(n)
		case runInterrupted:
			r.Interrupted = d.bool()
		case runStopped:
			r.Stopped = d.str()
		}
	}
	return r, d.err
}
