package btree

// Iteration over a Set walks its parts in order, each with its own
// iterators (partiter.go).

// Ascend calls fn for every key >= start, in ascending order, until fn
// returns false.
func (s Set) Ascend(start string, fn func(key string) bool) {
	l := s.list
	if l == nil {
		return
	}
	i := l.route(start)
	if !s.at(i).Ascend(start, fn) {
		return
	}
	for i++; i < len(l.parts); i++ {
		if !s.at(i).AscendAll(fn) {
			return
		}
	}
}

// AscendAll calls fn for every key, in ascending order, until fn returns
// false.
func (s Set) AscendAll(fn func(key string) bool) {
	if s.list == nil {
		return
	}
	for i := range s.list.parts {
		if !s.at(i).AscendAll(fn) {
			return
		}
	}
}

// Descend calls fn for every key <= start, in descending order, until fn
// returns false.
func (s Set) Descend(start string, fn func(key string) bool) {
	l := s.list
	if l == nil {
		return
	}
	i := l.route(start)
	if !s.at(i).Descend(start, fn) {
		return
	}
	for i--; i >= 0; i-- {
		if !s.at(i).DescendAll(fn) {
			return
		}
	}
}

// DescendAll calls fn for every key, in descending order, until fn returns
// false.
func (s Set) DescendAll(fn func(key string) bool) {
	if s.list == nil {
		return
	}
	for i := len(s.list.parts) - 1; i >= 0; i-- {
		if !s.at(i).DescendAll(fn) {
			return
		}
	}
}

// Min returns the smallest key; ok is false if s is empty.
func (s Set) Min() (key string, ok bool) {
	if s.list != nil {
		for i := range s.list.parts {
			if key, ok = s.at(i).min(); ok {
				return key, true
			}
		}
	}
	return "", false
}

// Max returns the largest key; ok is false if s is empty.
func (s Set) Max() (key string, ok bool) {
	if s.list != nil {
		for i := len(s.list.parts) - 1; i >= 0; i-- {
			if key, ok = s.at(i).max(); ok {
				return key, true
			}
		}
	}
	return "", false
}
