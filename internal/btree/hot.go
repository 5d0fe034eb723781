package btree

import "unsafe"

// A Set's hot part (doc.go, "A hot part instead of a copied list").
//
// A write to a Set replaced one part: it copied the list of parts (80
// bytes and 8 per part: at a million keys 10 to 26 parts) and allocated
// the new part. Writes that change the part the previous write changed
// (the record map's last part under ascending ids, an index on a
// timestamp) now leave the list as it is: the Set value carries the new
// part beside it (hot, for part hotI), and only a write to another part,
// or one that splits or drops a part, folds the hot part into a copy of
// the list. A Set is a value that its holders copy at every write anyway
// (an index, a collection), so the two fields cost no allocation.
//
// The list's own part hotI is then an older version of the hot one: it
// shares the hot part's run arrays (extend.go), or the hot path is not
// taken, so that it keeps alive no run that a merge replaced.

// at returns part i of s's list, or the hot part standing for it.
func (s *Set) at(i int) *part {
	if s.hot != nil && i == int(s.hotI) {
		return s.hot
	}
	return s.list.parts[i]
}

// anyPart reports whether f holds for some part of s (s.list not nil).
func (s *Set) anyPart(f func(*part) bool) bool {
	for i := range s.list.parts {
		if f(s.at(i)) {
			return true
		}
	}
	return false
}

// updateHot is update (set.go) of part i with p when it can leave s's list
// as it is, which it reports: the list is not e's to change in place, the
// write changes the part the hot one stands for (or there is none), p
// neither needs a split nor is dropped, and the list's version of the
// part shares p's run arrays.
func (s *Set) updateHot(e *Edit, i int, p part) bool {
	l := s.list
	if l == nil || (e != nil && l.edit == e) || (s.hot != nil && int(s.hotI) != i) ||
		p.n == 0 || p.run.len() > partMax || !sameArrays(l.parts[i].run, p.run) {
		return false
	}
	s.n += int(p.n - s.at(i).n)
	s.hot, s.hotI = placePart(s.hot, e, p), int32(i)
	return true
}

// sameArrays reports whether runs a and b hold their slots in one array
// (an extended run and the run it came from), or are both empty.
func sameArrays(a, b *run) bool {
	if a == nil || b == nil || cap(a.slots) == 0 || cap(b.slots) == 0 {
		return a.len() == 0 && b.len() == 0
	}
	return unsafe.SliceData(a.slots) == unsafe.SliceData(b.slots)
}
