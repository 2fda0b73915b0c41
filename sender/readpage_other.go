//go:build !unix

package sender

import (
	"io"
	"os"
)

// openPage opens a page for reading and stats it.
func openPage(path string) (io.ReadCloser, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}
