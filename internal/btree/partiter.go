package btree

// Iteration over a part walks the delta with its own iterators and, between
// two of its keys, the run by index: every key of the run up to a delta
// key's place (its mark) comes first, then the delta's entry, which
// replaces an equal run key or, deleted, hides it. No key is compared but
// the bound.

// Ascend calls fn for every key >= start, in ascending order, until fn
// returns false; it reports whether fn never did.
func (s part) Ascend(start string, fn func(key string) bool) bool {
	r := s.run
	i := 0
	if r.len() > 0 {
		// The two levels of the fence and a block (find), not a binary
		// search of every slot, whose last dozen steps each waited for a
		// line of slots.
		i, _ = r.find(r.probe(start))
	}
	return s.ascendFrom(i, start, true, fn)
}

// AscendAll calls fn for every key, in ascending order, until fn returns
// false; it reports whether fn never did.
func (s part) AscendAll(fn func(key string) bool) bool { return s.ascendFrom(0, "", false, fn) }

// ascendFrom visits the run from index i and the delta from start (all of
// it without bounded).
func (s part) ascendFrom(i int, start string, bounded bool, fn func(key string) bool) bool {
	r := s.run
	stopped := false
	step := func(k string, m mark) bool {
		for ; i < int(m.pos); i++ {
			if !fn(r.key(i)) {
				stopped = true
				return false
			}
		}
		if m.inRun {
			i++
		}
		if m.live && !fn(k) {
			stopped = true
			return false
		}
		return true
	}
	s.ascendChanges(start, bounded, step)
	if stopped {
		return false
	}
	for n := r.len(); i < n; i++ {
		if !fn(r.key(i)) {
			return false
		}
	}
	return true
}

// Descend calls fn for every key <= start, in descending order, until fn
// returns false; it reports whether fn never did.
func (s part) Descend(start string, fn func(key string) bool) bool {
	r := s.run
	hi := r.len()
	if hi > 0 {
		var found bool
		if hi, found = r.find(r.probe(start)); found {
			hi++ // start itself is visited
		}
	}
	return s.descendFrom(hi, start, true, fn)
}

// DescendAll calls fn for every key, in descending order, until fn returns
// false; it reports whether fn never did.
func (s part) DescendAll(fn func(key string) bool) bool {
	return s.descendFrom(s.run.len(), "", false, fn)
}

// descendFrom visits the run below index hi, backward, and the delta from
// start down (all of it without bounded).
func (s part) descendFrom(hi int, start string, bounded bool, fn func(key string) bool) bool {
	r := s.run
	stopped := false
	step := func(k string, m mark) bool {
		j := int(m.pos) // the run's keys from j on are above k, but for k itself
		if m.inRun {
			j++
		}
		for ; hi > j; hi-- {
			if !fn(r.key(hi - 1)) {
				stopped = true
				return false
			}
		}
		hi = int(m.pos)
		if m.live && !fn(k) {
			stopped = true
			return false
		}
		return true
	}
	s.descendChanges(start, bounded, step)
	if stopped {
		return false
	}
	for ; hi > 0; hi-- {
		if !fn(r.key(hi - 1)) {
			return false
		}
	}
	return true
}

// min returns the smallest key; ok is false if s is empty.
func (s part) min() (key string, ok bool) {
	s.AscendAll(func(k string) bool {
		key, ok = k, true
		return false
	})
	return key, ok
}

// max returns the largest key; ok is false if s is empty.
func (s part) max() (key string, ok bool) {
	s.DescendAll(func(k string) bool {
		key, ok = k, true
		return false
	})
	return key, ok
}
