package collection

import (
	"cmp"
	"slices"
)

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
// once, and returns when all have returned. When took is not nil (of
// length n), it sets took[i] to how long task i ran, in nanoseconds: the
// pure layer reads no clock, and the order in which a large insert hands
// out its trees comes from those times (treeCosts).
type Runner func(n int, task func(i int), took []int64)

// minParallelBatch is the smallest batch InsertMany hands to its Runner;
// below it the hand-offs cost more than they save.
const minParallelBatch = 256

// blockParts is how many parts a large batch's records are cut into to
// build their blocks.
const blockParts = 4

// run runs the tasks with r, or in order when r is nil or the batch is
// small. It reports whether r ran them, and so set took.
func (r Runner) run(batch, n int, task func(i int), took []int64) bool {
	if r == nil || batch < minParallelBatch || n < 2 {
		for i := range n {
			task(i)
		}
		return false
	}
	r(n, task, took)
	return true
}

// treeCosts is what each tree of a collection cost per key in its last
// sorted insert that a Runner ran (InsertMany), in nanoseconds as the Runner
// measured them: the record map's first, then each index's. A
// large insert hands its trees to the Runner in the order of these costs,
// the costliest first, so that the longest task does not start last while
// the other goroutines run out of work (largest-first scheduling). With two
// cores, a load of 200,000 records in batches of 1,000 with three indexes
// spent 240 ms in its costliest tree, the (city, age) index, whose keys of
// one city tie on their words (package btree), and 300 ms in the tree phase
// when that index came last: another goroutine had taken the cheaper trees
// first, so it started late. Largest first: 300 -> 240 ms, and the load
// 5-8 % faster (a probe loading the in-process comparison's records). The
// costs only order the tasks: the trees are the same whatever the order. A
// collection's costs are replaced, never changed: values published earlier
// may share them.
type treeCosts struct {
	perKey []float32
}

// order appends the trees 0..n-1 to dst, those that cost most in the last
// sorted insert first. Without costs for n trees (the first large insert,
// or an index created since), the indexes come first, in their order, and
// the record map last: a load's ids usually ascend, which costs least.
func (tc *treeCosts) order(dst []int, n int) []int {
	for i := 1; i < n; i++ {
		dst = append(dst, i)
	}
	dst = append(dst, 0)
	if tc == nil || len(tc.perKey) != n {
		return dst
	}
	slices.SortStableFunc(dst, func(a, b int) int { return cmp.Compare(tc.perKey[b], tc.perKey[a]) })
	return dst
}
