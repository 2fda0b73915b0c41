package state

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A source record is the value of the pages bucket: everything the ledger
// knows of one source page, the page itself and one entry per target it
// links or linked to, which carries the notification of that target. A
// page's Links and Targets are flags on its entries, and a notification's
// repeated strings (its protocol, its version, a reason shared by many) are
// stored once per record in a small dictionary. One record per page instead
// of one key per link is what keeps the ledger near 60 bytes per link: a
// bbolt key costs 16 bytes before its own bytes.
//
// The encoding is the tagged encoding of codec.go with format byte 0x02.
// The page's fields come first, so a head can stop reading before the
// entries. A time is either absolute (wire type 2, as in codec.go) or,
// when it has no fractional second, a zig-zag varint of seconds relative
// to the record's base time (wire type 0): most times of a record are the
// same scan's, so they take a byte or two.

const sourceFormat = 0x02

// Field numbers of a source record. Never reuse or renumber one.
const (
	srcBase      = 1  // time: what relative times count from (whole seconds) and an absent Created is
	srcHasPage   = 2  // bool: the page was recorded (not only notifications of it)
	srcFile      = 3  // string
	srcFileTail  = 4  // varint n: File is the last n bytes of the URL, plus "index.html" when the URL ends in "/"
	srcHash      = 5  // string
	srcTitle     = 6  // string
	srcPublished = 7  // time
	srcFirstSeen = 8  // time
	srcLastSeen  = 9  // time
	srcDeleted   = 10 // bool
	srcDeletedAt = 11 // time
	srcLinked    = 12 // varint: how many entries are linked (so a head need not read them)
	srcStatuses  = 13 // bytes: uvarint mask of Statuses present, then a uvarint count per bit set
	srcText      = 14 // repeated string: the dictionary, referred to by index
	srcEntry     = 15 // repeated bytes: one entry per target, by target id
	srcVersion   = 16 // varint: dictionary index plus one of the version most entries have
	srcURL       = 17 // varint: url id of the source (the key is the record's own)
)

// An entry is: the target id as a uvarint delta from the previous entry's
// (the first as is), a uvarint of flags (bit 0 linked, bit 1 tried, bit 2
// its version is the record's srcVersion, bits 3-6 the index in Statuses
// plus one of its notification, 0 for none), then the notification's
// fields, tagged. An absent Created is the record's base time (Commit never
// stores a zero one); an absent Updated is Created.
const (
	entProtocol      = 1  // varint: dictionary index plus one
	entEndpoint      = 2  // varint: url id
	entAttempts      = 3  // varint
	entNextAttempt   = 4  // time
	entLastError     = 5  // varint: dictionary index plus one
	entCode          = 6  // varint
	entAnswer        = 7  // varint: dictionary index plus one
	entLocation      = 8  // string
	entVersion       = 9  // varint: dictionary index plus one
	entSends         = 10 // varint
	entCreated       = 11 // time; absent: the base time
	entUpdated       = 12 // time; absent: the same as Created
	entNotifiedAt    = 13 // time
	entDeferredSince = 14 // time
)

const (
	flagLinked = 1 << iota
	flagTried
	flagVersion     // the version is the record's srcVersion
	flagStatusShift = iota
)

// sourceRecord is a source record decoded.
type sourceRecord struct {
	urlID    uint64 // the source's url id
	hasPage  bool
	page     Page // URL, File, Links and Targets not filled in
	fileTail int  // > 0: File derives from the URL (see srcFileTail)
	entries  []entry
}

type entry struct {
	target        uint64
	linked, tried bool
	note          *note // nil: no notification for this target
}

// note is a Notification without its source and target, its endpoint as a
// url id (0: none).
type note struct {
	status                               Status
	protocol, lastError, answer, version string
	location                             string
	endpoint                             uint64
	attempts, code, sends                int
	nextAttempt, created, updated        time.Time
	notifiedAt, deferredSince            time.Time
}

// find returns the index of target's entry, or where it would go.
func (r *sourceRecord) find(target uint64) (int, bool) {
	return slices.BinarySearchFunc(r.entries, target, func(e entry, t uint64) int {
		switch {
		case e.target < t:
			return -1
		case e.target > t:
			return 1
		}
		return 0
	})
}

// entry returns target's entry, adding an empty one when there is none.
func (r *sourceRecord) entry(target uint64) *entry {
	i, ok := r.find(target)
	if !ok {
		r.entries = slices.Insert(r.entries, i, entry{target: target})
	}
	return &r.entries[i]
}

// prune drops entries that carry nothing.
func (r *sourceRecord) prune() {
	r.entries = slices.DeleteFunc(r.entries, func(e entry) bool { return !e.linked && !e.tried && e.note == nil })
}

func statusIndex(s Status) int { return slices.Index(Statuses, s) }

// fileTail returns n when file is the last n bytes of url, plus
// "index.html" when url ends in "/" (how a built site maps its files to
// URLs), or 0.
func fileTail(url, file string) int {
	name := file
	if strings.HasSuffix(url, "/") {
		var ok bool
		if name, ok = strings.CutSuffix(file, "index.html"); !ok {
			return 0
		}
	}
	if name == "" || len(name) >= len(url) || !strings.HasSuffix(url, name) {
		return 0
	}
	return len(name)
}

// fileOf undoes fileTail.
func fileOf(url string, tail int) string {
	if tail <= 0 || tail >= len(url) {
		return ""
	}
	f := url[len(url)-tail:]
	if strings.HasSuffix(url, "/") {
		f += "index.html"
	}
	return f
}

// encodeSource encodes r, whose page is published at url.
func encodeSource(r *sourceRecord, url string) []byte {
	p := &r.page
	e := newEncoder(len(p.Hash) + len(p.Title) + len(p.File) + 16*len(r.entries))
	e.b[0] = sourceFormat
	base := p.LastSeen
	if base.IsZero() {
		base = p.FirstSeen
	}
	for i := 0; base.IsZero() && i < len(r.entries); i++ {
		if n := r.entries[i].note; n != nil {
			base = n.created
		}
	}
	e.time(srcBase, base)
	e.int(srcURL, int64(r.urlID))
	e.bool(srcHasPage, r.hasPage)
	switch tail := fileTail(url, p.File); {
	case p.File == "" && r.fileTail > 0: // decoded, still derived from the URL
		e.int(srcFileTail, int64(r.fileTail))
	case tail > 0:
		e.int(srcFileTail, int64(tail))
	default:
		e.str(srcFile, p.File)
	}
	e.str(srcHash, p.Hash)
	e.str(srcTitle, p.Title)
	rel := relTimes{e: e, base: base.Unix()}
	rel.time(srcPublished, p.Published)
	rel.time(srcFirstSeen, p.FirstSeen)
	rel.time(srcLastSeen, p.LastSeen)
	e.bool(srcDeleted, p.Deleted)
	rel.time(srcDeletedAt, p.DeletedAt)

	var linked int
	var counts [16]int
	texts := map[string]int{}
	var dict []string
	// ref is the field value of a string: its index in the dictionary plus
	// one (zero values are not written).
	ref := func(s string) int64 {
		i, ok := texts[s]
		if !ok {
			i = len(dict)
			texts[s] = i
			dict = append(dict, s)
		}
		return int64(i) + 1
	}
	// The version most notifications have is said once.
	versions := map[string]int{}
	defaultVersion := ""
	for _, en := range r.entries {
		if n := en.note; n != nil && n.version != "" {
			if versions[n.version]++; versions[n.version] > versions[defaultVersion] {
				defaultVersion = n.version
			}
		}
	}
	var defaultRef int64
	if defaultVersion != "" {
		defaultRef = ref(defaultVersion)
	}
	entries := make([][]byte, len(r.entries))
	var prev uint64
	for i, en := range r.entries {
		sub := encoder{}
		sub.b = binary.AppendUvarint(sub.b, en.target-prev)
		prev = en.target
		flags := uint64(0)
		if en.linked {
			flags |= flagLinked
			linked++
		}
		if en.tried {
			flags |= flagTried
		}
		n := en.note
		if n == nil {
			entries[i] = binary.AppendUvarint(sub.b, flags)
			continue
		}
		si := statusIndex(n.status)
		counts[si]++
		flags |= uint64(si+1) << flagStatusShift
		if n.version != "" && n.version == defaultVersion {
			flags |= flagVersion
		}
		sub.b = binary.AppendUvarint(sub.b, flags)
		srel := relTimes{e: &sub, base: base.Unix()}
		if n.protocol != "" {
			sub.int(entProtocol, ref(n.protocol))
		}
		sub.int(entEndpoint, int64(n.endpoint))
		sub.int(entAttempts, int64(n.attempts))
		srel.time(entNextAttempt, n.nextAttempt)
		if n.lastError != "" {
			sub.int(entLastError, ref(n.lastError))
		}
		sub.int(entCode, int64(n.code))
		if n.answer != "" {
			sub.int(entAnswer, ref(n.answer))
		}
		sub.str(entLocation, n.location)
		if n.version != "" && n.version != defaultVersion {
			sub.int(entVersion, ref(n.version))
		}
		sub.int(entSends, int64(n.sends))
		if !n.created.Equal(base) {
			srel.time(entCreated, n.created)
		}
		if !n.updated.Equal(n.created) {
			srel.time(entUpdated, n.updated)
		}
		srel.time(entNotifiedAt, n.notifiedAt)
		srel.time(entDeferredSince, n.deferredSince)
		entries[i] = sub.b
	}
	e.int(srcLinked, int64(linked))
	var mask uint64
	for i, c := range counts {
		if c > 0 {
			mask |= 1 << i
		}
	}
	if mask != 0 {
		st := binary.AppendUvarint(nil, mask)
		for _, c := range counts {
			if c > 0 {
				st = binary.AppendUvarint(st, uint64(c))
			}
		}
		e.bytesField(srcStatuses, string(st))
	}
	e.int(srcVersion, defaultRef)
	for _, s := range dict {
		e.bytesField(srcText, s)
	}
	for _, en := range entries {
		e.bytesField(srcEntry, string(en))
	}
	return e.b
}

// relTimes writes times relative to a base when they are whole seconds.
type relTimes struct {
	e    *encoder
	base int64
}

func (r relTimes) time(field int, t time.Time) {
	switch {
	case t.IsZero():
	case t.Nanosecond() == 0:
		r.e.key(field, wireVarint)
		r.e.b = binary.AppendVarint(r.e.b, t.Unix()-r.base)
	default:
		r.e.time(field, t)
	}
}

// relTime reads a time relTimes wrote.
func (d *decoder) relTime(base int64) time.Time {
	if d.wire == wireVarint {
		return time.Unix(base+d.num, 0).UTC()
	}
	return d.time()
}

// sourceHead is what a record says before its entries.
type sourceHead struct {
	urlID    uint64
	hasPage  bool
	hash     string
	deleted  bool
	linked   int
	statuses uint64 // mask of Statuses present
	counts   []int  // per Statuses index
}

// decodeSourceHead reads the page's fields of a record, which come before
// its dictionary and its entries, and stops there.
func decodeSourceHead(v []byte) (sourceHead, error) {
	var h sourceHead
	d, err := newSourceDecoder(v)
	if err != nil {
		return h, err
	}
	for f := d.next(); f != 0 && f != srcText && f != srcEntry; f = d.next() {
		switch f {
		case srcURL:
			h.urlID = uint64(d.int())
		case srcHasPage:
			h.hasPage = d.bool()
		case srcHash:
			h.hash = d.str()
		case srcDeleted:
			h.deleted = d.bool()
		case srcLinked:
			h.linked = d.int()
		case srcStatuses:
			h.statuses, h.counts, err = decodeStatuses(d.str())
			if err != nil {
				return h, err
			}
		}
	}
	return h, d.err
}

func decodeStatuses(s string) (uint64, []int, error) {
	d := decoder{s: s}
	mask := d.uvarint()
	counts := make([]int, len(Statuses))
	for i := range 64 {
		if mask&(1<<i) == 0 {
			continue
		}
		if i >= len(Statuses) {
			return 0, nil, fmt.Errorf("%w: status %d", errMalformed, i)
		}
		counts[i] = int(d.uvarint())
	}
	if d.err != nil || d.s != "" {
		return 0, nil, fmt.Errorf("%w: bad status counts", errMalformed)
	}
	return mask, counts, nil
}

func newSourceDecoder(v []byte) (decoder, error) {
	if len(v) == 0 || v[0] != sourceFormat {
		if len(v) == 0 {
			return decoder{}, fmt.Errorf("%w: empty", errMalformed)
		}
		return decoder{}, fmt.Errorf("%w: unknown format byte %#x", errMalformed, v[0])
	}
	return decoder{s: string(v[1:])}, nil
}

// decodeSource decodes a whole record.
func decodeSource(v []byte) (*sourceRecord, error) {
	d, err := newSourceDecoder(v)
	if err != nil {
		return nil, err
	}
	r := &sourceRecord{}
	p := &r.page
	var baseTime time.Time
	var base int64
	var dict, entries []string
	defaultVersion := 0
	for f := d.next(); f != 0; f = d.next() {
		switch f {
		case srcBase:
			baseTime = d.time()
			base = baseTime.Unix()
		case srcVersion:
			defaultVersion = d.int()
		case srcURL:
			r.urlID = uint64(d.int())
		case srcHasPage:
			r.hasPage = d.bool()
		case srcFile:
			p.File = d.str()
		case srcFileTail:
			r.fileTail = d.int()
		case srcHash:
			p.Hash = d.str()
		case srcTitle:
			p.Title = d.str()
		case srcPublished:
			p.Published = d.relTime(base)
		case srcFirstSeen:
			p.FirstSeen = d.relTime(base)
		case srcLastSeen:
			p.LastSeen = d.relTime(base)
		case srcDeleted:
			p.Deleted = d.bool()
		case srcDeletedAt:
			p.DeletedAt = d.relTime(base)
		case srcLinked:
			d.int() // a count for heads, made again from the entries
		case srcStatuses:
			if _, _, err := decodeStatuses(d.str()); err != nil {
				return nil, err
			}
		case srcText:
			dict = append(dict, d.str())
		case srcEntry:
			entries = append(entries, d.str())
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if defaultVersion < 0 || defaultVersion > len(dict) {
		return nil, fmt.Errorf("%w: version text %d of %d", errMalformed, defaultVersion, len(dict))
	}
	ctx := entryContext{base: baseTime, dict: dict}
	if defaultVersion > 0 {
		ctx.version = dict[defaultVersion-1]
	}
	r.entries = make([]entry, len(entries))
	var prev uint64
	for i, s := range entries {
		en, err := decodeEntry(s, prev, &ctx)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if i > 0 && en.target <= prev {
			return nil, fmt.Errorf("%w: entry %d is out of order", errMalformed, i)
		}
		prev = en.target
		r.entries[i] = en
	}
	return r, nil
}

// entryContext is what entries take from their record.
type entryContext struct {
	base    time.Time
	dict    []string
	version string
}

func decodeEntry(s string, prev uint64, c *entryContext) (entry, error) {
	base, dict := c.base.Unix(), c.dict
	d := decoder{s: s}
	en := entry{target: prev + d.uvarint()}
	flags := d.uvarint()
	if d.err != nil {
		return en, d.err
	}
	en.linked, en.tried = flags&flagLinked != 0, flags&flagTried != 0
	si := int(flags >> flagStatusShift)
	if si == 0 {
		return en, nil
	}
	if si > len(Statuses) {
		return en, fmt.Errorf("%w: status %d", errMalformed, si)
	}
	n := &note{status: Statuses[si-1], created: c.base}
	if flags&flagVersion != 0 {
		n.version = c.version
	}
	text := func() string {
		i := d.int() - 1
		if i < 0 || i >= len(dict) {
			d.err = fmt.Errorf("%w: text %d of %d", errMalformed, i, len(dict))
			return ""
		}
		return dict[i]
	}
	for f := d.next(); f != 0; f = d.next() {
		switch f {
		case entProtocol:
			n.protocol = text()
		case entEndpoint:
			n.endpoint = uint64(d.int())
		case entAttempts:
			n.attempts = d.int()
		case entNextAttempt:
			n.nextAttempt = d.relTime(base)
		case entLastError:
			n.lastError = text()
		case entCode:
			n.code = d.int()
		case entAnswer:
			n.answer = text()
		case entLocation:
			n.location = d.str()
		case entVersion:
			n.version = text()
		case entSends:
			n.sends = d.int()
		case entCreated:
			n.created = d.relTime(base)
		case entUpdated:
			n.updated = d.relTime(base)
		case entNotifiedAt:
			n.notifiedAt = d.relTime(base)
		case entDeferredSince:
			n.deferredSince = d.relTime(base)
		}
	}
	if n.updated.IsZero() {
		n.updated = n.created
	}
	en.note = n
	return en, d.err
}

// toPage is the public Page of a record published at url.
func (r *sourceRecord) toPage(url string, in *interner) (Page, error) {
	p := r.page
	p.URL = url
	if r.fileTail > 0 {
		p.File = fileOf(url, r.fileTail)
	}
	for _, en := range r.entries {
		if !en.linked && !en.tried {
			continue
		}
		t, err := in.url(en.target)
		if err != nil {
			return p, err
		}
		if en.linked {
			p.Links = append(p.Links, t)
		}
		if en.tried {
			p.Targets = append(p.Targets, t)
		}
	}
	slices.Sort(p.Links)
	slices.Sort(p.Targets)
	return p, nil
}

// toNotification is the public Notification of an entry with a note.
func toNotification(source string, en *entry, in *interner) (Notification, error) {
	target, err := in.url(en.target)
	if err != nil {
		return Notification{}, err
	}
	n := en.note
	out := Notification{
		Source: source, Target: target, Protocol: n.protocol, Status: n.status, Attempts: n.attempts,
		NextAttempt: n.nextAttempt, LastError: n.lastError, Code: n.code, Answer: n.answer,
		Location: n.location, Version: n.version, Sends: n.sends, Created: n.created,
		Updated: n.updated, NotifiedAt: n.notifiedAt, DeferredSince: n.deferredSince,
	}
	if n.endpoint != 0 {
		if out.Endpoint, err = in.url(n.endpoint); err != nil {
			return Notification{}, err
		}
	}
	return out, nil
}

// notifications are the public Notifications of a record whose status is
// one of want (nil: any), sorted by Target.
func (r *sourceRecord) notifications(source string, want []Status, in *interner) ([]Notification, error) {
	var out []Notification
	for i := range r.entries {
		en := &r.entries[i]
		if en.note == nil || want != nil && !slices.Contains(want, en.note.status) {
			continue
		}
		n, err := toNotification(source, en, in)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b Notification) int { return strings.Compare(a.Target, b.Target) })
	return out, nil
}

// putPage stores p as the record's page, as Commit documents: Links
// replaced, Targets unioned, FirstSeen, LastSeen and DeletedAt filled in.
func (r *sourceRecord) putPage(p Page, now time.Time, in *interner) error {
	old, exists := r.page, r.hasPage
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
	for i := range r.entries {
		r.entries[i].linked = false
	}
	for _, l := range p.Links {
		if l == "" {
			continue
		}
		id, err := in.intern(l)
		if err != nil {
			return err
		}
		r.entry(id).linked = true
	}
	for _, t := range p.Targets {
		if t == "" {
			continue
		}
		id, err := in.intern(t)
		if err != nil {
			return err
		}
		r.entry(id).tried = true
	}
	r.prune()
	p.URL, p.Links, p.Targets = "", nil, nil
	r.page, r.hasPage, r.fileTail = p, true, 0
	return nil
}

// deletePage marks the record's page deleted, when it has one.
func (r *sourceRecord) deletePage(now time.Time) {
	if r.hasPage && !r.page.Deleted {
		r.page.Deleted, r.page.DeletedAt = true, now
	}
}

// putNotification stores n as the note of its target, as Commit
// documents: a zero Created keeps the stored one, a zero Updated is now,
// long texts are cut.
func (r *sourceRecord) putNotification(n Notification, now time.Time, in *interner) error {
	id, err := in.intern(n.Target)
	if err != nil {
		return err
	}
	en := r.entry(id)
	nt := &note{
		status: n.Status, protocol: n.Protocol, lastError: truncate(n.LastError, MaxText),
		answer: truncate(n.Answer, MaxText), version: n.Version, location: n.Location,
		attempts: n.Attempts, code: n.Code, sends: n.Sends,
		nextAttempt: utc(n.NextAttempt), created: utc(n.Created), updated: utc(n.Updated),
		notifiedAt: utc(n.NotifiedAt), deferredSince: utc(n.DeferredSince),
	}
	if n.Endpoint != "" {
		if nt.endpoint, err = in.intern(n.Endpoint); err != nil {
			return err
		}
	}
	if nt.created.IsZero() {
		nt.created = now
		if en.note != nil && !en.note.created.IsZero() {
			nt.created = en.note.created
		}
	}
	if nt.updated.IsZero() {
		nt.updated = now
	}
	en.note = nt
	return nil
}

// A discovery entry of schema 3 is the tagged encoding with format byte
// 0x02 and the same field numbers as before, its URLs as url ids
// (varints). Field 5 stays retired.

func encodeDiscoveryIDs(disc *Discovery, in *interner) ([]byte, error) {
	e := newEncoder(24)
	e.b[0] = sourceFormat
	for _, f := range []struct {
		field int
		url   string
	}{{discFinal, disc.Final}, {discPingback, disc.Pingback}, {discWebmention, disc.Webmention}, {discTrackback, disc.Trackback}} {
		if f.url == "" {
			continue
		}
		id, err := in.intern(f.url)
		if err != nil {
			return nil, err
		}
		e.int(f.field, int64(id))
	}
	e.time(discFetched, disc.Fetched)
	e.time(discExpires, disc.Expires)
	return e.b, nil
}

func decodeDiscoveryIDs(target string, v []byte, in *interner) (Discovery, error) {
	disc := Discovery{Target: target}
	d, err := newSourceDecoder(v)
	if err != nil {
		return disc, err
	}
	url := func(dst *string) {
		id := d.int()
		if d.err != nil {
			return
		}
		s, err := in.url(uint64(id))
		if err != nil {
			d.err = err
		}
		*dst = s
	}
	for f := d.next(); f != 0; f = d.next() {
		switch f {
		case discFinal:
			url(&disc.Final)
		case discPingback:
			url(&disc.Pingback)
		case discWebmention:
			url(&disc.Webmention)
		case discTrackback:
			url(&disc.Trackback)
		case discFetched:
			disc.Fetched = d.time()
		case discExpires:
			disc.Expires = d.time()
		}
	}
	return disc, d.err
}
