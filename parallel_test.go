package fleetdb

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelRunner: every task runs exactly once, and the runner returns
// only when all have (go test -race checks the hand-offs); asked to, it
// says how long each took.
func TestParallelRunner(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 1000} {
		runs := make([]atomic.Int32, n)
		var done atomic.Int32
		took := make([]int64, n)
		parallelRunner(n, func(i int) {
			runs[i].Add(1)
			done.Add(1)
			if i == 1 {
				time.Sleep(time.Millisecond)
			}
		}, took)
		if int(done.Load()) != n {
			t.Fatalf("n=%d: returned after %d tasks", n, done.Load())
		}
		for i := range runs {
			if c := runs[i].Load(); c != 1 {
				t.Fatalf("n=%d: task %d ran %d times", n, i, c)
			}
			if took[i] < 0 || i == 1 && took[i] < int64(time.Millisecond) {
				t.Fatalf("n=%d: task %d took %d ns", n, i, took[i])
			}
		}
	}
}

// TestParallelRunnerUntimed: without took, nothing is timed.
func TestParallelRunnerUntimed(t *testing.T) {
	var done atomic.Int32
	parallelRunner(3, func(int) { done.Add(1) }, nil)
	if done.Load() != 3 {
		t.Fatalf("%d tasks ran", done.Load())
	}
}
