package sender

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// countingReader counts the reads it is asked for.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(b []byte) (int, error) {
	c.reads++
	return c.r.Read(b)
}

func TestReadAll(t *testing.T) {
	page := strings.Repeat("<p>page</p>", 100) // 1,100 bytes
	big := strings.Repeat("x", maxPageBytes+1)
	tests := []struct {
		name      string
		content   string
		stat      int64 // the size a stat gave
		wrap      func(io.Reader) io.Reader
		want      string
		wantSize  int64
		wantNil   bool
		wantReads int // 0: not checked
	}{
		// The usual page: its stat's size in one read, and no read for EOF.
		{name: "as stat said", content: page, stat: int64(len(page)), want: page, wantSize: int64(len(page)), wantReads: 1},
		// An empty file: the one read says EOF.
		{name: "empty", content: "", stat: 0, want: "", wantReads: 1},
		// Reads that come back short are continued.
		{name: "short reads", content: page, stat: int64(len(page)), wrap: iotest.HalfReader, want: page, wantSize: int64(len(page))},
		// One byte at a time: the total, not one read, ends it.
		{name: "one byte reads", content: page, stat: int64(len(page)), wrap: iotest.OneByteReader, want: page, wantSize: int64(len(page))},
		// A file that grew since its stat is read to its end, the buffer grown.
		{name: "grew", content: page + page + page, stat: int64(len(page)), want: page + page + page, wantSize: int64(3 * len(page))},
		// A file that shrank since its stat is read to its end.
		{name: "shrank", content: page[:100], stat: int64(len(page)), want: page[:100], wantSize: 100},
		// Larger than the limit by its stat: not read at all.
		{name: "too large", content: "", stat: maxPageBytes + 1, wantNil: true, wantSize: maxPageBytes + 1, wantReads: -1},
		// Grown past the limit since its stat: given up once past it.
		{name: "grew too large", content: big, stat: 10, wantNil: true, wantSize: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tt.content)
			if tt.wrap != nil {
				r = tt.wrap(r)
			}
			c := &countingReader{r: r}
			var buf []byte
			got, size, err := readAll(c, tt.stat, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNil != (got == nil) || !tt.wantNil && string(got) != tt.want {
				t.Errorf("read %d bytes (nil %v), want %d (nil %v)", len(got), got == nil, len(tt.want), tt.wantNil)
			}
			if tt.wantSize >= 0 && size != tt.wantSize || tt.wantSize < 0 && size <= maxPageBytes {
				t.Errorf("size %d, want %d", size, tt.wantSize)
			}
			switch {
			case tt.wantReads > 0 && c.reads != tt.wantReads:
				t.Errorf("%d reads, want %d", c.reads, tt.wantReads)
			case tt.wantReads < 0 && c.reads != 0:
				t.Errorf("%d reads of a file too large to read", c.reads)
			}
		})
	}
	// A read error is returned.
	var buf []byte
	boom := errors.New("boom")
	if _, _, err := readAll(iotest.ErrReader(boom), 10, &buf); err != boom {
		t.Errorf("readAll(failing reader) = %v, want %v", err, boom)
	}
}

func TestReadPage(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "index.html")
	content := bytes.Repeat([]byte("<p>a page</p>\n"), 500)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	got, size, err := readPage(p, &buf)
	if err != nil || !bytes.Equal(got, content) || size != int64(len(content)) {
		t.Errorf("readPage = %d bytes, size %d, %v; want %d bytes", len(got), size, err, len(content))
	}
	// A missing page is an error naming it.
	missing := filepath.Join(dir, "gone.html")
	if _, _, err := readPage(missing, &buf); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("readPage(missing) = %v", err)
	}
	// A directory cannot be read as a page.
	if _, _, err := readPage(dir, &buf); err == nil {
		t.Error("readPage(directory) did not fail")
	}
}
