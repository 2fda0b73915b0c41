//go:build unix

package sender

import (
	"io"
	"os"
	"syscall"
)

// openPage opens a page for reading and stats it, with the system calls
// alone: an *os.File would try to add each of 100,000 pages to the
// runtime's poller (five calls more per page, which a re-run spends more
// on than on hashing the bytes).
func openPage(path string) (io.ReadCloser, int64, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := retry(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		syscall.Close(fd)
		return nil, 0, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return &pageFD{fd: fd, path: path}, st.Size, nil
}

// pageFD is an open page.
type pageFD struct {
	fd   int
	path string
}

func (f *pageFD) Read(b []byte) (int, error) {
	var n int
	err := retry(func() (err error) {
		n, err = syscall.Read(f.fd, b)
		return err
	})
	switch {
	case err != nil:
		return 0, &os.PathError{Op: "read", Path: f.path, Err: err}
	case n == 0 && len(b) > 0:
		return 0, io.EOF
	}
	return n, nil
}

func (f *pageFD) Close() error { return syscall.Close(f.fd) }

// retry calls fn again while it is interrupted by a signal.
func retry(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}
