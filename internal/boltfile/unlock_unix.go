//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package boltfile

import (
	"os"
	"syscall"
)

// unlockFile drops bbolt's flock on f. Closing f alone does not: the lock
// belongs to the open file description, which bbolt's memory map keeps alive.
func unlockFile(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
