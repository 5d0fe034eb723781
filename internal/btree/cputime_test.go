package btree

import (
	"syscall"
	"testing"
)

// cpuClock measures the CPU time the whole process (mutator and garbage
// collector) spends in a benchmark loop. On a shared machine wall time per
// op swings with the load of other processes; CPU time much less so. It is
// reported next to ns/op as cpu-ns/op (or cpu-ns/key).
type cpuClock struct{ start int64 }

func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

// report records the CPU time per unit over n units of work.
func (c cpuClock) report(b *testing.B, n int, unit string) {
	if n > 0 {
		b.ReportMetric(float64(processCPU()-c.start)/float64(n), "cpu-ns/"+unit)
	}
}
