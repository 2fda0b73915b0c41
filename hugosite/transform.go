package hugosite

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/afero"
)

// errNoSeek is returned by the positional writes of a file being
// transformed: its content is only known whole, at Close.
var errNoSeek = errors.New("positional write to a file being transformed")

// transformFs is the destination filesystem of a build with
// Options.Transform: every .html/.htm file opened for writing from scratch
// (Create, or OpenFile with O_TRUNC or O_CREATE|O_EXCL) is buffered, and on
// Close its whole content goes through transform and then to disk. Hugo's
// pages and aliases (helpers.OpenFileForWriting: Create), its deferred
// template and PostProcess passes (afero.WriteFile: OpenFile with O_TRUNC)
// and the static copy (fsync: Create) all write this way. Everything else
// (reads, Stat, Chmod, Chtimes, Remove, Rename, other files) goes straight
// to the wrapped filesystem.
type transformFs struct {
	afero.Fs
	transform func(path string, data []byte) []byte

	mu  sync.Mutex
	err error // the first failed Close
}

func newTransformFs(fs afero.Fs, transform func(string, []byte) []byte) *transformFs {
	return &transformFs{Fs: fs, transform: transform}
}

// UnwrapFilesystem lets hugofs.IsOsFs and hugofs.WalkFilesystems see the
// filesystem underneath.
func (fs *transformFs) UnwrapFilesystem() afero.Fs { return fs.Fs }

// LstatIfPossible keeps the Lstat of the wrapped filesystem available to
// afero.BasePathFs, which Hugo puts on top.
func (fs *transformFs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	if l, ok := fs.Fs.(afero.Lstater); ok {
		return l.LstatIfPossible(name)
	}
	fi, err := fs.Fs.Stat(name)
	return fi, false, err
}

func (fs *transformFs) Create(name string) (afero.File, error) {
	f, err := fs.Fs.Create(name)
	if err != nil || !isPageName(name) {
		return f, err
	}
	return fs.wrap(f, name), nil
}

func (fs *transformFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := fs.Fs.OpenFile(name, flag, perm)
	if err != nil || !isPageName(name) || !wholeWrite(flag) {
		return f, err
	}
	return fs.wrap(f, name), nil
}

// wholeWrite reports whether flag opens a file for writing its whole
// content: truncated or newly created. A write into the middle of an
// existing file is left alone (Hugo does not do that).
func wholeWrite(flag int) bool {
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return false
	}
	return flag&os.O_TRUNC != 0 || flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL
}

// isPageName reports whether name has a page extension (.html or .htm, any
// case), as package site counts pages.
func isPageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".html" || ext == ".htm"
}

func (fs *transformFs) wrap(f afero.File, name string) *transformFile {
	return &transformFile{File: f, fs: fs, name: name, buf: bufPool.Get().(*bytes.Buffer)}
}

// Err returns the first error of a transformed file's Close. Hugo's
// publisher and the static syncer both close files with a deferred Close
// and drop its error, and the write happens there: Build reports it.
func (fs *transformFs) Err() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.err
}

func (fs *transformFs) fail(err error) {
	fs.mu.Lock()
	if fs.err == nil {
		fs.err = err
	}
	fs.mu.Unlock()
}

// bufPool recycles the buffers of transformed files (Transform must not
// keep the bytes it is given).
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// transformFile buffers what is written to a page and writes the
// transformed content to the underlying file, already truncated, on Close.
type transformFile struct {
	afero.File // the real file, written at Close
	fs         *transformFs
	name       string        // absolute path, as given to Transform
	buf        *bytes.Buffer // nil once closed
}

func (f *transformFile) Write(p []byte) (int, error) {
	if f.buf == nil {
		return 0, os.ErrClosed
	}
	return f.buf.Write(p)
}

func (f *transformFile) WriteString(s string) (int, error) {
	if f.buf == nil {
		return 0, os.ErrClosed
	}
	return f.buf.WriteString(s)
}

func (f *transformFile) WriteAt(p []byte, off int64) (int, error) {
	return 0, fmt.Errorf("write %s: %w", f.name, errNoSeek)
}

func (f *transformFile) Seek(offset int64, whence int) (int64, error) {
	return 0, fmt.Errorf("seek %s: %w", f.name, errNoSeek)
}

func (f *transformFile) Truncate(size int64) error {
	if f.buf == nil {
		return os.ErrClosed
	}
	if size < 0 || size > int64(f.buf.Len()) {
		return fmt.Errorf("truncate %s: %w", f.name, errNoSeek)
	}
	f.buf.Truncate(int(size))
	return nil
}

// Sync does nothing: the content reaches the file at Close.
func (f *transformFile) Sync() error { return nil }

// Close transforms the buffered content, writes it and closes the file.
func (f *transformFile) Close() error {
	if f.buf == nil {
		return os.ErrClosed
	}
	buf := f.buf
	f.buf = nil
	out := f.fs.transform(f.name, buf.Bytes())
	_, err := f.File.Write(out)
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if buf.Cap() <= 4<<20 {
		buf.Reset()
		bufPool.Put(buf)
	}
	if err != nil {
		err = fmt.Errorf("write transformed %s: %w", f.name, err)
		f.fs.fail(err)
	}
	return err
}

// staticDestFs is the static copy's destination when files are
// transformed: it reports pages as having no size, so the syncer never
// takes a page already in the publish dir for up to date (which it is not
// when an earlier build wrote it untransformed) and copies it again,
// through Transform.
type staticDestFs struct {
	afero.Fs
}

func (fs staticDestFs) Stat(name string) (os.FileInfo, error) {
	fi, err := fs.Fs.Stat(name)
	if err != nil || fi.IsDir() || !isPageName(name) {
		return fi, err
	}
	return unsizedInfo{fi}, nil
}

// unsizedInfo is a FileInfo whose size never matches a real file's.
type unsizedInfo struct{ os.FileInfo }

func (unsizedInfo) Size() int64 { return -1 }
