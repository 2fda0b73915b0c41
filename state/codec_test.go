package state

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	b := fullBatch()
	extreme := []time.Time{
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC),            // just after the zero time
		time.Date(1600, 6, 1, 0, 0, 0, 999999999, time.UTC), // before UnixNano's range
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),    // far future
		time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC),  // negative Unix seconds
		time.Date(2026, 11, 27, 3, 0, 0, 1, time.UTC),       // one nanosecond
		time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC),        // past UnixNano's range
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),           // before year 1
	}
	for _, tm := range extreme {
		p := b.Pages[0]
		p.Published = tm
		got, err := decodePage(p.URL, encodePage(&p))
		if err != nil || !equal(got, p) {
			t.Errorf("page with time %v: got %+v, %v", tm, got.Published, err)
		}
	}
	for _, p := range b.Pages {
		if got, err := decodePage(p.URL, encodePage(&p)); err != nil || !equal(got, p) {
			t.Errorf("page round trip:\n got %+v, %v\nwant %+v", got, err, p)
		}
	}
	for _, n := range b.Notifications {
		if got, err := decodeNotificationValue(n.Source, n.Target, encodeNotification(&n)); err != nil || !equal(got, n) {
			t.Errorf("notification round trip:\n got %+v, %v\nwant %+v", got, err, n)
		}
	}
	for _, d := range b.Discoveries {
		if got, err := decodeDiscovery(d.Target, encodeDiscovery(&d)); err != nil || !equal(got, d) {
			t.Errorf("discovery round trip:\n got %+v, %v\nwant %+v", got, err, d)
		}
	}
	for _, r := range b.Runs {
		r.ID = 9
		if got, err := decodeRun(9, encodeRun(&r)); err != nil || !equal(got, r) {
			t.Errorf("run round trip:\n got %+v, %v\nwant %+v", got, err, r)
		}
	}
	// The zero values encode to the format byte alone (a notification
	// always has its status field).
	if v := encodePage(&Page{}); len(v) != 1 {
		t.Errorf("empty page encodes to %x", v)
	}
}

func TestCodecSkipsUnknownFields(t *testing.T) {
	p := fullBatch().Pages[0]
	v := encodePage(&p)
	// Fields a later version might add: a varint and a byte string.
	v = binary.AppendUvarint(v, 99<<3|wireVarint)
	v = binary.AppendVarint(v, -12345)
	v = binary.AppendUvarint(v, 98<<3|wireBytes)
	v = binary.AppendUvarint(v, 3)
	v = append(v, "new"...)
	got, err := decodePage(p.URL, v)
	if err != nil || !equal(got, p) {
		t.Errorf("decode with unknown fields = %+v, %v", got, err)
	}
}

func TestCodecMalformed(t *testing.T) {
	field := func(f, wire int) []byte { return binary.AppendUvarint(nil, uint64(f<<3|wire)) }
	cat := func(parts ...[]byte) []byte {
		out := []byte{valueFormat}
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		v    []byte
	}{
		{"empty value", nil},                           // not even a format byte
		{"JSON value", []byte(`{"file":"x"}`)},         // another format
		{"unterminated key varint", cat([]byte{0x80})}, // continuation bit, then nothing
		{"overlong varint", cat([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})}, // > 64 bits
		{"field zero", cat(field(0, wireVarint), []byte{1})},                                         // field numbers start at 1
		{"unknown wire type", cat(field(1, 5), []byte{1, 2, 3, 4})},                                  // fixed32 is not used
		{"length overruns", cat(field(pageFile, wireBytes), []byte{10, 'a'})},                        // 10 bytes promised, 1 there
		{"missing length", cat(field(pageFile, wireBytes))},                                          // key, then the end
		{"string as varint", cat(field(pageFile, wireVarint), []byte{4})},                            // known field, wrong wire type
		{"bool as bytes", cat(field(pageDeleted, wireBytes), []byte{1, 1})},                          // known field, wrong wire type
		{"time too short", cat(field(pageFirstSeen, wireBytes), []byte{1, 2})},                       // seconds but no nanoseconds
		{"time with trailing bytes", cat(field(pageFirstSeen, wireBytes), []byte{3, 2, 0, 0})},
		{"time nanoseconds out of range", cat(field(pageFirstSeen, wireBytes), timePayload(1, 1e9))}, // nanoseconds >= 1e9
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodePage("u", tt.v); !errors.Is(err, errMalformed) {
				t.Errorf("decodePage(%x) = %v, want errMalformed", tt.v, err)
			}
		})
	}
	// A run count entry whose name overruns it.
	bad := cat(field(runCount, wireBytes), []byte{2, 5, 'a'})
	if _, err := decodeRun(1, bad); !errors.Is(err, errMalformed) {
		t.Errorf("decodeRun(bad count) = %v, want errMalformed", err)
	}
}

// timePayload is a length-prefixed time payload with arbitrary parts.
func timePayload(sec int64, nsec uint64) []byte {
	p := binary.AppendUvarint(binary.AppendVarint(nil, sec), nsec)
	return append([]byte{byte(len(p))}, p...)
}

func TestStatusOf(t *testing.T) {
	long := Notification{Status: StatusNoEndpoint, LastError: string(make([]byte, 300))}
	tests := []struct {
		name string
		v    []byte
		want Status
	}{
		{"fast path", encodeNotification(&Notification{Status: StatusInFlight}), StatusInFlight},                               // first field
		{"with other fields", encodeNotification(&long), StatusNoEndpoint},                                                     // rest ignored
		{"status not first", append(append([]byte{valueFormat}, 0x20, 1), encodeNotification(&long)[1:]...), StatusNoEndpoint}, // slow path
	}
	for _, tt := range tests {
		if got, err := statusOf(tt.v); err != nil || got != tt.want {
			t.Errorf("%s: statusOf = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := statusOf([]byte{valueFormat, 0x0a, 5, 'x'}); err == nil {
		t.Error("statusOf(truncated) succeeded")
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"short", "abc", 5, "abc"},                             // fits
		{"exact", "abcde", 5, "abcde"},                         // fits exactly
		{"ascii", "abcdef", 5, "abcde"},                        // plain cut
		{"two-byte rune split", "abcdé", 5, "abcd"},            // é is 2 bytes: not split
		{"four-byte rune split", "a😀b", 3, "a"},                // 😀 is 4 bytes
		{"rune ends at cut", "aé😀", 3, "aé"},                   // cut right after é
		{"invalid bytes", "ab\xff\xfe\xfdcd", 4, "ab\xff\xfe"}, // not UTF-8: cut where asked
	}
	for _, tt := range tests {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("%s: truncate(%q, %d) = %q, want %q", tt.name, tt.s, tt.n, got, tt.want)
		}
	}
}

func TestSortedSet(t *testing.T) {
	got := sortedSet([]string{"b", "", "a", "b"}, []string{"c", "a"})
	if !equal(got, []string{"a", "b", "c"}) {
		t.Errorf("sortedSet = %q", got)
	}
	if sortedSet(nil, []string{""}) != nil {
		t.Error("sortedSet of empties is not nil")
	}
}

// FuzzDecode feeds arbitrary values to every decoder: none may panic, and a
// value that decodes re-encodes to one that decodes to the same record.
func FuzzDecode(f *testing.F) {
	b := fullBatch()
	for _, p := range b.Pages {
		f.Add(encodePage(&p))
	}
	for _, n := range b.Notifications {
		f.Add(encodeNotification(&n))
	}
	f.Add(encodeDiscovery(&b.Discoveries[0]))
	f.Add(encodeRun(&b.Runs[0]))
	f.Add([]byte{valueFormat, 0x80})
	f.Fuzz(func(t *testing.T, v []byte) {
		if p, err := decodePage("u", v); err == nil {
			if q, err := decodePage("u", encodePage(&p)); err != nil || !equal(p, q) {
				t.Errorf("page re-encoding: %+v vs %+v, %v", p, q, err)
			}
		}
		if n, err := decodeNotificationValue("s", "t", v); err == nil {
			if m, err := decodeNotificationValue("s", "t", encodeNotification(&n)); err != nil || !equal(n, m) {
				t.Errorf("notification re-encoding: %+v vs %+v, %v", n, m, err)
			}
		}
		_, _ = statusOf(v)
		_, _ = decodeDiscovery("t", v)
		_, _ = decodeRun(1, v)
	})
}
