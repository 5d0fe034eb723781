package collection

// Large batches of inserts (a bulk load) can use more than one core: the
// blocks of different records are independent, and the record map and each
// index are separate trees that share no node, so one edit token may change
// each of them on a goroutine of its own (package btree: an Edit guards
// nodes, not goroutines; each tree is changed by one goroutine). The pure
// layer starts no goroutine itself: the caller passes a Runner (the
// database's writer passes one that uses its spare cores, see the root
// package's parallel.go), and a nil Runner runs everything in order.
//
// The result never depends on the Runner: each tree takes its keys in
// sorted order on one goroutine, so the trees are the same node for node
// whichever goroutine built which part.

// Runner runs task(0), ..., task(n-1), possibly concurrently, each exactly
// once, and returns when all have returned.
type Runner func(n int, task func(i int))

// minParallelBatch is the smallest batch InsertMany hands to its Runner;
// below it the hand-offs cost more than they save.
const minParallelBatch = 256

// blockParts is how many parts a large batch's records are cut into to
// build their blocks.
const blockParts = 4

// run runs the tasks with r, or in order when r is nil or the batch is
// small.
func (r Runner) run(batch, n int, task func(i int)) {
	if r == nil || batch < minParallelBatch || n < 2 {
		for i := range n {
			task(i)
		}
		return
	}
	r(n, task)
}
