package fleetdb

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"
)

// TestHelpersRun: every task runs exactly once, and run returns only when
// all have (go test -race checks the hand-offs); asked to, it says how
// long each took.
func TestHelpersRun(t *testing.T) {
	h := newHelpers()
	defer h.close()
	for _, n := range []int{0, 1, 2, 5, 1000} {
		runs := make([]atomic.Int32, n)
		var done atomic.Int32
		took := make([]int64, n)
		h.run(n, func(i int) {
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

// TestHelpersUntimed: without took, nothing is timed.
func TestHelpersUntimed(t *testing.T) {
	h := newHelpers()
	defer h.close()
	var done atomic.Int32
	h.run(3, func(int) { done.Add(1) }, nil)
	if done.Load() != 3 {
		t.Fatalf("%d tasks ran", done.Load())
	}
}

// TestHelpersShared: jobs asked for by many goroutines at once (the parses
// of concurrent large inserts, beside the writer's) each run every task
// once, whichever goroutine takes them; after close, jobs run on the
// asking goroutine, and the helpers are gone.
func TestHelpersShared(t *testing.T) {
	before := runtime.NumGoroutine()
	h := newHelpers()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for round := range 200 {
				n := 2 + (g+round)%7
				runs := make([]atomic.Int32, n)
				h.run(n, func(i int) {
					runs[i].Add(1)
					if i == 0 && round%50 == 0 {
						time.Sleep(100 * time.Microsecond)
					}
				}, nil)
				for i := range runs {
					if c := runs[i].Load(); c != 1 {
						t.Errorf("goroutine %d round %d: task %d of %d ran %d times", g, round, i, n, c)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	h.close()
	h.close() // a second close does nothing
	var ran atomic.Int32
	h.run(4, func(int) { ran.Add(1) }, nil)
	if ran.Load() != 4 {
		t.Fatalf("after close, %d of 4 tasks ran", ran.Load())
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after close, %d before the helpers", n, before)
	}
}

// TestHelpersCloseDuringRun: a job asked for while the helpers stop still
// runs every task once, and neither side waits for the other forever.
func TestHelpersCloseDuringRun(t *testing.T) {
	for range 50 {
		h := newHelpers()
		h.run(2, func(int) {}, nil) // start them
		var count atomic.Int32
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.run(64, func(int) { count.Add(1); time.Sleep(10 * time.Microsecond) }, nil)
		}()
		h.close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("run did not return after close")
		}
		if count.Load() != 64 {
			t.Fatalf("%d of 64 tasks ran", count.Load())
		}
	}
}

// TestHelpersLetGo: once run returns, nothing of the helpers holds the
// job's task, which holds what the insert worked on (a batch's records and
// keys).
func TestHelpersLetGo(t *testing.T) {
	h := newHelpers()
	defer h.close()
	data := new([1 << 16]byte)
	held := weak.Make(data)
	task := func(d *[1 << 16]byte) func(int) { return func(i int) { d[i]++ } }(data)
	h.run(4, task, nil)
	data, task = nil, nil
	for range 3 {
		runtime.GC()
	}
	if held.Value() != nil {
		t.Fatal("the job's data is still reachable after run returned")
	}
}
