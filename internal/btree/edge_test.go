package btree

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestEmptyTree(t *testing.T) {
	var tree Tree[int]
	if tree.Len() != 0 {
		t.Fatalf("Len = %d", tree.Len())
	}
	if _, ok := tree.Get(""); ok {
		t.Fatal("Get found a key in the empty tree")
	}
	if _, _, ok := tree.Min(); ok {
		t.Fatal("Min of the empty tree")
	}
	if _, _, ok := tree.Max(); ok {
		t.Fatal("Max of the empty tree")
	}
	called := false
	fn := func(string, int) bool { called = true; return true }
	tree.Ascend("", fn)
	tree.AscendAll(fn)
	tree.Descend("\xff", fn)
	tree.DescendAll(fn)
	if called {
		t.Fatal("iteration over the empty tree called fn")
	}
	if t2, ok := tree.Delete(nil, "x"); ok || t2 != tree {
		t.Fatal("Delete from the empty tree")
	}
	if err := tree.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestSingleKey(t *testing.T) {
	for _, e := range []*Edit{nil, NewEdit()} {
		var empty Tree[int]
		one := empty.Set(e, "k", 1)
		sameAs(t, one, model{{"k", 1}}, "one key")
		checkMinMax(t, one, model{{"k", 1}}, "one key")
		if _, ok := one.Get("j"); ok {
			t.Fatal("Get(j) found")
		}
		if got := collect(func(fn func(string, int) bool) { one.Ascend("l", fn) }, 10); len(got) != 0 {
			t.Fatalf("Ascend(l) = %v", got)
		}
		if got := collect(func(fn func(string, int) bool) { one.Descend("j", fn) }, 10); len(got) != 0 {
			t.Fatalf("Descend(j) = %v", got)
		}
		if _, ok := one.Delete(e, "j"); ok {
			t.Fatal("Delete(j) found")
		}
		none, ok := one.Delete(e, "k")
		if !ok || none != (Tree[int]{}) {
			t.Fatalf("Delete(k) = %v, %v; want the zero tree", none, ok)
		}
		if e == nil {
			sameAs(t, one, model{{"k", 1}}, "one key after persistent delete")
		}
	}
}

// TestPrefixKeys uses keys that are prefixes of one another, the empty key
// and bytes at both ends of the range.
func TestPrefixKeys(t *testing.T) {
	keys := []string{"", "\x00", "\x00\x00", "a", "a\x00", "aa", "aaa", "aaaa", "ab", "b", "ba", "\xff", "\xff\xff"}
	for _, e := range []*Edit{nil, NewEdit()} {
		var tree Tree[int]
		for i, j := range rand.New(rand.NewPCG(1, 2)).Perm(len(keys)) {
			tree = tree.Set(e, keys[j], i)
		}
		var m model
		tree.AscendAll(func(k string, v int) bool { m = append(m, entry{k, v}); return true })
		got := make([]string, len(m))
		for i := range m {
			got[i] = m[i].k
		}
		if !slices.Equal(got, keys) {
			t.Fatalf("keys %q, want %q", got, keys)
		}
		sameAs(t, tree, m, "prefix keys")
		for _, start := range []string{"", "a", "aa", "a\x00\x00", "\xff\xff\xff"} {
			got := collect(func(fn func(string, int) bool) { tree.Ascend(start, fn) }, 100)
			if want := m.ascend(start, 100); !slices.Equal(got, want) {
				t.Fatalf("Ascend(%q) = %v, want %v", start, got, want)
			}
			got = collect(func(fn func(string, int) bool) { tree.Descend(start, fn) }, 100)
			if want := m.descend(start, 100); !slices.Equal(got, want) {
				t.Fatalf("Descend(%q) = %v, want %v", start, got, want)
			}
		}
		if v, ok := tree.Get(""); !ok || v != m[0].v {
			t.Fatalf(`Get("") = %v, %v`, v, ok)
		}
		tree, _ = tree.Delete(e, "")
		if _, ok := tree.Get(""); ok {
			t.Fatal(`"" still present after Delete`)
		}
		sameAs(t, tree, m[1:], "prefix keys without the empty key")
	}
}

// TestDeleteEverything grows trees several levels deep and deletes every key
// in various orders, persistently and transiently, until the zero tree is
// left; the full tree must be unchanged by the persistent deletes.
func TestDeleteEverything(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, n := range []int{1, 2, leafMax, leafMax + 1, leafMax * innerMax, 8000} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("%08d", i)
		}
		orders := map[string][]string{
			"ascending":  keys,
			"descending": reversed(keys),
			"random":     shuffled(rng, keys),
		}
		for name, order := range orders {
			for _, persistent := range []bool{false, true} {
				what := fmt.Sprintf("n=%d %s persistent=%v", n, name, persistent)
				var full Tree[int]
				e := NewEdit()
				for i, k := range shuffled(rng, keys) {
					full = full.Set(e, k, i)
				}
				var m model
				full.AscendAll(func(k string, v int) bool { m = append(m, entry{k, v}); return true })
				if err := full.Check(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				var del *Edit
				if !persistent {
					del = NewEdit()
				}
				tree := full
				for i, k := range order {
					var ok bool
					if tree, ok = tree.Delete(del, k); !ok {
						t.Fatalf("%s: Delete(%q) not found", what, k)
					}
					if i%997 == 0 || n-i < 40 {
						if err := tree.Check(); err != nil {
							t.Fatalf("%s: after %d deletes: %v", what, i+1, err)
						}
					}
				}
				if tree != (Tree[int]{}) {
					t.Fatalf("%s: not the zero tree after deleting everything", what)
				}
				sameAs(t, full, m, what+": the full tree afterwards")
			}
		}
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func shuffled(rng *rand.Rand, s []string) []string {
	r := slices.Clone(s)
	rng.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })
	return r
}

// TestSetReplacesValue checks that Set on a present key replaces the value
// without changing Len, and that the old tree keeps the old value.
func TestSetReplacesValue(t *testing.T) {
	var tree Tree[string]
	for i := range 1000 {
		tree = tree.Set(nil, fmt.Sprint(i), "old")
	}
	newer := tree.Set(nil, "500", "new")
	if newer.Len() != 1000 {
		t.Fatalf("Len = %d", newer.Len())
	}
	if v, _ := newer.Get("500"); v != "new" {
		t.Fatalf("new tree has %q", v)
	}
	if v, _ := tree.Get("500"); v != "old" {
		t.Fatalf("old tree has %q", v)
	}
}

// TestTransientSharesWithinEdit documents the other side of the contract:
// with one Edit, later operations may change trees produced earlier with it.
func TestTransientSharesWithinEdit(t *testing.T) {
	e := NewEdit()
	a := Tree[int]{}.Set(e, "a", 1)
	b := a.Set(e, "a", 2)
	if v, _ := a.Get("a"); v != 2 {
		t.Fatalf("the earlier tree of the same Edit was copied, not updated (got %d)", v)
	}
	c := b.Set(NewEdit(), "a", 3)
	if v, _ := b.Get("a"); v != 2 {
		t.Fatalf("a new Edit changed an older tree (got %d)", v)
	}
	if v, _ := c.Get("a"); v != 3 {
		t.Fatalf("got %d", v)
	}
}

func TestIterationDoesNotAllocate(t *testing.T) {
	var b Builder[struct{}]
	for i := range 10000 {
		if err := b.Add(fmt.Sprintf("%06d", i), struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	tree := b.Tree()
	count := 0
	fn := func(string, struct{}) bool { count++; return count%500 != 0 }
	for name, walk := range map[string]func(){
		"Ascend":     func() { tree.Ascend("001234", fn) },
		"AscendAll":  func() { tree.AscendAll(fn) },
		"Descend":    func() { tree.Descend("008765", fn) },
		"DescendAll": func() { tree.DescendAll(fn) },
	} {
		if allocs := testing.AllocsPerRun(20, walk); allocs > 0 {
			t.Errorf("%s allocates %v times per call", name, allocs)
		}
	}
}

func TestBuilder(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 11))
	sizes := []int{0, 1, 2, leafMin - 1, leafMin, leafMax - 1, leafMax, leafMax + 1, leafMax + leafMin - 1,
		leafMax*innerMax - 1, leafMax * innerMax, leafMax*innerMax + 1, leafMax * (innerMax + 1),
		leafMax*(innerMax+innerMin) - 1, leafMax*innerMax*innerMax + 5, 3000 + rng.IntN(3000)}
	for _, n := range sizes {
		what := fmt.Sprintf("n=%d", n)
		var b Builder[int]
		var m model
		for i := range n {
			k := fmt.Sprintf("k%07d", i)
			if err := b.Add(k, i); err != nil {
				t.Fatalf("%s: Add(%q): %v", what, k, err)
			}
			m = append(m, entry{k, i})
		}
		built := b.Tree()
		sameAs(t, built, m, what+": built")
		checkMinMax(t, built, m, what)

		// Edit the built tree persistently and transiently, and check it
		// is unchanged afterwards.
		for _, e := range []*Edit{nil, NewEdit()} {
			tree, tm := built, slices.Clone(m)
			for i := range 300 {
				k := fmt.Sprintf("k%07d", rng.IntN(n+50))
				if rng.IntN(2) == 0 {
					tree, tm = tree.Set(e, k, -i), tm.set(k, -i)
				} else {
					var ok, want bool
					tree, ok = tree.Delete(e, k)
					tm, want = tm.delete(k)
					if ok != want {
						t.Fatalf("%s: Delete(%q) = %v", what, k, ok)
					}
				}
			}
			sameAs(t, tree, tm, what+": edited")
			sameAs(t, built, m, what+": built, after editing")
		}
	}
}

func TestBuilderRejectsUnsortedKeys(t *testing.T) {
	var b Builder[int]
	for _, k := range []string{"", "a", "b"} {
		if err := b.Add(k, 0); err != nil {
			t.Fatalf("Add(%q): %v", k, err)
		}
	}
	for _, k := range []string{"b", "a", "", "a\xff"} {
		err := b.Add(k, 1)
		if !errors.Is(err, ErrOutOfOrder) {
			t.Fatalf("Add(%q) = %v, want ErrOutOfOrder", k, err)
		}
	}
	if err := b.Add("b\x00", 2); err != nil {
		t.Fatalf("Add after a rejected key: %v", err)
	}
	sameAs(t, b.Tree(), model{{"", 0}, {"a", 0}, {"b", 0}, {"b\x00", 2}}, "after rejected keys")
}

func TestBuilderReuse(t *testing.T) {
	var b Builder[int]
	for i := range 100 {
		if err := b.Add(fmt.Sprintf("a%03d", i), i); err != nil {
			t.Fatal(err)
		}
	}
	first := b.Tree()
	if err := b.Add("a000", 7); err != nil {
		t.Fatalf("Add after Tree: %v", err)
	}
	second := b.Tree()
	sameAs(t, second, model{{"a000", 7}}, "second tree")
	if first.Len() != 100 {
		t.Fatalf("first tree has %d keys", first.Len())
	}
	if err := first.Check(); err != nil {
		t.Fatal(err)
	}
	var empty Builder[int]
	if got := empty.Tree(); got != (Tree[int]{}) {
		t.Fatal("an empty builder gave a non-empty tree")
	}
}
