package dbvalue

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/index"
)

// stepOps are the writes of TestStepChanges: each a function of the
// transaction, run as one write (one Step) or under a savepoint.
type stepOp func(t *Txn)

func sid(n int) string { return index.EncodeJSON(strconv.Itoa(n)) }

func rec(n int, v string) string { return `{"id":` + strconv.Itoa(n) + `,"v":"` + v + `"}` }

func put(coll string, n int, v string) stepOp {
	return func(t *Txn) {
		t.SetCollection(coll, t.Collection(coll).Put(t.Edit(), sid(n), rec(n, v), t.Log(coll)))
	}
}

func del(coll string, n int) stepOp {
	return func(t *Txn) {
		t.SetCollection(coll, t.Collection(coll).Delete(t.Edit(), sid(n), t.Log(coll)))
	}
}

func drop(coll string) stepOp { return func(t *Txn) { t.DropCollection(coll) } }

func clearAll() stepOp { return func(t *Txn) { t.Clear() } }

// rolledBack runs ops under a savepoint and rolls them back.
func rolledBack(ops ...stepOp) stepOp {
	return func(t *Txn) {
		sp := t.Savepoint()
		for _, op := range ops {
			op(t)
		}
		t.Rollback(sp)
	}
}

// renderStep shows a step's changes: per collection, "drop(records before)"
// and each change as old>new JSON.
func renderStep(s Step) string {
	var b strings.Builder
	for _, cc := range s.Colls {
		b.WriteString(cc.Name + ":")
		if cc.Dropped() {
			b.WriteString(" drop(")
			cc.DroppedColl.Scan(func(_, r string) bool { b.WriteString(r); return true })
			b.WriteString(")")
		}
		for _, ch := range cc.Changes.All() {
			o, n := "-", "-"
			if ch.Old != "" {
				o = index.RecordOfID(ch.Old)
			}
			if ch.New != "" {
				n = index.RecordOfID(ch.New)
			}
			b.WriteString(" " + o + ">" + n)
		}
		b.WriteString(";")
	}
	return b.String()
}

// TestStepChanges checks what one write records: net changes per record in
// id order, drops with the collection as it was before the write, nothing
// for what a rollback undid or for a record put back as it was.
func TestStepChanges(t *testing.T) {
	// The base: a has 1 and 2 (v "a"), b has 1.
	base := applied(t, Empty(), put("a", 1, "a"), put("a", 2, "a"), put("b", 1, "b"))
	cases := []struct {
		name  string
		write []stepOp
		want  string
	}{
		{"nothing", nil, ""},
		{"insert", []stepOp{put("a", 3, "x")}, `a: ->{"id":3,"v":"x"};`},
		{"inserts out of order are sorted", []stepOp{put("a", 9, "x"), put("a", 3, "x")},
			`a: ->{"id":3,"v":"x"} ->{"id":9,"v":"x"};`},
		{"replace", []stepOp{put("a", 1, "x")}, `a: {"id":1,"v":"a"}>{"id":1,"v":"x"};`},
		{"replace by the same JSON", []stepOp{put("a", 1, "a")}, ``},
		{"changed twice: first old, last new", []stepOp{put("a", 1, "x"), put("a", 1, "y")},
			`a: {"id":1,"v":"a"}>{"id":1,"v":"y"};`},
		{"changed and back", []stepOp{put("a", 1, "x"), put("a", 1, "a")}, ``},
		{"inserted and deleted", []stepOp{put("a", 5, "x"), del("a", 5)}, ``},
		{"delete", []stepOp{del("a", 2)}, `a: {"id":2,"v":"a"}>-;`},
		{"delete of a missing id", []stepOp{del("a", 7)}, ``},
		{"two collections by name", []stepOp{put("b", 2, "x"), put("a", 3, "x")},
			`a: ->{"id":3,"v":"x"};b: ->{"id":2,"v":"x"};`},
		{"drop", []stepOp{drop("a")}, `a: drop({"id":1,"v":"a"}{"id":2,"v":"a"});`},
		{"drop of a missing collection", []stepOp{drop("zz")}, ``},
		{"changes then drop: the collection before the write", []stepOp{put("a", 1, "x"), put("a", 4, "x"), del("a", 2), drop("a")},
			`a: drop({"id":1,"v":"a"}{"id":2,"v":"a"});`},
		{"drop then insert", []stepOp{drop("a"), put("a", 1, "z")}, `a: drop({"id":1,"v":"a"}{"id":2,"v":"a"}) ->{"id":1,"v":"z"};`},
		{"drop twice: the first drop counts", []stepOp{drop("a"), put("a", 1, "z"), drop("a"), put("a", 2, "w")},
			`a: drop({"id":1,"v":"a"}{"id":2,"v":"a"}) ->{"id":2,"v":"w"};`},
		{"clear", []stepOp{put("b", 5, "x"), clearAll()}, `a: drop({"id":1,"v":"a"}{"id":2,"v":"a"});b: drop({"id":1,"v":"b"});c: drop({"id":1,"v":"first write"});`},
		{"rolled back", []stepOp{rolledBack(put("a", 3, "x"), drop("b"))}, ``},
		{"rolled back after a change", []stepOp{put("a", 3, "x"), rolledBack(del("a", 3), put("a", 1, "q"), drop("a"))},
			`a: ->{"id":3,"v":"x"};`},
	}
	// Each case in a transaction of its own, then all in one reused
	// transaction (BeginStepsIn), whose steps must stay as they were taken
	// until it is begun again.
	var reused *Txn
	var taken []Step
	var takenWant string
	for _, reuse := range []bool{false, true} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/reused=%v", c.name, reuse), func(t *testing.T) {
				txn := base.BeginSteps()
				if reuse {
					if taken != nil {
						if got := renderStep(taken[1]); got != takenWant {
							t.Errorf("the steps taken before, before the transaction is begun again: %s, want %s", got, takenWant)
						}
					}
					txn = base.BeginStepsIn(reused)
					reused = txn
				}
				txn.KeepStates()
				put("c", 1, "first write")(txn) // a write before, in the same batch
				txn.Step(base.Seq + 1)
				for _, op := range c.write {
					op(txn)
				}
				txn.Step(base.Seq + 2)
				steps := txn.TakeSteps()
				if len(steps) != 2 || steps[1].Seq != base.Seq+2 {
					t.Fatalf("steps %+v", steps)
				}
				if got := renderStep(steps[0]); got != `c: ->{"id":1,"v":"first write"};` {
					t.Errorf("first step: %s", got)
				}
				if got := renderStep(steps[1]); got != c.want {
					t.Errorf("got  %s\nwant %s", got, c.want)
				}
				mustCheck(t, txn.Commit())
				if reuse {
					taken, takenWant = steps, c.want
				}
			})
		}
	}
}

// applied returns v with ops applied and committed.
func applied(t *testing.T, v *Value, ops ...stepOp) *Value {
	t.Helper()
	txn := v.Begin()
	for _, op := range ops {
		op(txn)
	}
	txn.SetSeq(v.Seq + 1)
	return txn.Commit()
}

// TestBeginRecordsNothing checks that a transaction begun with Begin (log
// replay) keeps no changes and refuses Step.
func TestBeginRecordsNothing(t *testing.T) {
	txn := Empty().Begin()
	if txn.Log("a") != nil {
		t.Fatal("Begin: Log is not nil")
	}
	put("a", 1, "x")(txn)
	drop("a")(txn)
	if txn.log.Len() != 0 || len(txn.dropped) != 0 {
		t.Fatalf("Begin recorded %d changes, %d drops", txn.log.Len(), len(txn.dropped))
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Step on a Begin transaction did not panic")
		}
	}()
	txn.Step(1)
}

// TestStepsShareCollArrays: the steps of a batch cut their lists of
// changed collections from shared arrays; a later step, a step touching
// more collections than an array has left, and a rolled-back write never
// change what an earlier step holds, and a new batch starts afresh.
func TestStepsShareCollArrays(t *testing.T) {
	base := Empty()
	txn := base.BeginSteps()
	var want []string
	for i := range 40 {
		ops := []stepOp{put("a", i, "x")}
		w := `a: ->` + rec(i, "x") + `;`
		if i%7 == 3 { // some writes change two collections
			ops = append(ops, put("b", i, "y"))
			w += `b: ->` + rec(i, "y") + `;`
		}
		if i%5 == 1 {
			ops = append(ops, rolledBack(put("c", i, "z")))
		}
		for _, op := range ops {
			op(txn)
		}
		txn.Step(base.Seq + uint64(i) + 1)
		want = append(want, w)
	}
	steps := txn.TakeSteps()
	if len(steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(steps), len(want))
	}
	for i, s := range steps {
		if got := renderStep(s); got != want[i] {
			t.Fatalf("step %d: %s, want %s", i, got, want[i])
		}
	}
	// After TakeSteps the next steps use arrays of their own.
	put("a", 100, "n")(txn)
	txn.Step(base.Seq + 41)
	if got := renderStep(steps[0]); got != want[0] {
		t.Fatalf("step 0 after the next batch's step: %s", got)
	}
	if got := renderStep(txn.TakeSteps()[0]); got != `a: ->`+rec(100, "n")+`;` {
		t.Fatalf("the next batch's step: %s", got)
	}
}

// TestOneWriteStepIsSmall: a transaction of one write (most of a server's)
// records its step without an array of room for 16 collections' changes
// (16 x 56 B), and the collection it changes costs a pointer in the names
// tree's leaf, not a 48-byte value in each of 16 slots: the whole one-write,
// one-record transaction allocates about 2.1 KB, under the 2.5 KB bound
// (2.9 KB with arrays of 16; more again with values in the leaf).
func TestOneWriteStepIsSmall(t *testing.T) {
	v := Empty()
	for i := range 100 { // a collection with a few records
		txn := v.BeginSteps()
		put("a", i, "x")(txn)
		txn.Step(uint64(i + 1))
		txn.TakeSteps()
		v = txn.Commit()
	}
	const n = 2000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		txn := v.BeginSteps()
		put("a", 100+i, "x")(txn)
		txn.Step(uint64(101 + i))
		txn.TakeSteps()
		v = txn.Commit()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 2500 {
		t.Fatalf("a one-write transaction allocated %d bytes, want at most 2,500", per)
	}
}

// TestReusedTxnAllocatesLess: a one-write transaction begun in the last
// one (BeginStepsIn, as the writer and the FSM do) reuses the Txn, its
// change log, its scratch and the arrays of the steps taken last: five
// objects fewer than a new one (BeginSteps), 12 against 17.
func TestReusedTxnAllocatesLess(t *testing.T) {
	v := Empty()
	var txn *Txn
	i := 0
	write := func(begin func() *Txn) {
		txn = begin()
		put("a", i, "x")(txn)
		i++
		txn.Step(uint64(i))
		txn.TakeSteps()
		v = txn.Commit()
	}
	for range 100 { // a collection with a few records, arrays grown
		write(func() *Txn { return v.BeginStepsIn(txn) })
	}
	fresh := testing.AllocsPerRun(200, func() { write(v.BeginSteps) })
	reused := testing.AllocsPerRun(200, func() { write(func() *Txn { return v.BeginStepsIn(txn) }) })
	t.Logf("allocations of a one-write transaction: %v new, %v reused", fresh, reused)
	if fresh-reused < 5 {
		t.Fatalf("a one-write transaction: %v allocations new, %v reused; want 5 fewer", fresh, reused)
	}
}
