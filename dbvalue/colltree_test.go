package dbvalue

import (
	"math/rand/v2"
	"testing"

	"github.com/fleetdb-go/fleetdb/collection"
)

// TestCollTreeModel: random inserts into and drops of a few collections,
// in transactions of one to four writes, some under a savepoint rolled
// back, with values committed and kept along the way. After every step the
// transaction's view, and every kept value, must show exactly what a
// model (a string per value) says: the collection written last (held
// outside the tree) stands for the tree's entry of its name in every read
// (Collection, Names, Len, Each) and never leaks into a value committed
// before.
func TestCollTreeModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	names := []string{"a", "b", "c", "d"}
	type kept struct {
		v    *Value
		want string
	}
	var keep []kept
	v := Empty()
	var reused *Txn
	n := 0
	for round := range 400 {
		txn := v.BeginStepsIn(reused)
		reused = txn
		writes := 1 + rng.IntN(4)
		for range writes {
			name := names[rng.IntN(len(names))]
			switch k := rng.IntN(10); {
			case k < 7:
				n++
				insert(txn, name, n)
			case k < 8:
				txn.DropCollection(name)
			default:
				sp := txn.Savepoint()
				before := render(txn.View())
				insert(txn, name, 1_000_000+n)
				txn.DropCollection(names[rng.IntN(len(names))])
				txn.Rollback(sp)
				if got := render(txn.View()); got != before {
					t.Fatalf("round %d: rollback: %s, want %s", round, got, before)
				}
			}
			txn.Step(txn.Seq() + 1)
			view := txn.View()
			mustCheck(t, view)
			if got, want := len(view.Names()), view.Len(); got != want {
				t.Fatalf("round %d: %d names, Len %d", round, got, want)
			}
			for _, nm := range names {
				c := view.Collection(nm)
				found := false
				view.Each(func(name string, _ collection.Collection) bool {
					found = found || name == nm
					return true
				})
				if found == c.IsEmpty() {
					t.Fatalf("round %d: %q listed %v, %d records", round, nm, found, c.Len())
				}
			}
		}
		txn.TakeSteps()
		v = txn.Commit()
		mustCheck(t, v)
		if round%10 == 0 {
			keep = append(keep, kept{v, render(v)})
		}
		for _, k := range keep {
			if got := render(k.v); got != k.want {
				t.Fatalf("round %d: a value kept changed:\n%s\nwant\n%s", round, got, k.want)
			}
		}
	}
	if v.Len() == 0 || n < 500 {
		t.Fatalf("the test wrote little: %d collections, %d inserts", v.Len(), n)
	}
}

// TestCollTreeCheckHotName: Check refuses a value whose collection written
// last is not in the names tree (what a delete that forgot it would leave),
// with its name in the message, and accepts it again once it is.
func TestCollTreeCheckHotName(t *testing.T) {
	txn := Empty().BeginSteps()
	insert(txn, "a", 1)
	insert(txn, "b", 2) // b is the hot one, a put back in the tree
	v := txn.Commit()
	mustCheck(t, v)
	broken := *v
	broken.colls.t, _ = broken.colls.t.Delete(nil, "b") // the tree alone, hot kept
	err := broken.Check()
	if err == nil || err.Error() != `dbvalue: the collection written last, "b", is not in the tree` {
		t.Fatalf("Check of a value whose hot collection left the tree: %v", err)
	}
	if got := v.Names(); len(got) != 2 || v.Collection("b").Len() != 1 {
		t.Fatalf("the value checked is unchanged: %v, b has %d records", got, v.Collection("b").Len())
	}
}
