package fleetdb

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// parallelRunner is the writer's collection.Runner (query.Env.Parallel):
// it runs the independent parts of one large insert (record blocks, then
// the record map and each index, package collection's parallel.go) on up
// to GOMAXPROCS goroutines, the writer's own among them, and returns when
// all are done. The write stays one write of the one writer: its helpers
// touch only the trees of the collection it is changing, and the write
// neither finishes nor publishes before they do. With took, it times each
// task (the collection hands out the costliest trees first next time).
func parallelRunner(n int, task func(i int), took []int64) {
	if took != nil {
		untimed := task
		task = func(i int) {
			start := time.Now()
			untimed(i)
			took[i] = int64(time.Since(start))
		}
	}
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		for i := range n {
			task(i)
		}
		return
	}
	var next atomic.Int64 // the next task to take
	work := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			task(i)
		}
	}
	var wg sync.WaitGroup
	for range w - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
