package state

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

func TestAppendIDOrder(t *testing.T) {
	ids := []uint64{0, 1, 126, 127, 128, 129, 255, 256, 1<<14 - 1, 1 << 14, 1<<14 + 1, 1<<21 - 1, 1 << 21, 1<<28 - 1, 1 << 28, 1<<40 + 3, 1<<64 - 1}
	var prev []byte
	for i, id := range ids {
		k := idKey(id)
		if got, ok := readID(k); !ok || got != id {
			t.Errorf("readID(idKey(%d)) = %d, %v", id, got, ok)
		}
		// The byte order of keys is the numeric order of ids.
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			t.Errorf("idKey(%d) = %x does not sort after idKey(%d) = %x", id, k, ids[i-1], prev)
		}
		prev = k
	}
	for _, bad := range [][]byte{nil, {0x80}, {0xC0, 1}, {0xF0, 1, 2}, {0x05, 0x06}} {
		if _, ok := readID(bad); ok {
			t.Errorf("readID(%x) accepted a malformed key", bad)
		}
	}
}

func TestSplitURL(t *testing.T) {
	tests := []struct{ in, host, rest string }{
		{"https://blog.example/a/b?c#d", "https://blog.example", "/a/b?c#d"}, // path, query, fragment
		{"https://blog.example", "https://blog.example", ""},                 // no path
		{"http://h.example:8080?x", "http://h.example:8080", "?x"},           // port, query only
		{"https://blog.example#top", "https://blog.example", "#top"},         // fragment only
		{"mailto:a@b.example", "", "mailto:a@b.example"},                     // no "://"
		{"x", "", "x"},                     // not a URL at all
		{"://nohost/a", "", "://nohost/a"}, // nothing before "://"
	}
	for _, tt := range tests {
		if h, r := splitURL(tt.in); h != tt.host || r != tt.rest || h+r != tt.in {
			t.Errorf("splitURL(%q) = %q, %q; want %q, %q", tt.in, h, r, tt.host, tt.rest)
		}
	}
}

func TestFileTail(t *testing.T) {
	tests := []struct {
		url, file string
		tail      int
	}{
		{"https://b.example/posts/a/", "posts/a/index.html", 8},     // a directory page
		{"https://b.example/sub/posts/a/", "posts/a/index.html", 8}, // under a base path
		{"https://b.example/x.html", "x.html", 6},                   // a file page
		{"https://b.example/", "index.html", 0},                     // the home page: nothing to share
		{"https://b.example/%C3%BC/", "ü/index.html", 0},            // escaped in the URL
		{"https://b.example/a/", "", 0},                             // no file
	}
	for _, tt := range tests {
		got := fileTail(tt.url, tt.file)
		if got != tt.tail {
			t.Errorf("fileTail(%q, %q) = %d, want %d", tt.url, tt.file, got, tt.tail)
		}
		if got > 0 && fileOf(tt.url, got) != tt.file {
			t.Errorf("fileOf(%q, %d) = %q, want %q", tt.url, got, fileOf(tt.url, got), tt.file)
		}
	}
}

// sampleRecord has a page and entries of every kind: links, tried targets,
// notifications with every field, whole-second and fractional times, the
// common version and others.
func sampleRecord() *sourceRecord {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	frac := t0.Add(1500 * time.Millisecond)
	return &sourceRecord{
		urlID: 42, hasPage: true,
		page: Page{Hash: "0123456789abcdef", Title: "A title", Published: t0.Add(-time.Hour), FirstSeen: frac, LastSeen: t0,
			Deleted: true, DeletedAt: t0.Add(time.Minute)},
		fileTail: 8,
		entries: []entry{
			{target: 3, linked: true, note: &note{status: StatusBaseline, version: "links-1", created: t0, updated: t0}},
			{target: 4, linked: true, note: &note{status: StatusBaseline, version: "links-1", created: t0, updated: t0}},
			{target: 9, tried: true},
			{target: 300, linked: true, tried: true, note: &note{
				status: StatusRetry, protocol: "pingback", lastError: "HTTP 503", answer: "busy", version: "links-0",
				location: "https://t.example/s/1", endpoint: 77, attempts: 2, code: -32601, sends: 3,
				nextAttempt: frac.Add(time.Hour), created: t0.Add(-48 * time.Hour), updated: frac,
				notifiedAt: t0.Add(-24 * time.Hour), deferredSince: t0.Add(-time.Second),
			}},
			{target: 1 << 22, note: &note{status: StatusInFlight, protocol: "webmention", created: frac, updated: frac}},
		},
	}
}

func TestSourceRecordRoundTrip(t *testing.T) {
	want := sampleRecord()
	v := encodeSource(want, "https://blog.example/posts/a/")
	got, err := decodeSource(v)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(got, want) {
		t.Errorf("decoded\n %+v\nwant\n %+v", got, want)
	}
	for i := range want.entries {
		if w, g := want.entries[i].note, got.entries[i].note; w != nil && !equal(*g, *w) {
			t.Errorf("entry %d:\n %+v\nwant\n %+v", i, *g, *w)
		}
	}
	h, err := decodeSourceHead(v)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := make([]int, len(Statuses))
	wantCounts[statusIndex(StatusBaseline)] = 2
	wantCounts[statusIndex(StatusRetry)] = 1
	wantCounts[statusIndex(StatusInFlight)] = 1
	if h.urlID != 42 || !h.hasPage || !h.deleted || h.hash != want.page.Hash || h.linked != 3 || !slices.Equal(h.counts, wantCounts) {
		t.Errorf("head %+v, want url 42, a deleted page, 3 linked, counts %v", h, wantCounts)
	}
	// An entry of the record's common version and time takes a few bytes.
	one := &sourceRecord{urlID: 1, hasPage: true, page: Page{LastSeen: want.page.LastSeen}, entries: want.entries[:1]}
	two := &sourceRecord{urlID: 1, hasPage: true, page: Page{LastSeen: want.page.LastSeen}, entries: want.entries[:2]}
	if d := len(encodeSource(two, "")) - len(encodeSource(one, "")); d > 5 {
		t.Errorf("a second baseline entry takes %d bytes, want at most 5", d)
	}
}

func FuzzDecodeSource(f *testing.F) {
	f.Add(encodeSource(sampleRecord(), "https://blog.example/posts/a/"))
	f.Add(encodeSource(&sourceRecord{}, ""))
	f.Add([]byte{sourceFormat, 0x7a, 0x02, 0x05, 0xFF})
	f.Fuzz(func(t *testing.T, v []byte) {
		r, err := decodeSource(v)
		if _, herr := decodeSourceHead(v); err == nil && herr != nil {
			t.Fatalf("a record that decodes has a head that does not: %v", herr)
		}
		if err != nil {
			return
		}
		for _, en := range r.entries {
			if en.note != nil && !en.note.status.Valid() {
				t.Fatalf("decoded an invalid status %q", en.note.status)
			}
		}
		// What decodes encodes again to what decodes the same.
		again, err := decodeSource(encodeSource(r, ""))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if len(again.entries) != len(r.entries) {
			t.Fatalf("re-encoded record has %d entries, want %d", len(again.entries), len(r.entries))
		}
	})
}
