package collection

import (
	"runtime"
	"sync"
)

// Large batches of inserts (a bulk load, a replayed batch) use more than one
// core: the blocks of different records are independent, and the record map
// and each index are separate trees, which share no node, so one edit token
// may change each of them on its own goroutine (package btree: an Edit
// guards nodes, not goroutines; each tree is changed by one goroutine).
//
// Measured with inproc/run.sh (200,000 records of ~125 B, three indexes,
// batches of 1,000) and BenchmarkBulkInsert, see the commit that added this
// file. Below minParallelBatch records the goroutines cost more than they
// save.

// minParallelBatch is the smallest batch split over goroutines.
const minParallelBatch = 256

// workers returns how many goroutines a batch of n records uses.
func workers(n int) int {
	if n < minParallelBatch {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

// split calls fn on w consecutive parts [lo, hi) of [0, n), concurrently,
// the last on the calling goroutine, and returns when all are done.
func split(w, n int, fn func(lo, hi int)) {
	if w <= 1 || n < 2 {
		fn(0, n)
		return
	}
	w = min(w, n)
	var wg sync.WaitGroup
	for k := 0; k < w-1; k++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(k*n/w, (k+1)*n/w)
	}
	fn((w-1)*n/w, n)
	wg.Wait()
}

// tasks calls fn(0) ... fn(n-1) on up to w goroutines (the calling one
// included), each task on one goroutine, and returns when all are done.
func tasks(w, n int, fn func(t int)) {
	if w <= 1 || n < 2 {
		for t := range n {
			fn(t)
		}
		return
	}
	w = min(w, n)
	var mu sync.Mutex
	next := 0
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		t := next
		next++
		return t
	}
	run := func() {
		for t := take(); t < n; t = take() {
			fn(t)
		}
	}
	var wg sync.WaitGroup
	for k := 0; k < w-1; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	run()
	wg.Wait()
}
