//go:build unix

package testenv

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user and system) the process has used so far,
// which benchmarks compare beside wall time on a shared machine.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
