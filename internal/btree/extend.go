package btree

import (
	"strings"
	"sync/atomic"
)

// Extending a run at its end (doc.go, "Runs that grow at their end").
//
// Keys that arrive in ascending order past every key of a part (a load's
// ids, a log's replay, the ids of single inserts) went to the delta's
// right edge and, once it outgrew its bound, into a new run: each key was
// copied about deltaShare times over the life of its part, through a path
// copy of the delta per write and a merge per run/deltaShare keys. Such
// keys now go straight to the run's end. A run made by extend has arrays
// with room to spare, shared with the run it was extended from: it claims
// the room it fills (claim), so the older run, which reads only its own
// length, never sees a change, and a second extension of that older run
// (which finds the room claimed) copies instead.

// claim is how many slots of a run's arrays some run sharing them holds:
// the longest such run's length. Room past it is free.
type claim struct{ n atomic.Int64 }

// extendable reports whether keys, which ascend, can be appended to r:
// they ascend strictly, the first is above r's last key, each has r's
// prefix and is short enough past it to need no string header of its
// own (runSlot).
func (r *run) extendable(keys []string) bool {
	n := r.len()
	if n == 0 || len(keys) == 0 {
		return false
	}
	prev := r.key(n - 1)
	for _, k := range keys {
		if k <= prev || !strings.HasPrefix(k, r.prefix) || len(k)-len(r.prefix) >= longKey {
			return false
		}
		prev = k
	}
	return true
}

// extend returns r with keys (extendable) appended. It fills the room of
// r's arrays when r is the longest run holding them, and otherwise copies
// r into new arrays with room for a quarter as many keys again (Compact
// makes them exact). borrowed is the part's flag: a borrowed run's slots
// lie in memory the collector does not scan (borrow.go). A run that e made
// is changed in place (the ownership rule of Tree: a batch's writes extend
// one run), any other is left as it is. The fence, its top and its second
// words grow with the slots, both ways.
func (r *run) extend(e *Edit, keys []string, borrowed bool) *run {
	n := len(r.slots)
	m := n + len(keys)
	nf := blocksOf(m)
	nt := blocksOf(nf)
	slots, fence, top, fence2 := r.slots, r.fence, r.top, r.fence2 // r's, before x (maybe r) changes
	x := r
	if e == nil || r.edit != e {
		x = new(run)
		*x = *r // the prefix and longs are the same
		x.edit = e
	}
	if r.claim != nil && cap(slots) >= m && cap(fence) >= nf && cap(top) >= nt &&
		(fence2 == nil || cap(fence2) >= nf) && r.claim.n.CompareAndSwap(int64(n), int64(m)) {
		x.slots, x.fence, x.top = slots[:m], fence[:nf], top[:nt]
		if fence2 != nil {
			x.fence2 = fence2[:nf]
		}
	} else {
		c := m + max(m/4, 16)
		cf := blocksOf(c)
		x.slots = newSlots(c, borrowed)[:m]
		copy(x.slots, slots)
		x.fence = append(make([]uint64, 0, cf), fence...)[:nf]
		x.top = append(make([]uint64, 0, blocksOf(cf)), top...)[:nt]
		if fence2 != nil {
			x.fence2 = append(make([]uint64, 0, cf), fence2...)[:nf]
		}
		x.claim = new(claim)
		x.claim.n.Store(int64(m))
	}
	lcp := len(r.prefix)
	for j, k := range keys {
		x.slots[n+j] = runSlot(k, lcp)
	}
	for b := len(fence); b < nf; b++ {
		x.fence[b] = x.slots[b*fenceEvery].w
	}
	for c := len(top); c < nt; c++ {
		x.top[c] = x.fence[c*fenceEvery]
	}
	// The new blocks' second words. An old block keeps what it had: one
	// whose new neighbour ties with it goes without (0: searches compare
	// its key), so that no extension reads the run's old keys.
	for b := len(fence); b < nf; b++ {
		if !needsWord2(x.fence, b) {
			continue
		}
		if x.fence2 == nil {
			x.fence2 = make([]uint64, nf, cap(x.fence)) // x's own: room as the fence's
		}
		x.fence2[b] = word2(x.suffix(b * fenceEvery))
	}
	return x
}
