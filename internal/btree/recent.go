package btree

import (
	"fmt"
	"sync/atomic"
)

// A part's recent writes (doc.go, "Recent writes beside the delta").
//
// A write of one key into a part's delta copied the path from the delta's
// root to the key's leaf: at a million keys a delta of a few thousand
// keys is four levels deep, and a single insert of a record with two
// indexes whose keys land anywhere (a score, a city and an age) copied
// about eight nodes of 416 bytes. A part now keeps its latest single
// writes (Put, Add, Delete) in a small array beside the delta, each entry
// the key and the mark the delta would have stored, and moves them into
// the delta in one batch once the array is full: under one token, so that
// the keys that land in one leaf, or under one inner node, copy it once.
//
// The array is appended in place, as an extended run's (extend.go): the
// parts that share it claim the entries they hold, so an older part, which
// reads only its own count, never sees a change, and a write to it that
// finds its next entry claimed copies the array. An entry stands for the
// key's state: a later entry of the same key, or an entry over the
// delta's, wins.

// recentCap is the entries of a recent array: with the claim, the filter
// and the words, 1,000 bytes, which a 1,024-byte size class holds.
const recentCap = 30

// recentMax is how many entries a part holds before they move into its
// delta (at most recentCap); a variable so that tests can make the moves
// frequent.
var recentMax = recentCap

// recent is the array of a part's recent writes.
type recent struct {
	claim claim // entries some part holds (the most)
	// filter has a bit set for each entry's word (filterBit), so that most
	// lookups of a key without an entry, which are most lookups, read one
	// cache line instead of scanning the words: 30 steps of a loop. A
	// bit set by a later part's entry only costs an older part a scan.
	filter [4]atomic.Uint64
	// words[j] = word(ents[j].key), apart from the entries so that a
	// lookup's scan reads four cache lines, not sixteen.
	words [recentCap]uint64
	ents  [recentCap]recentEnt
}

// recentEnt is one recent write: the key and its mark. A deleted key that
// the run lacks (mark neither live nor in the run) is absent; the delta
// loses it when the entry moves there.
type recentEnt struct {
	key string
	m   mark
}

// recents returns the entries that s holds.
func (s *part) recents() []recentEnt {
	if s.nr == 0 {
		return nil
	}
	return s.rec.ents[:s.nr]
}

// recentOf returns the latest entry of key among s's recent writes, or nil.
func (s *part) recentOf(key string) *recentEnt {
	if s.nr == 0 {
		return nil
	}
	w := word(key)
	r := s.rec
	if i, b := filterBit(w); r.filter[i].Load()&b == 0 {
		return nil
	}
	for j := int(s.nr) - 1; j >= 0; j-- {
		if r.words[j] == w && r.ents[j].key == key {
			return &r.ents[j]
		}
	}
	return nil
}

// state returns what s knows of key beyond its run: the stored string and
// mark of its latest recent entry or, without one, of the delta's entry;
// ok is false when neither has the key.
func (s *part) state(key string) (string, mark, bool) {
	if e := s.recentOf(key); e != nil {
		return e.key, e.m, true
	}
	if s.delta.root == nil {
		return "", mark{}, false
	}
	return s.delta.GetKey(key)
}

// record returns s with the write of key with mark m: appended to s's
// recent writes, or, when they are full, moved into the delta with them.
func (s part) record(e *Edit, key string, m mark) part {
	n := int(s.nr)
	if s.direct(e, key) {
		s.delta = s.apply(e, recentEnt{key: key, m: m})
		return s
	}
	if n >= recentMax {
		if e == nil {
			e = NewEdit() // the nodes the move copies, changed in place while it lasts
		}
		s = s.flushed(e)
		s.delta = s.apply(e, recentEnt{key: key, m: m})
		return s
	}
	if s.rec == nil || !s.rec.claim.n.CompareAndSwap(int64(n), int64(n+1)) {
		// No array, or another part holds the entry past s's: a copy.
		r := new(recent)
		if n > 0 {
			copy(r.words[:], s.rec.words[:n])
			copy(r.ents[:], s.rec.ents[:n])
			for _, w := range r.words[:n] {
				i, b := filterBit(w)
				r.filter[i].Or(b)
			}
		}
		r.claim.n.Store(int64(n + 1))
		s.rec = r
	}
	w := word(key)
	s.rec.words[n], s.rec.ents[n] = w, recentEnt{key: key, m: m}
	i, b := filterBit(w)
	s.rec.filter[i].Or(b)
	s.nr++
	return s
}

// direct reports whether a write of key with e goes straight into the
// delta: e already wrote to this part (it made the part, or copied the
// delta's root), so that the write changes the delta in place, cheaper
// than an entry and its later move (a log's replay or a server's
// pipelined inserts: up to hundreds of writes per part under one token;
// Put and Add then also take one descent of the delta, not a lookup and a
// later insert), and s has no recent write of key, which would be newer
// than the delta's. The recent writes of other keys stay: the first write
// of each batch into a part goes there, and they move into the delta once
// they are full.
func (s *part) direct(e *Edit, key string) bool {
	return e != nil && (s.edit == e || s.delta.root != nil && s.delta.root.edit == e) && s.recentOf(key) == nil
}

// filterBit returns the word and bit of recent.filter for a key of word
// w: 8 bits of a multiplicative hash of it.
func filterBit(w uint64) (int, uint64) {
	h := (w * 0x9E3779B97F4A7C15) >> 56
	return int(h >> 6), 1 << (h & 63)
}

// flushed returns s with its recent writes moved into the delta, in
// order, with e, or with a token of their own when e is nil (the nodes the
// move copies are then changed in place while it lasts, and never after).
func (s part) flushed(e *Edit) part {
	if s.nr == 0 {
		return s
	}
	if e == nil {
		e = NewEdit()
	}
	for _, ent := range s.recents() {
		s.delta = s.apply(e, ent)
	}
	s.rec, s.nr = nil, 0
	return s
}

// apply returns s's delta with the write ent.
func (s *part) apply(e *Edit, ent recentEnt) Tree[mark] {
	if !ent.m.live && !ent.m.inRun {
		d, _ := s.delta.Delete(e, ent.key)
		return d
	}
	return s.delta.Set(e, ent.key, ent.m)
}

// recentAbove returns the entry among r's first n with the least key above
// k (at or above it with incl; every entry when !bounded), the latest of
// equal ones; -1 if there is none.
func recentAbove(r *recent, n int, k string, incl, bounded bool) int {
	best := -1
	w := word(k)
	for j := range n {
		if bounded {
			if c := compareWords(r.words[j], r.ents[j].key, w, k); c < 0 || (c == 0 && !incl) {
				continue
			}
		}
		if best < 0 || compareWords(r.words[j], r.ents[j].key, r.words[best], r.ents[best].key) <= 0 {
			best = j
		}
	}
	return best
}

// recentBelow is recentAbove the other way: the greatest key below k.
func recentBelow(r *recent, n int, k string, incl, bounded bool) int {
	best := -1
	w := word(k)
	for j := range n {
		if bounded {
			if c := compareWords(r.words[j], r.ents[j].key, w, k); c > 0 || (c == 0 && !incl) {
				continue
			}
		}
		if best < 0 || compareWords(r.words[j], r.ents[j].key, r.words[best], r.ents[best].key) >= 0 {
			best = j
		}
	}
	return best
}

// compareWords compares keys a and b, whose words are aw and bw, reading
// their bytes only when the words tie (decided).
func compareWords(aw uint64, a string, bw uint64, b string) int {
	if decided(aw, bw) {
		switch {
		case aw < bw:
			return -1
		case aw > bw:
			return 1
		}
		return 0
	}
	switch { // (not strings.Compare, whose parameters escape: a scan's start would then be allocated)
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ascendChanges calls step with the delta's entries from start (all of
// them without bounded) and s's recent writes among them, in ascending
// order of key, a recent entry in place of the delta's or an older one of
// its key, until step returns false.
func (s *part) ascendChanges(start string, bounded bool, step func(string, mark) bool) {
	s.eachChange(start, bounded, false, step)
}

// descendChanges is ascendChanges in descending order, from start down.
func (s *part) descendChanges(start string, bounded bool, step func(string, mark) bool) {
	s.eachChange(start, bounded, true, step)
}

// eachChange is ascendChanges, or descendChanges with desc.
func (s *part) eachChange(start string, bounded, desc bool, step func(string, mark) bool) {
	if s.nr == 0 { // (most scans: no closures to build)
		s.walkDelta(start, bounded, desc, step)
		return
	}
	ents := s.recents()
	r, n := s.rec, len(ents)
	// next returns the entry after key k (at k with incl) in the walk's
	// direction.
	next := func(k string, incl, bounded bool) int {
		if desc {
			return recentBelow(r, n, k, incl, bounded)
		}
		return recentAbove(r, n, k, incl, bounded)
	}
	j := next(start, true, bounded)
	stopped := false
	merged := func(k string, m mark) bool {
		w := word(k)
		for j >= 0 {
			e := &ents[j]
			c := compareWords(r.words[j], e.key, w, k)
			if desc {
				c = -c
			}
			if c > 0 {
				break
			}
			if !step(e.key, e.m) {
				stopped = true
				return false
			}
			j = next(e.key, false, true)
			if c == 0 {
				return true // the delta's entry is older
			}
		}
		if !step(k, m) {
			stopped = true
			return false
		}
		return true
	}
	s.walkDelta(start, bounded, desc, merged)
	for ; !stopped && j >= 0; j = next(ents[j].key, false, true) {
		if !step(ents[j].key, ents[j].m) {
			return
		}
	}
}

// walkDelta calls fn with the delta's entries from start (all of them
// without bounded), ascending or, with desc, descending.
func (s *part) walkDelta(start string, bounded, desc bool, fn func(string, mark) bool) {
	switch {
	case !desc && bounded:
		s.delta.Ascend(start, fn)
	case !desc:
		s.delta.AscendAll(fn)
	case bounded:
		s.delta.Descend(start, fn)
	default:
		s.delta.DescendAll(fn)
	}
}

// recentBlocksExtend reports whether a recent entry lies at the run's end
// (placed past its last key) with a key not below k: keys appended at the
// run's end from k on would then come before it, and its mark would be
// wrong.
func (s *part) recentBlocksExtend(k string) bool {
	n := int32(s.run.len())
	for _, e := range s.recents() {
		if e.m.pos == n && e.key >= k {
			return true
		}
	}
	return false
}

// checkRecent verifies s's recent writes: an array that s's count of
// entries fits, claimed for them, and each entry's word.
func (s *part) checkRecent() error {
	if s.nr == 0 {
		return nil
	}
	if s.nr < 0 || int(s.nr) > recentCap || s.rec == nil || s.rec.claim.n.Load() < int64(s.nr) {
		return fmt.Errorf("btree: part holds %d recent writes of an array %p that claims %d", s.nr, s.rec, s.claimedRecent())
	}
	for j, e := range s.recents() {
		if w := s.rec.words[j]; w != word(e.key) {
			return fmt.Errorf("btree: recent write of %q has word %#x", e.key, w)
		}
	}
	return nil
}

// claimedRecent returns how many entries of s's recent array are claimed
// (0 without one).
func (s *part) claimedRecent() int64 {
	if s.rec == nil {
		return 0
	}
	return s.rec.claim.n.Load()
}
