package btree

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unsafe"
)

// run is the dense part of a Set: its keys in ascending order, in one
// exactly sized array of slots. A run is never modified once built: a Set's
// writes go to its delta tree, and a merge builds a new run. Its arrays are
// allocations of their own, so a run has no per-node header, no free slots
// and, when it dies, leaves no holes among live objects: its pages go back
// to the heap whole.
//
// A run's slots leave out the prefix all its keys share: a slot's word is
// that of the key's suffix past the prefix (slot.go), so the words of keys
// that share a long prefix (an index of e-mail addresses: a type tag and
// "user") still tell them apart, and a search rarely reads a key's bytes,
// each a cache miss in its record's block.
type run struct {
	slots []slot
	fence []uint64 // fence[b] = slots[b*fenceEvery].w: see find
	// top[c] = fence[c*fenceEvery]: a fence of the fence, small enough to
	// stay in the closest cache, for block's search (topFence).
	top []uint64
	// fence2[b], when not 0, is the word of the suffix's bytes past the
	// first prefixLen (word2) of block b's first key: kept for the long
	// fence words that share their first prefixLen bytes with a
	// neighbour's, so that a search among keys that tie on their words (a
	// composite index's keys of one value, ids with a common stem) rarely
	// reads a key's bytes. nil when no fence word ties so.
	fence2 []uint64
	prefix string // a prefix every key has (a copy): the longest when the run was made
	// claim, for a run made by extend, is shared by the runs whose arrays
	// these are (extend.go); nil for a run whose arrays are its own.
	claim *claim
	// edit is the token whose writes may extend this run in place (nil:
	// none), as a node's (Edit).
	edit *Edit
	// longs keeps alive the string headers of a borrowed run's long keys
	// (borrow.go); nil otherwise.
	longs []unsafe.Pointer
}

// slot is one key of a run: the word of its suffix past the run's prefix,
// and a pointer, side by side, so that the search's last step and the key
// it finds share a cache line. The pointer is the key's address, or that of
// a string header holding the key when its suffix is longKey bytes or more.
type slot struct {
	w uint64
	p unsafe.Pointer
}

// runSlot returns the slot of key in a run whose prefix has lcp bytes.
func runSlot(key string, lcp int) slot {
	suf := key[lcp:]
	if len(suf) >= longKey {
		h := new(string)
		*h = key
		return slot{word(suf), unsafe.Pointer(h)}
	}
	return slot{word(suf), unsafe.Pointer(unsafe.StringData(key))}
}

// fenceEvery is the stride of a run's fence. A lookup searches the fence
// (a sixteenth of the words, so its upper levels stay in the cache), then
// the fenceEvery slots of one block, where a binary search over all slots
// would touch a new cache line at each of its last dozen steps.
const fenceEvery = 16

// blocksOf returns how many blocks of fenceEvery hold n items: the length
// of the fence of a run of n keys, and of the top of a fence of n words.
func blocksOf(n int) int { return (n + fenceEvery - 1) / fenceEvery }

// newRun returns the run of the given slots, made with prefix, and its
// fence; with keep, it keeps the headers of its long keys (keepLongs: a
// borrowed run that may hold some).
func newRun(slots []slot, prefix string, keep bool) *run {
	if len(slots) > math.MaxInt32 {
		panic("btree: a run of more than 2^31-1 keys") // a mark's pos is an int32
	}
	nf := blocksOf(len(slots))
	words := make([]uint64, nf+blocksOf(nf)) // the fence, then the top: one allocation
	r := &run{slots: slots, fence: words[:nf:nf], top: words[nf:], prefix: prefix}
	for b := range r.fence {
		r.fence[b] = slots[b*fenceEvery].w
	}
	for c := range r.top {
		r.top[c] = r.fence[c*fenceEvery]
	}
	r.fence2 = r.secondWords()
	if keep {
		r.keepLongs()
	}
	return r
}

// secondWords returns the fence2 of r (nil if it needs none): the second
// word of each block's first key whose word ties with a neighbour's (both
// longer than prefixLen, the same first prefixLen bytes). Only those keys'
// bytes are read, so a run whose words tell its blocks apart costs a merge
// no read of its keys.
func (r *run) secondWords() []uint64 {
	var f2 []uint64
	for b := range r.fence {
		if !needsWord2(r.fence, b) {
			continue
		}
		if f2 == nil {
			f2 = make([]uint64, len(r.fence))
		}
		f2[b] = word2(r.suffix(b * fenceEvery))
	}
	return f2
}

// needsWord2 reports whether fence word b is long and ties with a
// neighbour's: whether a run keeps its second word.
func needsWord2(fence []uint64, b int) bool {
	q := fence[b]
	return q&lenMask > prefixLen &&
		(b > 0 && !decided(fence[b-1], q) || b+1 < len(fence) && !decided(fence[b+1], q))
}

// word2 returns the second word of a suffix longer than prefixLen bytes:
// the word of its bytes past the first prefixLen, never 0. Two suffixes
// whose words tie share those bytes, so their second words order them as
// their words order other keys (decided).
func word2(suf string) uint64 { return word(suf[prefixLen:]) }

// checkSecondWords verifies fence2: a run made by newRun has exactly the
// second words secondWords gives; an extended one (extend.go) may lack
// some (0), and every one it has is its key's.
func (r *run) checkSecondWords() error {
	if r.claim == nil {
		if f2 := r.secondWords(); !slices.Equal(f2, r.fence2) {
			return fmt.Errorf("btree: run's second fence words %x, want %x", r.fence2, f2)
		}
		return nil
	}
	if r.fence2 == nil {
		return nil
	}
	if len(r.fence2) != len(r.fence) {
		return fmt.Errorf("btree: %d second fence words for a fence of %d", len(r.fence2), len(r.fence))
	}
	for b, q := range r.fence2 {
		if q == 0 {
			continue
		}
		if suf := r.suffix(b * fenceEvery); len(suf) <= prefixLen || q != word2(suf) {
			return fmt.Errorf("btree: second fence word %d is %#x for the key %q", b, q, suf)
		}
	}
	return nil
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// len returns the number of keys; a nil run has none.
func (r *run) len() int {
	if r == nil {
		return 0
	}
	return len(r.slots)
}

// key returns key i.
func (r *run) key(i int) string {
	s := r.slots[i]
	n := int(s.w & lenMask)
	if n == longKey {
		return *(*string)(s.p)
	}
	return unsafe.String((*byte)(s.p), len(r.prefix)+n)
}

// keyAt returns key i and true if ok (find's answer for a key the run
// holds), else "" and false.
func (r *run) keyAt(i int, ok bool) (string, bool) {
	if !ok {
		return "", false
	}
	return r.key(i), true
}

// suffix returns key i past the run's prefix.
func (r *run) suffix(i int) string { return r.key(i)[len(r.prefix):] }

// probe is a key prepared for a search of one run: its suffix past the
// run's prefix and that suffix's word, or, for a key without the prefix,
// which side of all the run's keys it falls on (out -1 below, +1 above).
type probe struct {
	suf string
	w   uint64
	w2  uint64 // word2(suf) for a suffix longer than prefixLen bytes, else 0
	out int
}

// probeOf returns the probe of suffix suf.
func probeOf(suf string) probe {
	pr := probe{suf: suf, w: word(suf)}
	if len(suf) > prefixLen {
		pr.w2 = word2(suf)
	}
	return pr
}

// probe prepares key for searches of r.
func (r *run) probe(key string) probe {
	if r == nil || r.prefix == "" {
		return probeOf(key)
	}
	pre := r.prefix
	if suf, ok := strings.CutPrefix(key, pre); ok {
		return probeOf(suf)
	}
	// key differs from the prefix before its end, or is a prefix of it:
	// every key of the run is on one side of it.
	if key < pre {
		return probe{out: -1}
	}
	return probe{out: 1}
}

// less reports whether key i is below the probe's key (out must be 0).
func (r *run) less(i int, pr probe) bool {
	if q := r.slots[i].w; decided(q, pr.w) {
		return q < pr.w
	}
	return r.suffix(i) < pr.suf
}

// lowerBound returns the smallest i in [lo, hi) whose key is not below
// the probe's, or hi.
func (r *run) lowerBound(lo, hi int, pr probe) int {
	switch {
	case pr.out < 0:
		return lo
	case pr.out > 0:
		return hi
	}
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if r.less(h, pr) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// seek returns lowerBound(i, len, probe) for a key expected near i: it
// gallops forward over the fence from i's block, so that visiting sorted
// keys costs the log of the gaps between them, in the fence's words (a
// sixteenth of the slots, mostly in the cache), and then one block.
func (r *run) seek(i int, pr probe) int {
	n := r.len()
	if pr.out != 0 || i >= n {
		return r.lowerBound(i, n, pr)
	}
	nb := len(r.fence)
	lo, hi := i/fenceEvery+1, nb // the first block above the key is in [lo, hi]
	for step := 1; ; step *= 2 {
		j := lo + step - 1
		if j >= nb {
			break
		}
		if r.fenceAbove(j, pr) {
			hi = j
			break
		}
		lo = j + 1
	}
	t := r.upperFence(lo, hi, pr) // the key belongs in block t-1
	return r.lowerBound(max(i, (t-1)*fenceEvery), min(t*fenceEvery, n), pr)
}

// fenceAbove reports whether the first key of block b is above the
// probe's (out must be 0).
func (r *run) fenceAbove(b int, pr probe) bool {
	if q := r.fence[b]; decided(q, pr.w) {
		return q > pr.w
	}
	// The words tie: both keys are longer than prefixLen bytes and share
	// those, so their second words, when the fence has one, order them.
	if r.fence2 != nil {
		if q := r.fence2[b]; q != 0 && decided(q, pr.w2) {
			return q > pr.w2
		}
	}
	return r.suffix(b*fenceEvery) > pr.suf
}

// upperFence returns the first block in [lo, hi) whose first key is above
// the probe's, or hi.
func (r *run) upperFence(lo, hi int, pr probe) int {
	if pr.w&lenMask <= prefixLen && lo < hi {
		// A probe of at most prefixLen bytes is ordered against every key
		// by the words alone (decided), so the search compares integers
		// only, and without a branch to mispredict (wordsNotAbove: written
		// as an if, the step was compiled to a branch, which the
		// processor mispredicted on about every other step, perf
		// annotate of the in-process get loop).
		return lo + wordsNotAbove(r.fence[lo:hi], pr.w)
	}
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if r.fenceAbove(h, pr) {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo
}

// topFence is upperFence(0, len(fence), pr), the number of blocks whose
// first key is not above the probe's. It counts the top words not above
// the probe's word w, with upperFence's halving (top is a 256th of the
// slots: 4 KB for a run of partMax keys), then the fence words not above
// w among the fenceEvery of the block of the fence that this leaves, loads
// that do not wait for one another. A binary search of the whole fence
// waited for a dozen loads one after another, most of them beyond the
// closest cache once the lookup before had brought in its block and
// record.
//
// Words order a probe of at most prefixLen bytes against every key. A
// longer probe ties only with the keys that share its first prefixLen
// bytes and are as long (decided), which are contiguous: outside them the
// halving's comparisons are right, so it ends next to such a key or at
// the true place. So when a top word next to where it ended ties, the
// fence between the top words that tie is searched (fenceAbove: by the
// second words where the fence has them); a tied fence word of the block
// is compared by its key.
func (r *run) topFence(pr probe) int {
	w := pr.w
	short := w&lenMask <= prefixLen
	c := wordsNotAbove(r.top, w)
	if !short && (c > 0 && !decided(r.top[c-1], w) || c < len(r.top) && !decided(r.top[c], w)) {
		// The top words that tie with w are those with its first
		// prefixLen bytes and a length past them: the top words below
		// them begin blocks not above the probe, those past them blocks
		// above it, so only the fence between needs searching.
		a := wordsNotAbove(r.top, w&^lenMask|prefixLen)
		b := wordsNotAbove(r.top, w|lenMask)
		lo := 0
		if a > 0 {
			lo = (a-1)*fenceEvery + 1
		}
		return r.upperFence(lo, min(b*fenceEvery, len(r.fence)), pr)
	}
	if c == 0 {
		return 0 // below the first key
	}
	// fence[(c-1)*fenceEvery] is not above the probe; fence[c*fenceEvery],
	// if any, is.
	lo := (c - 1) * fenceEvery
	f := r.fence[lo:min(lo+fenceEvery, len(r.fence))]
	k := 0
	if short {
		for _, q := range f {
			_, above := bits.Sub64(w, q, 0)
			k += 1 - int(above)
		}
		return lo + k
	}
	for j, q := range f {
		if decided(q, w) {
			_, above := bits.Sub64(w, q, 0)
			k += 1 - int(above)
		} else if !r.fenceAbove(lo+j, pr) {
			k++
		}
	}
	return lo + k
}

// wordsNotAbove returns how many of the ascending words f are not above
// w: the last one that is not is found by halving, each step arithmetic
// (the borrow of w - f[i] is 1 when f[i] is above w), then stepped past.
func wordsNotAbove(f []uint64, w uint64) int {
	if len(f) == 0 {
		return 0
	}
	base, n := 0, len(f)
	for n > 1 {
		half := n >> 1
		_, above := bits.Sub64(w, f[base+half], 0)
		base += half &^ -int(above)
		n -= half
	}
	_, above := bits.Sub64(w, f[base], 0)
	return base + 1 - int(above)
}

// find returns the index of the probe's key and whether it is there (if
// not, the index where it belongs).
func (r *run) find(pr probe) (int, bool) { return r.scan(r.block(pr), pr) }

// block returns where a search for the probe's key scans: the key, if r
// holds it, is among the fenceEvery slots from there (fewer in a shorter
// run), or belongs right after those below it. It searches the fence for
// the first block whose first key is above the probe's: the key belongs in
// the block before (the last fenceEvery slots, for the last block).
func (r *run) block(pr probe) int {
	n := r.len()
	if n == 0 || pr.out != 0 {
		return 0
	}
	b := r.topFence(pr)
	if b == 0 {
		return 0 // below the first key: the scan stops at once
	}
	return max(0, min((b-1)*fenceEvery, n-fenceEvery))
}

// scan returns find's answer for the probe, given its block (block): the
// fenceEvery slots from there are scanned in order, not binary searched,
// so that their four cache lines are read in order, which the processor
// fetches ahead, where each step of a binary search waited for the line it
// chose.
func (r *run) scan(start int, pr probe) (int, bool) {
	n := r.len()
	switch {
	case n == 0 || pr.out < 0:
		return 0, false
	case pr.out > 0:
		return n, false
	}
	i, end := start, min(start+fenceEvery, n)
	if pr.w&lenMask <= prefixLen {
		// The words alone order a short probe against every key: count
		// the words below it, loads and no branch that wait for one
		// another.
		k := 0
		for _, s := range r.slots[start:end] {
			_, below := bits.Sub64(s.w, pr.w, 0)
			k += int(below)
		}
		i += k
	} else {
		// The words order the probe against every key but those that tie
		// with it, which are contiguous: step over the words below it,
		// then halve the tied ones by their bytes (each a read of a key,
		// likely a cache miss) rather than step through them.
		for i < end {
			if q := r.slots[i].w; !decided(q, pr.w) || q >= pr.w {
				break
			}
			i++
		}
		j := i
		for j < end && !decided(r.slots[j].w, pr.w) {
			j++
		}
		i = r.lowerBound(i, j, pr)
	}
	return i, i < n && r.isKey(i, pr)
}

// place is find for a write: a key past the last one (ascending loads add
// theirs there) is placed without searching.
func (r *run) place(pr probe) (int, bool) {
	if n := r.len(); n > 0 && pr.out == 0 && r.less(n-1, pr) {
		return n, false
	}
	return r.find(pr)
}

// isKey reports whether key i is the probe's key.
func (r *run) isKey(i int, pr probe) bool {
	return pr.out == 0 && r.slots[i].w == pr.w && (pr.w&lenMask < prefixLen+1 || r.suffix(i) == pr.suf)
}

// check verifies that the keys ascend strictly, share the prefix, that
// every word is its key's suffix's, and that an extended run's claim
// covers it.
func (r *run) check() error {
	if r == nil {
		return nil
	}
	n := len(r.slots)
	if n == 0 {
		return fmt.Errorf("btree: empty run")
	}
	if r.claim != nil && r.claim.n.Load() < int64(n) {
		return fmt.Errorf("btree: a run of %d keys in arrays whose claim is %d", n, r.claim.n.Load())
	}
	if len(r.fence) != blocksOf(n) {
		return fmt.Errorf("btree: run of %d keys with a fence of %d", n, len(r.fence))
	}
	for b, w := range r.fence {
		if w != r.slots[b*fenceEvery].w {
			return fmt.Errorf("btree: fence %d is %#x, word %d is %#x", b, w, b*fenceEvery, r.slots[b*fenceEvery].w)
		}
	}
	if err := r.checkSecondWords(); err != nil {
		return err
	}
	if len(r.top) != blocksOf(len(r.fence)) {
		return fmt.Errorf("btree: fence of %d words with a top of %d", len(r.fence), len(r.top))
	}
	for c, w := range r.top {
		if w != r.fence[c*fenceEvery] {
			return fmt.Errorf("btree: top %d is %#x, fence %d is %#x", c, w, c*fenceEvery, r.fence[c*fenceEvery])
		}
	}
	for i := range r.slots {
		k := r.key(i)
		if !strings.HasPrefix(k, r.prefix) {
			return fmt.Errorf("btree: run key %d %q lacks the prefix %q", i, k, r.prefix)
		}
		if s := runSlot(k, len(r.prefix)); s.w != r.slots[i].w {
			return fmt.Errorf("btree: run key %d %q has word %#x, want %#x", i, k, r.slots[i].w, s.w)
		}
		if i > 0 && r.key(i-1) >= k {
			return fmt.Errorf("btree: run keys %d and %d out of order: %q, %q", i-1, i, r.key(i-1), k)
		}
	}
	return nil
}
