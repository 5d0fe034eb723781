package fleetdb

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// helpers run the independent parts of one large insert (record blocks,
// then the record map and each index, package collection's parallel.go)
// and the two passes of a large insert's parse (query.ParseViewWith)
// beside the goroutine that asks: their run is the database's
// collection.Runner (query.Env.Parallel). The write stays one write of the
// one writer: its helpers touch only the trees of the collection it is
// changing, and the write neither finishes nor publishes before they do.
// With took, run times each task (the collection hands out the costliest
// trees first next time).
//
// Why goroutines that wait, spinning, for the next job instead of one
// started per job: on the project's 2-core VM a goroutine started while
// the other processor idled began 70 us to over 1 ms later, often only
// once its starter blocked (a probe: two tasks of 300 us each took 422 us
// at the median and 604 us, all of it in order, at the 90th percentile;
// yielding after the go statement only delayed the starter instead). The
// idle processor's thread sleeps and is slow to wake. A load of 200,000
// records in inserts of 1,000 hands out three jobs per insert (the parse,
// the blocks, the trees), a few hundred microseconds each: with a helper
// started per job, much of each ran on one core. A helper that spins for
// spinFor after its last job, yielding between looks (so that anything
// else runnable, the collector's workers included, runs), is still awake
// when the next job comes; then it sleeps until a job wakes it. Loading
// those records: 493-516 k against 551-602 k records/s (docs/
// performance-history.md, twelfth round). The asking goroutine, once it has no task
// left to claim, likewise looks for the job's end before it sleeps on it
// (thirteenth round), and a caller that knows which of its tasks is the
// longest puts it first: the asker claims task 0 at once, a helper the next
// one tens of microseconds later.
type helpers struct {
	job  atomic.Pointer[job] // the latest job
	wake chan struct{}       // a token per helper that may sleep: a job was posted
	stop chan struct{}       // closed by close

	mu      sync.Mutex  // held to start the helpers and to stop them
	started atomic.Bool // the helpers run (set under mu, after wake)
	shut    atomic.Bool // close was called: jobs run on the asking goroutine
	wg      sync.WaitGroup
}

// job is one call of run: n tasks, each claimed once by whoever takes the
// next number.
type job struct {
	n    int
	task func(i int)
	next atomic.Int64 // the next task to claim
	left atomic.Int64 // tasks not finished yet
	fin  chan struct{}
}

// spinFor is how long a helper looks for the next job, and the asking
// goroutine for its job's end, before it sleeps.
const spinFor = 200 * time.Microsecond

// spinUntil looks for cond for up to spinFor, yielding between looks (so
// that anything else runnable, the collector's workers included, runs),
// and reports whether it held.
func spinUntil(cond func() bool) bool {
	for deadline := time.Now().Add(spinFor); ; runtime.Gosched() {
		if cond() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
	}
}

func newHelpers() *helpers {
	return &helpers{stop: make(chan struct{})}
}

// run runs task(0), ..., task(n-1), each exactly once, on the calling
// goroutine and the helpers, and returns when all have returned.
func (h *helpers) run(n int, task func(i int), took []int64) {
	if took != nil {
		untimed := task
		task = func(i int) {
			start := time.Now()
			untimed(i)
			took[i] = int64(time.Since(start))
		}
	}
	if n < 2 || !h.ready() {
		for i := range n {
			task(i)
		}
		return
	}
	j := &job{n: n, task: task, fin: make(chan struct{})}
	j.left.Store(int64(n))
	h.job.Store(j)
	for range min(n-1, cap(h.wake)) {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	j.work()
	// A helper runs the last tasks. Look for their end as a helper looks
	// for a job before sleeping on it: woken from its sleep, this
	// goroutine resumed tens of microseconds after the helper closed fin,
	// three times per insert of a load.
	if !spinUntil(func() bool { return j.left.Load() == 0 }) {
		<-j.fin
	}
	// Let go of the job: its task holds what the insert works on.
	h.job.CompareAndSwap(j, nil)
}

// ready reports whether the helpers run, starting them at the first job
// (one fewer than GOMAXPROCS; none on one processor, or once closed).
func (h *helpers) ready() bool {
	if h.started.Load() {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k := runtime.GOMAXPROCS(0) - 1
	if h.started.Load() || h.shut.Load() || k < 1 {
		return h.started.Load()
	}
	h.wake = make(chan struct{}, k)
	h.wg.Add(k)
	for range k {
		go h.loop()
	}
	h.started.Store(true)
	return true
}

// work claims and runs j's tasks until none is left to claim; whoever
// finishes the last task closes j.fin.
func (j *job) work() {
	for i := int(j.next.Add(1) - 1); i < j.n; i = int(j.next.Add(1) - 1) {
		j.task(i)
		if j.left.Add(-1) == 0 {
			close(j.fin)
		}
	}
}

// loop is a helper: it works on each new job, and between jobs spins for
// spinFor, then sleeps until woken or stopped.
func (h *helpers) loop() {
	defer h.wg.Done()
	for {
		j := h.next()
		if j == nil {
			return
		}
		j.work()
	}
}

// next returns a job with tasks left to claim, or nil once the helpers are
// stopped.
func (h *helpers) next() *job {
	fresh := func() *job {
		if j := h.job.Load(); j != nil && j.next.Load() < int64(j.n) {
			return j
		}
		return nil
	}
	for {
		var j *job
		if spinUntil(func() bool { j = fresh(); return j != nil }) {
			return j
		}
		select {
		case <-h.wake:
		case <-h.stop:
			return nil
		}
		if j := fresh(); j != nil {
			return j
		}
	}
}

// close stops the helpers and waits for them; later jobs run on the
// asking goroutine alone. The database closes its helpers once its writer
// has stopped.
func (h *helpers) close() {
	h.mu.Lock()
	if !h.shut.Swap(true) {
		close(h.stop)
	}
	h.mu.Unlock()
	h.wg.Wait()
}
