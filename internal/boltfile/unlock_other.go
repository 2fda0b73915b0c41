//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package boltfile

import "os"

// unlockFile is a no-op where bbolt does not lock with flock; there the lock
// goes with the file handle.
func unlockFile(*os.File) {}
