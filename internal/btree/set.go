package btree

import (
	"fmt"
	"slices"
	"unsafe"
)

// Set is a persistent sorted set of strings (byte-wise order), the shape
// of the database's record maps and indexes. Its keys are cut by range
// into parts (part.go), each a dense run and a small delta of changes, so
// that a merge, which copies a part's run, copies at most partMax keys: a
// Set of a million keys in one run stalled the write that merged it for
// 10-15 ms per set, and for up to 230 ms when the collector made that
// write help it mark (a 16 MB allocation while it runs).
//
// The zero Set is empty. A Set is a small value; copying it shares
// everything. Writes follow the ownership rule of Tree (Edit): given a
// token, they change in place what that token created (the parts' deltas
// and the list of parts), and copy the rest.
type Set struct {
	list *partList // nil when empty
	n    int       // keys in the set
	// hot, when not nil, stands for part hotI of the list, which holds
	// an older version of it: a write that changes the part the last one
	// changed (ascending ids, one after another) makes a new part and no
	// copy of the list (hot.go).
	hot  *part
	hotI int32
	// borrowed: the runs do not keep the keys alive (borrow.go).
	borrowed bool
}

// partList is the parts of a Set in key order, and where each begins. A
// list owned by an Edit may have its parts changed in place; lows and words
// are shared by every copy of the list and never changed (a split or a
// dropped part makes new ones), so that a write copies only the parts.
type partList struct {
	edit  *Edit    // the token that may change this list's parts in place (nil: none)
	lows  []string // lows[i]: the least key part i may hold (lows[0] is "")
	words []uint64 // words[i] = word(lows[i])
	parts []*part  // a write puts a new part in an owned list, or changes in place one its token made
}

// partMax is the most keys a part's run holds after a merge; a larger one
// is cut into runs of partMax/2 keys. A merge then copies at most about
// 2 MB of slots. It is a variable so that tests can make parts small.
var partMax = 1 << 17

// own returns s's list, made changeable by e: itself if e created it,
// otherwise a copy owned by e (never changed again when e is nil).
func (s *Set) own(e *Edit) *partList {
	l := s.list
	switch {
	case l == nil:
		l = &partList{edit: e, lows: []string{""}, words: []uint64{word("")}, parts: []*part{{borrowed: s.borrowed}}}
	case e != nil && l.edit == e:
	default:
		l = l.clone(e)
	}
	if s.hot != nil {
		l.parts[s.hotI] = s.hot // into a list e owns
		s.hot = nil
	}
	s.list = l
	return l
}

// clone returns a copy of l owned by e: a new parts array, the same lows
// and words. Up to 32 parts the list and its array are one allocation (a
// copied list was two, of the four objects a one-key write allocated per
// set), with room for an even number of parts: 80 + 8n bytes, exactly a
// size class for every even n up to 22 (at 1M keys a set has 8 to 16
// parts), so the pair takes no more than the two did.
func (l *partList) clone(e *Edit) *partList {
	n := len(l.parts)
	var c *partList
	if n <= 2*len(listMakers) {
		c = listMakers[max(n-1, 0)/2](n)
	} else {
		c = &partList{parts: make([]*part, n)}
	}
	copy(c.parts, l.parts)
	c.edit, c.lows, c.words = e, l.lows, l.words
	return c
}

// listWith is a partList allocated with its parts array, arr (an array of
// *part).
type listWith[A any] struct {
	partList
	arr A
}

// newListWith returns a list of n parts whose array is the arr of its own
// allocation (n at most arr's length).
func newListWith[A any](n int) *partList {
	h := new(listWith[A])
	room := int(unsafe.Sizeof(h.arr) / unsafe.Sizeof((*part)(nil)))
	h.parts = unsafe.Slice((**part)(unsafe.Pointer(&h.arr)), room)[:n]
	return &h.partList
}

// listMakers[i] makes lists of up to 2i+2 parts.
var listMakers = [...]func(int) *partList{
	newListWith[[2]*part], newListWith[[4]*part], newListWith[[6]*part], newListWith[[8]*part],
	newListWith[[10]*part], newListWith[[12]*part], newListWith[[14]*part], newListWith[[16]*part],
	newListWith[[18]*part], newListWith[[20]*part], newListWith[[22]*part], newListWith[[24]*part],
	newListWith[[26]*part], newListWith[[28]*part], newListWith[[30]*part], newListWith[[32]*part],
}

// route returns the index of the part whose range holds key.
func (l *partList) route(key string) int {
	p := word(key)
	lo, hi := 1, len(l.lows) // lows[0] is below every key
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		var above bool
		if q := l.words[h]; decided(q, p) {
			above = q > p
		} else {
			above = l.lows[h] > key
		}
		if above {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo - 1
}

// update returns s with part i replaced by p, cut up if its run grew past
// partMax, or dropped if it is empty (its range then joins the previous
// part's, or the next one's for the first part): a workload that deletes
// its oldest keys does not leave a trail of empty parts.
func (s Set) update(e *Edit, i int, p part) Set {
	if s.updateHot(e, i, p) {
		return s
	}
	l := s.own(e)
	s.n += int(p.n - l.parts[i].n)
	l.parts[i] = placePart(l.parts[i], e, p)
	if p.n == 0 && len(l.parts) > 1 { // its tombstones only hid its own run's keys
		l.parts = slices.Delete(l.parts, i, i+1)
		l.lows = slices.Delete(slices.Clone(l.lows), i, i+1)
		l.words = slices.Delete(slices.Clone(l.words), i, i+1)
		l.lows[0], l.words[0] = "", word("")
		return s
	}
	l.split(i)
	return s
}

// placePart returns where part p, written with e, goes in place of old:
// old itself, overwritten, if e made it (only e's lists and Sets hold it),
// otherwise a new part. p's token becomes e.
func placePart(old *part, e *Edit, p part) *part {
	p.edit = e
	if e != nil && old != nil && old.edit == e {
		*old = p
		return old
	}
	np := new(part) // (not &p: p would then move to the heap on every call)
	*np = p
	return np
}

// split cuts part i into runs of partMax/2 keys if its run is past
// partMax, merging its delta first (a sorted batch leaves keys in the delta
// of a part whose run it grew). Each piece gets an array of its own (had
// they shared the run's, it would live until every piece had merged once)
// and keeps the run's prefix.
func (l *partList) split(i int) {
	p := *l.parts[i]
	if p.run.len() <= partMax {
		return
	}
	if p.pending() {
		p = p.merge() // (not Compact: a run with room is copied below anyway)
	}
	n := p.run.len()
	k := (n + partMax/2 - 1) / (partMax / 2)
	pieces := make([]*part, k)
	lows := make([]string, k)
	for j := range k {
		lo, hi := j*n/k, (j+1)*n/k
		slots := append(newSlots(hi-lo, p.borrowed)[:0], p.run.slots[lo:hi]...)
		pieces[j] = &part{run: newRun(slots, p.run.prefix, p.borrowed && len(p.run.longs) > 0), n: int32(hi - lo), borrowed: p.borrowed}
		if j > 0 {
			lows[j] = separator(p.run.key(lo-1), p.run.key(lo))
		}
	}
	lows[0] = l.lows[i]
	words := make([]uint64, k)
	for j, s := range lows {
		words[j] = word(s)
	}
	l.parts = slices.Replace(l.parts, i, i+1, pieces...)
	l.lows = slices.Replace(slices.Clone(l.lows), i, i+1, lows...)
	l.words = slices.Replace(slices.Clone(l.words), i, i+1, words...)
}

// Len returns the number of keys in s.
func (s Set) Len() int { return s.n }

// Has reports whether key is in s.
func (s Set) Has(key string) bool {
	_, ok := s.GetKey(key)
	return ok
}

// GetKey returns the string stored in s that equals key, and whether there
// is one. Its bytes are those it was stored with (package index finds a
// record from its key's address).
func (s Set) GetKey(key string) (string, bool) {
	if s.list == nil {
		return "", false
	}
	return s.at(s.list.route(key)).GetKey(key)
}

// Put returns the set with key in it, stored as the given string even if
// an equal key was there (so that nothing refers to the old one's bytes).
// Nodes owned by e are modified in place; see Tree.Set.
func (s Set) Put(e *Edit, key string) Set {
	i := s.route(key)
	return s.update(e, i, s.part(i).Put(e, key))
}

// route returns the index of the part whose range holds key (0 in an
// empty set).
func (s Set) route(key string) int {
	if s.list == nil {
		return 0
	}
	return s.list.route(key)
}

// part returns part i, the empty part of an empty set.
func (s Set) part(i int) part {
	if s.list == nil {
		return part{borrowed: s.borrowed}
	}
	return *s.at(i)
}

// Add returns the set with key added and true if key was not in s;
// otherwise s itself and false, with nothing copied.
func (s Set) Add(e *Edit, key string) (Set, bool) {
	i := s.route(key)
	p, added := s.part(i).Add(e, key)
	if !added {
		return s, false
	}
	return s.update(e, i, p), true
}

// PutSorted is Put of each of keys, which must ascend: it finds their
// places in each part's run in one forward pass.
func (s Set) PutSorted(e *Edit, keys []string) Set {
	for len(keys) > 0 {
		i, j := 0, len(keys)
		if l := s.list; l != nil {
			i = l.route(keys[0])
			if i+1 < len(l.lows) {
				next := l.lows[i+1]
				j, _ = slices.BinarySearch(keys, next) // the keys before the next part's
			}
		}
		s = s.update(e, i, s.part(i).PutSorted(e, keys[:j]))
		keys = keys[j:]
	}
	return s
}

// Delete returns the set without key, and whether key was present. When
// it was not, s itself is returned and nothing is copied. key is not kept:
// it may be a view of a scratch buffer.
func (s Set) Delete(e *Edit, key string) (Set, bool) {
	if s.list == nil {
		return s, false
	}
	i := s.list.route(key)
	p, ok := s.at(i).Delete(e, key)
	if !ok {
		return s, false
	}
	return s.update(e, i, p), true
}

// Compact returns s with every part's delta merged into its run, and a
// run extended at its end (extend.go) in arrays of its exact size (s
// itself when there is nothing to do): every key then sits in a run.
func (s Set) Compact() Set {
	if s.list == nil || !s.anyPart(func(p *part) bool { return !p.compacted() }) {
		return s
	}
	l := s.own(nil)
	for i := len(l.parts) - 1; i >= 0; i-- { // backward: a split moves only the parts after it
		if p := l.parts[i]; !p.compacted() {
			merged := p.Compact()
			l.parts[i] = &merged
			l.split(i)
		}
	}
	return Set{list: l, n: s.n, borrowed: s.borrowed}
}

// Check verifies the set's invariants: every part's, each part's keys
// within its range, the ranges in order, and the count.
func (s Set) Check() error {
	l := s.list
	if l == nil {
		if s.n != 0 {
			return fmt.Errorf("btree: empty set says it has %d keys", s.n)
		}
		return nil
	}
	if len(l.lows) != len(l.parts) || len(l.words) != len(l.parts) || len(l.parts) == 0 || l.lows[0] != "" {
		return fmt.Errorf("btree: set of %d parts with %d bounds, %d words, first %q", len(l.parts), len(l.lows), len(l.words), l.lows[0])
	}
	if s.hot != nil && (s.hotI < 0 || int(s.hotI) >= len(l.parts)) {
		return fmt.Errorf("btree: set of %d parts has a hot part %d", len(l.parts), s.hotI)
	}
	if s.hot != nil && !sameArrays(l.parts[s.hotI].run, s.hot.run) {
		// The list's older version would keep a merged-away run alive.
		return fmt.Errorf("btree: the list's version of hot part %d holds other run arrays", s.hotI)
	}
	n := 0
	for i := range l.parts {
		p := s.at(i)
		if l.words[i] != word(l.lows[i]) {
			return fmt.Errorf("btree: part %d bound %q has word %#x", i, l.lows[i], l.words[i])
		}
		if i > 0 && l.lows[i-1] >= l.lows[i] {
			return fmt.Errorf("btree: part bounds %q, %q out of order", l.lows[i-1], l.lows[i])
		}
		if err := p.Check(); err != nil {
			return fmt.Errorf("btree: part %d: %w", i, err)
		}
		var err error
		p.AscendAll(func(k string) bool {
			if k < l.lows[i] || (i+1 < len(l.lows) && k >= l.lows[i+1]) {
				err = fmt.Errorf("btree: key %q in part %d, of keys from %q", k, i, l.lows[i])
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
		n += int(p.n)
	}
	if n != s.n {
		return fmt.Errorf("btree: set of %d keys says it has %d", n, s.n)
	}
	return nil
}
