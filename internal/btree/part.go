package btree

import (
	"fmt"
	"strings"
)

// part is a Set's keys in one range (set.go): a run, all its keys as of
// its last merge in one dense array (run.go), and a delta, a Tree of the
// changes since, each marked (see mark) as present (added, or stored anew)
// or as a key of the run deleted. Writes go to the delta with the ownership
// rule of Tree (Edit); once the delta outgrows a share of the run, a write
// merges both into a new run and starts an empty delta.
//
// Why two parts (doc.go, "Sets"): a B+tree's leaves are about 80 % full
// and every write copies a path, so after a load of random keys the
// pages of its nodes hold about as many dead copies as live nodes. A run
// costs exactly 16 bytes per key, in allocations that die whole, and the
// delta, small, is where the copying happens. A merge copies the run (a
// memmove between the delta's keys), once per run/deltaShare writes.
//
// The zero part is empty. A part is a small value; copying it shares
// everything.
type part struct {
	run   *run       // nil when empty
	delta Tree[mark] // keys changed since the run was built
	n     int32      // keys in the part (fewer than 2^31: see mark)
	nr    int32      // entries of rec that the part holds
	// rec holds the part's latest single writes, newer than the delta's
	// entries (recent.go); nil when nr is 0 (or shared with another part).
	rec *recent
	// borrowed: the part's runs do not keep their keys alive (borrow.go);
	// the Set's flag, which every part of it carries.
	borrowed bool
	// shadow keeps alive, in a borrowed part, the run's keys that the
	// delta stores anew (borrow.go); a merge drops it.
	shadow *shadowed
	// edit is the token that put this part in its list (Set.update): its
	// later writes change the part in place, as Tree's nodes (nil: none).
	edit *Edit
}

// mark is what the delta knows of a key: whether it is in the set (live)
// and where it sits in the run: pos is the index of the first run key not
// below it, and inRun whether that key is this one. A write computes both
// anyway, and with them a merge and a scan place the delta's keys among the
// run's without comparing any. A run holds fewer than 2^31 keys.
type mark struct {
	pos         int32
	live, inRun bool
}

// deltaShare and deltaMin bound the delta: a write that leaves it with
// more than max(deltaMin, run length/deltaShare) keys merges it into the
// run. deltaMin is a variable so that tests can make merges frequent.
const deltaShare = 16

var deltaMin = 64

// GetKey returns the string stored in s that equals key, and whether there
// is one. Its bytes are those it was stored with (package index finds a
// record from its key's address).
func (s part) GetKey(key string) (string, bool) {
	if k, m, ok := s.state(key); ok {
		return k, m.live // a tombstone: k is not in the set
	}
	r := s.run
	return r.keyAt(r.find(r.probe(key)))
}

// getKeyAt is GetKey for a key whose probe of s's run is pr and whose block
// (run.block) is b, both found already (Set.GetKeys).
func (s *part) getKeyAt(key string, pr probe, b int) (string, bool) {
	if k, m, ok := s.state(key); ok {
		return k, m.live
	}
	return s.run.keyAt(s.run.scan(b, pr))
}

// Put returns the set with key in it, stored as the given string even if
// an equal key was there (so that nothing refers to the old one's bytes).
// Nodes owned by e are modified in place; see Tree.Set.
func (s part) Put(e *Edit, key string) part {
	i, inRun := s.run.place(s.run.probe(key))
	if i == s.run.len() && s.extends([]string{key}) {
		return s.extend(e, []string{key})
	}
	if s.direct(e, key) {
		return s.put(e, key, i, inRun)
	}
	if !s.has(key, inRun) {
		s.n++
	}
	return s.recordLive(e, key, i, inRun).settle()
}

// has reports whether key, which is in s's run with inRun, is in s.
func (s *part) has(key string, inRun bool) bool {
	_, m, ok := s.state(key)
	return ok && m.live || !ok && inRun
}

// recordLive is record of key present, at place i of the run (key itself
// with inRun, whose old string the part then keeps alive: borrow.go).
func (s part) recordLive(e *Edit, key string, i int, inRun bool) part {
	if inRun {
		s.keepRunKey(i)
	}
	return s.record(e, key, mark{pos: int32(i), live: true, inRun: inRun})
}

// extends reports whether keys, which ascend, may go straight to the end
// of s's run (extend.go): past every key of the run and of the delta. The
// delta's marks then stay right: a key past the old run's end keeps the
// place of the first appended key.
func (s part) extends(keys []string) bool {
	if !s.run.extendable(keys) || s.recentBlocksExtend(keys[0]) {
		return false
	}
	if s.delta.root == nil {
		return true
	}
	last, _, _ := s.delta.Max()
	return keys[0] > last
}

// extend returns s with keys (extends) appended to its run, which e may
// change in place if it made it.
func (s part) extend(e *Edit, keys []string) part {
	s.run = s.run.extend(e, keys, s.borrowed)
	s.n += int32(len(keys))
	return s
}

// put is Put, straight into the delta (s has no recent write of key), for
// a key whose place in the run is known: i, its lower bound, is key itself
// with inRun.
func (s part) put(e *Edit, key string, i int, inRun bool) part {
	m := mark{pos: int32(i), live: true, inRun: inRun}
	if !inRun {
		// No tombstone can exist for a key the run lacks.
		var added bool
		s.delta, added = s.delta.put(e, key, m, true)
		if added {
			s.n++
		}
		return s.settle()
	}
	if _, old, ok := s.delta.GetKey(key); ok && !old.live {
		s.n++ // a deleted run key comes back
	}
	s.keepRunKey(i)
	s.delta = s.delta.Set(e, key, m)
	return s.settle()
}

// Add returns the set with key added and true if key was not in s;
// otherwise s itself and false, with nothing copied.
func (s part) Add(e *Edit, key string) (part, bool) {
	i, inRun := s.run.place(s.run.probe(key))
	if i == s.run.len() && s.extends([]string{key}) {
		return s.extend(e, []string{key}), true
	}
	if s.direct(e, key) {
		return s.add(e, key, i, inRun)
	}
	if s.has(key, inRun) {
		return s, false
	}
	s = s.recordLive(e, key, i, inRun)
	s.n++
	return s.settle(), true
}

// add is Add, straight into the delta (s has no recent write of key), for a key
// whose place in the run is known: one descent of the delta decides and
// inserts a key the run lacks.
func (s part) add(e *Edit, key string, i int, inRun bool) (part, bool) {
	m := mark{pos: int32(i), live: true, inRun: inRun}
	if !inRun {
		var added bool
		if s.delta, added = s.delta.Add(e, key, m); !added {
			return s, false
		}
		s.n++
		return s.settle(), true
	}
	if _, old, ok := s.delta.GetKey(key); !ok || old.live {
		return s, false
	}
	s.keepRunKey(i)
	s.delta = s.delta.Set(e, key, m)
	s.n++
	return s.settle(), true
}

// PutSorted is Put of each of keys, which must ascend: it finds their
// places in the run in one forward pass.
func (s part) PutSorted(e *Edit, keys []string) part {
	s = s.flushed(e)
	if s.extends(keys) {
		return s.extend(e, keys)
	}
	if len(keys)*rebuildShare >= s.delta.n && !s.appends(keys) {
		return s.rebuildPut(keys)
	}
	i := 0
	for _, k := range keys {
		r := s.run
		pr := r.probe(k)
		i = r.seek(i, pr)
		inRun := i < r.len() && r.isKey(i, pr)
		before := r
		s = s.put(e, k, i, inRun)
		if s.run != before {
			i = 0 // merged: the next key's place is in the new run
		}
	}
	return s
}

// appends reports whether keys, which ascend, all come after the delta's
// keys (an ascending load's ids): one at a time they then go down the
// delta's right edge, whose path the first copies, where a rebuild would
// copy every entry of the delta for each batch.
func (s part) appends(keys []string) bool {
	last, _, ok := s.delta.Max()
	return ok && keys[0] > last
}

// Delete returns the set without key, and whether key was present. When
// it was not, s itself is returned and nothing is copied. key is not kept:
// it may be a view of a scratch buffer.
func (s part) Delete(e *Edit, key string) (part, bool) {
	i, inRun := s.run.place(s.run.probe(key))
	k, old, known := s.state(key)
	switch {
	case known && !old.live:
		return s, false
	case known && !inRun:
		// Keyed by the string stored, not key (a view of a scratch buffer).
		s = s.record(e, k, mark{pos: int32(i)})
	case inRun:
		// A tombstone, keyed by the run's own string: the run keeps its
		// bytes alive until the next merge anyway.
		s = s.record(e, s.run.key(i), mark{pos: int32(i), inRun: true})
	default:
		return s, false
	}
	s.n--
	return s.settle(), true
}

// settle merges the delta and the recent writes into a new run if they,
// or the shadow list of a borrowed part (borrow.go), outgrew their bound.
func (s part) settle() part {
	if bound := max(deltaMin, s.run.len()/deltaShare); s.delta.n+int(s.nr) <= bound && s.shadowLen() <= bound {
		return s
	}
	return s.merge()
}

// Compact returns s with its delta merged into a new run of its exact
// size (s itself when there is nothing to do, see compacted): every key
// then sits in the run.
func (s part) Compact() part {
	if s.compacted() {
		return s
	}
	return s.merge()
}

// compacted reports whether Compact has nothing to do: the delta is empty
// and the run's arrays have no room to spare (an extended run's, extend.go,
// are made exact again, as a merge makes them).
func (s part) compacted() bool {
	return !s.pending() && (s.run == nil || s.run.claim == nil)
}

// pending reports whether s holds changes beside its run: a delta or
// recent writes.
func (s *part) pending() bool { return s.delta.root != nil || s.nr > 0 }

// merge returns s as one run and an empty delta.
func (s part) merge() part {
	if s.n == 0 {
		return part{borrowed: s.borrowed}
	}
	s = s.flushed(nil)
	r := s.run
	if r == nil {
		r = &run{}
	}
	// The new run keeps the old one's prefix if its first and last keys
	// still have it, and its slots are then copied as they are. Otherwise
	// (early in a load, while the keys' range grows past it) the prefix is
	// that of the first and last keys, and each slot is made anew, which
	// reads its key.
	first, _ := s.min()
	last, _ := s.max()
	lcp := len(r.prefix)
	same := r.len() > 0 && strings.HasPrefix(first, r.prefix) && strings.HasPrefix(last, r.prefix)
	if !same {
		lcp = commonPrefix(first, last)
	}
	out := newSlots(int(s.n), s.borrowed)[:0]
	// long: the new run may hold a long key (a string header of its own,
	// which a borrowed run must keep: borrow.go).
	long := same && len(r.longs) > 0
	slotOf := func(k string) slot {
		if len(k)-lcp >= longKey {
			long = true
		}
		return runSlot(k, lcp)
	}
	copyRun := func(i, j int) {
		if same {
			out = append(out, r.slots[i:j]...)
			return
		}
		for ; i < j; i++ {
			out = append(out, slotOf(r.key(i)))
		}
	}
	i := 0
	s.delta.root.eachLeaf(func(l *node[mark]) {
		for x, m := range l.vals[:l.n] {
			copyRun(i, int(m.pos))
			i = int(m.pos)
			if m.inRun {
				i++ // the delta's entry replaces or deletes it
			}
			if m.live {
				out = append(out, slotOf(l.key(x)))
			}
		}
	})
	copyRun(i, r.len())
	prefix := r.prefix
	if !same {
		prefix = strings.Clone(first[:lcp])
	}
	return part{run: newRun(out, prefix, s.borrowed && long), n: s.n, borrowed: s.borrowed}
}

// eachLeaf calls fn with every leaf of the subtree n, in key order.
func (n *node[V]) eachLeaf(fn func(*node[V])) {
	if n == nil {
		return
	}
	if n.isLeaf() {
		fn(n)
		return
	}
	for _, k := range n.kids[:n.n+1] {
		k.eachLeaf(fn)
	}
}

// Check verifies the set's invariants: a sorted run, a valid delta whose
// deletions are all of run keys, and the count.
func (s part) Check() error {
	if err := s.run.check(); err != nil {
		return err
	}
	if err := s.delta.Check(); err != nil {
		return err
	}
	var err error
	s.delta.AscendAll(func(k string, m mark) bool {
		if !m.live && !m.inRun {
			err = fmt.Errorf("btree: set deletes %q, which its run lacks", k)
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	if err := s.checkRecent(); err != nil {
		return err
	}
	n := s.run.len()
	s.ascendChanges("", false, func(k string, m mark) bool {
		i, inRun := s.run.find(s.run.probe(k))
		switch {
		case int(m.pos) != i || m.inRun != inRun:
			err = fmt.Errorf("btree: set marks %q at %d (in the run: %v), not %d (%v)", k, m.pos, m.inRun, i, inRun)
			return false
		case !m.live && inRun:
			n--
		case m.live && !inRun:
			n++
		}
		return true
	})
	if err != nil {
		return err
	}
	if n != int(s.n) {
		return fmt.Errorf("btree: set of %d keys says it has %d", n, s.n)
	}
	return nil
}
