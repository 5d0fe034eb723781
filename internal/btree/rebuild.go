package btree

// rebuildShare: a sorted put of at least delta/rebuildShare keys builds the
// part's delta anew (rebuildPut) instead of putting the keys one by one.
const rebuildShare = 8

// rebuildPut returns s with keys, which ascend, put in it, its
// delta built anew: the old delta's entries and the keys' merged in order,
// packed into full leaves by a Builder (owned by no edit that is ever used
// again), and s settled.
//
// A bulk load puts a batch of 1,000 sorted keys into each tree, and one by
// one each key descends the delta (a few levels of binary search), lands in
// a leaf that an earlier batch's edit owns, copies it and, one time in
// eight, splits it: 0.55 us of the load's CPU per record (its four trees),
// 13 % (pprof of the in-process comparison's records). When the batch is a
// large share of the delta, most leaves are copied anyway; writing every
// entry once into new leaves costs a copy of each old entry (two words and
// a mark, no key read: entries are ordered by their marks' places in the
// run, and their keys compared only when two share a place) and no descent.
func (s part) rebuildPut(keys []string) part {
	var (
		old  []*node[mark] // the old delta's leaves, in order
		out  Builder[mark]
		li   int // old[li] holds the next old entry, at index x
		x    int
		i    int // the last key's place in the run: seek's start
		r    = s.run
		prev string
		last = -1 // prev's place
	)
	s.delta.root.eachLeaf(func(l *node[mark]) { old = append(old, l) })
	for _, k := range keys {
		pr := r.probe(k)
		i = r.seek(i, pr)
		if i == last && k == prev {
			out.cur.ptrs[out.cur.n-1] = slotPtr(k) // stored as the given string
			continue
		}
		m := mark{pos: int32(i), live: true, inRun: i < r.len() && r.isKey(i, pr)}
		if m.inRun {
			s.keepRunKey(i)
		}
		inDelta := false
		for li < len(old) {
			l := old[li]
			if x == l.n {
				li, x = li+1, 0
				continue
			}
			om := l.vals[x]
			c := comparePlaced(om, l.key(x), m, k)
			if c > 0 {
				break
			}
			if c == 0 {
				inDelta = true
				if !om.live {
					s.n++ // a deleted run key comes back
				}
				x++
				break
			}
			out.addSlot(l.words[x], l.ptrs[x], om)
			x++
		}
		if !inDelta && !m.inRun {
			s.n++
		}
		out.add(k, m)
		prev, last = k, i
	}
	for ; li < len(old); li, x = li+1, 0 {
		l := old[li]
		for ; x < l.n; x++ {
			out.addSlot(l.words[x], l.ptrs[x], l.vals[x])
		}
	}
	s.delta = out.Tree()
	return s.settle()
}

// comparePlaced compares two keys of a part's delta, a with mark ma and b
// with mark mb, in key order: by their places in the run first (a key's
// place is the first run key not below it, so keys at different places are
// ordered as their places), by their bytes only when they share one.
func comparePlaced(ma mark, a string, mb mark, b string) int {
	switch {
	case ma.pos < mb.pos:
		return -1
	case ma.pos > mb.pos:
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// wordSeparator returns separator(lo, hi) for keys lo < hi whose words are
// lw and hw, when the words hold it: when the keys differ, or lo ends,
// within their first prefixLen bytes. Otherwise it reports false.
func wordSeparator(lw, hw uint64) (string, bool) {
	llen, hlen := int(lw&lenMask), int(hw&lenMask)
	for i := 0; i < prefixLen; i++ {
		lb, hb := byte(lw>>(56-8*i)), byte(hw>>(56-8*i))
		if i == llen || (lb != hb && i < hlen) {
			sep := make([]byte, i+1)
			for j := range sep {
				sep[j] = byte(hw >> (56 - 8*j))
			}
			return string(sep), true
		}
	}
	return "", false
}
