package fleetdb

import (
	"sync/atomic"
	"testing"
)

// TestParallelRunner: every task runs exactly once, and the runner returns
// only when all have (go test -race checks the hand-offs).
func TestParallelRunner(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 1000} {
		runs := make([]atomic.Int32, n)
		var done atomic.Int32
		parallelRunner(n, func(i int) {
			runs[i].Add(1)
			done.Add(1)
		})
		if int(done.Load()) != n {
			t.Fatalf("n=%d: returned after %d tasks", n, done.Load())
		}
		for i := range runs {
			if c := runs[i].Load(); c != 1 {
				t.Fatalf("n=%d: task %d ran %d times", n, i, c)
			}
		}
	}
}
