package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/tidwall/gjson"
)

// watchGen makes random writes and conditions over a small id space so
// that writes collide often.
type watchGen struct{ rng *rand.Rand }

func (g watchGen) coll() string { return []string{"a", "a", "b"}[g.rng.Intn(3)] }

func (g watchGen) record() string {
	return fmt.Sprintf(`{"id":%d,"n":%d,"tag":%q}`, g.rng.Intn(40), g.rng.Intn(10), []string{"x", "y", "z"}[g.rng.Intn(3)])
}

func (g watchGen) where() string {
	switch g.rng.Intn(5) {
	case 0:
		return fmt.Sprintf(`["<","n",%d]`, g.rng.Intn(10))
	case 1:
		return fmt.Sprintf(`["=","tag",%q]`, []string{"x", "y"}[g.rng.Intn(2)])
	case 2:
		return fmt.Sprintf(`["in","id",[%d,%d,%d,%d]]`, g.rng.Intn(40), g.rng.Intn(40), g.rng.Intn(40), g.rng.Intn(40))
	case 3:
		return fmt.Sprintf(`["or",[">=","n",%d],["=","tag","z"]]`, g.rng.Intn(10))
	}
	return fmt.Sprintf(`[">","id",%d]`, g.rng.Intn(40))
}

func (g watchGen) write() string {
	c := g.coll()
	switch k := g.rng.Intn(100); {
	case k < 30:
		n := 1 + g.rng.Intn(3)
		recs := g.record()
		for i := 1; i < n; i++ {
			recs += "," + g.record()
		}
		return fmt.Sprintf(`["insert",%q,[%s]]`, c, recs) // often a Duplicated id: refused
	case k < 55:
		return fmt.Sprintf(`["put",%q,%s]`, c, g.record())
	case k < 75:
		return fmt.Sprintf(`["update",%q,{"n":%d,"tag":null},{"where":%s}]`, c, g.rng.Intn(10), g.where())
	case k < 88:
		return fmt.Sprintf(`["delete",%q,{"where":%s}]`, c, g.where())
	case k < 91:
		return fmt.Sprintf(`["drop-collection",%q]`, c)
	case k < 92:
		return `["clear"]`
	case k < 95:
		return fmt.Sprintf(`["create-index",%q,"n"]`, c)
	case k < 97:
		// One write that changes records several times: put, update, put
		// back, delete again; or a write that fails after changes and a
		// drop (rolled back, so it changes nothing).
		id := g.rng.Intn(40)
		if g.rng.Intn(3) == 0 {
			return fmt.Sprintf(`["multi-write",[["put",%q,%s],["drop-collection","b"],["insert","a",[{"id":%d},{"id":%d}]]]]`, c, g.record(), id, id)
		}
		rec := fmt.Sprintf(`{"id":%d,"n":%d,"tag":"x"}`, id, g.rng.Intn(10))
		return fmt.Sprintf(`["multi-write",[["put",%q,%s],["update",%q,{"n":99},{"where":["=","id",%d]}],["put",%q,%s],["delete",%q,{"where":%s}]]]`,
			c, rec, c, id, c, rec, c, g.where())
	default:
		return fmt.Sprintf(`["multi-write",[["delete",%q,{"where":%s}],["put",%q,%s],["drop-collection","b"],["put","b",%s]]]`, c, g.where(), c, g.record(), g.record())
	}
}

// results returns coll's records matching where on v, by id: a scan of
// the record map with the condition's Match, independent of the planner.
func results(t testing.TB, v *dbvalue.Value, coll, where string) map[string]string {
	t.Helper()
	var cond query.Cond
	if where != "" {
		q, err := query.ParseString(fmt.Sprintf(`["watch",%q,{"where":%s}]`, coll, where))
		if err != nil {
			t.Fatal(err)
		}
		cond = q.(query.Watch).Where
	}
	m := map[string]string{}
	v.Collection(coll).Scan(func(_, rec string) bool {
		if cond == nil || cond.Match(rec) {
			m[gjson.Get(rec, "id").Raw] = rec
		}
		return true
	})
	return m
}

// TestWatchModel runs random writes from concurrent writers while random
// feeds open (with and without where, some from earlier positions, some
// with initial records); applying each feed's events to a copy must give,
// at every position, exactly the query's results on the value at that
// position (the values the writer published, captured per write).
func TestWatchModel(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) { runWatchModel(t, persistent) })
	}
}

type modelFeed struct {
	f     *Feed
	coll  string
	where string
	init  bool
}

func runWatchModel(t *testing.T, persistent bool) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	opts := Options{MaxBatch: 8, keepStates: true}
	if persistent {
		opts.Path = t.TempDir() + "/w.fdb"
		opts.Sync = SyncNever
	}
	db, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var mu sync.Mutex
	states := map[uint64]*dbvalue.Value{0: db.value()}
	db.hub.mu.Lock()
	db.hub.onSteps = func(steps []dbvalue.Step) {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range steps {
			if prev, ok := states[s.Seq-1]; ok {
				checkRecorded(t, seed, prev, s)
			} else {
				t.Errorf("seed %d: step at %d without a state before it", seed, s.Seq)
			}
			states[s.Seq] = s.After
		}
	}
	db.hub.mu.Unlock()

	ctx := context.Background()
	var feeds []modelFeed
	openFeed := func() {
		g := watchGen{rng}
		mf := modelFeed{coll: g.coll(), init: rng.Intn(3) == 0}
		o := WatchOptions{Initial: mf.init}
		if rng.Intn(2) == 0 {
			mf.where = g.where()
			o.Where = []byte(mf.where)
		}
		cur := db.hub.position()
		if rng.Intn(2) == 0 && cur > 0 {
			o.From, o.HasFrom = uint64(rng.Int63n(int64(cur)+1)), true
		}
		f, err := db.Watch(ctx, mf.coll, o)
		if err != nil {
			t.Fatalf("seed %d: watch: %v", seed, err)
		}
		mf.f = f
		feeds = append(feeds, mf)
	}

	const writers, perWriter = 3, 150
	var defrags atomic.Int64
	for round := 0; round < 4; round++ {
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wrng := rand.New(rand.NewSource(rng.Int63()))
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := watchGen{wrng}
				for i := 0; i < perWriter; i++ {
					if _, err := db.Query(ctx, []byte(g.write())); err != nil && !errors.Is(err, ErrRefused) {
						t.Errorf("write: %v", err)
						return
					}
				}
			}()
		}
		// Defragmentations among the writes: installed between batches,
		// they change no position, event or answer.
		stopDefrag := make(chan struct{})
		defragDone := make(chan struct{})
		go func() {
			defer close(defragDone)
			for {
				select {
				case <-stopDefrag:
					return
				case <-time.After(2 * time.Millisecond):
				}
				ok, err := db.defragNow()
				if err != nil {
					t.Errorf("defragNow: %v", err)
					return
				}
				if ok {
					defrags.Add(1)
				}
			}
		}()
		for i := 0; i < 3; i++ {
			openFeed()
			time.Sleep(time.Millisecond)
		}
		wg.Wait()
		close(stopDefrag)
		<-defragDone
	}
	final := db.hub.position()
	mu.Lock()
	defer mu.Unlock()
	valueAt := func(p uint64) *dbvalue.Value {
		// Positions without a write (none here, standalone) keep the
		// previous value.
		for ; ; p-- {
			if v, ok := states[p]; ok {
				return v
			}
		}
	}
	events := 0
	for i, mf := range feeds {
		events += checkFeed(t, seed, i, mf, final, valueAt)
	}
	t.Logf("%d writes, final position %d, %d feeds, %d events checked, %d defragmentations installed among them", writers*perWriter*4, final, len(feeds), events, defrags.Load())
	if events == 0 {
		t.Fatal("no events")
	}
}

func checkFeed(t *testing.T, seed int64, i int, mf modelFeed, final uint64, valueAt func(uint64) *dbvalue.Value) (events int) {
	ctx := context.Background()
	f := mf.f
	defer f.Close()
	p := f.Position()
	model := map[string]string{}
	if mf.init {
		for {
			ev, err := f.Next(ctx)
			if err != nil {
				t.Fatalf("seed %d feed %d: %v", seed, i, err)
			}
			if ev.Op == "ready" {
				break
			}
			if ev.Op != "initial" || ev.Position != p {
				t.Fatalf("seed %d feed %d: event %+v before ready", seed, i, ev)
			}
			model[gjson.GetBytes(ev.New, "id").Raw] = string(ev.New)
		}
	} else {
		model = results(t, valueAt(p), mf.coll, mf.where)
	}
	check := func(at uint64) {
		want := results(t, valueAt(at), mf.coll, mf.where)
		if !equalMaps(model, want) {
			t.Fatalf("seed %d feed %d (%s where %s from %d): at position %d (final %d) the feed gives\n%v\nthe query gives\n%v", seed, i, mf.coll, mf.where, p, at, final, sorted(model), sorted(want))
		}
	}
	check(p)
	last := p
	for {
		// Until no event comes: the events of the final position may be
		// several.
		wait := 200 * time.Millisecond
		if last == final {
			wait = 20 * time.Millisecond
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		ev, err := f.Next(wctx)
		cancel()
		if err != nil {
			// No more events: every later position must agree too.
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("seed %d feed %d: %v", seed, i, err)
			}
			break
		}
		if ev.Position < last || ev.Position <= p {
			t.Fatalf("seed %d feed %d: position %d after %d", seed, i, ev.Position, last)
		}
		events++
		if ev.Position > final {
			t.Fatalf("seed %d feed %d: event %+v beyond the final position %d (hub at %d)", seed, i, ev, final, f.h.position())
		}
		if ev.Position > last {
			check(ev.Position - 1)
			last = ev.Position
		}
		id := string(ev.ID)
		switch ev.Op {
		case "drop":
			model = map[string]string{}
			continue
		case "insert":
			if ev.Old != nil || model[id] != "" {
				t.Fatalf("seed %d feed %d: insert of %s present in the copy: %+v", seed, i, id, ev)
			}
		case "update", "delete":
			if ev.Old != nil && model[id] != string(ev.Old) {
				t.Fatalf("seed %d feed %d: %s old %s, the copy has %q", seed, i, ev.Op, ev.Old, model[id])
			}
			if ev.Old == nil && model[id] != "" {
				t.Fatalf("seed %d feed %d: %s of %s without old, the copy has %q", seed, i, ev.Op, id, model[id])
			}
		default:
			t.Fatalf("seed %d feed %d: unexpected event %+v", seed, i, ev)
		}
		if ev.New == nil {
			delete(model, id)
		} else {
			model[id] = string(ev.New)
		}
	}
	check(last)
	check(final)
	return events
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !jsonEqual(v, w) {
			return false
		}
	}
	return true
}

func jsonEqual(a, b string) bool {
	var x, y any
	json.Unmarshal([]byte(a), &x)
	json.Unmarshal([]byte(b), &y)
	return fmt.Sprint(x) == fmt.Sprint(y)
}

func sorted(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// checkRecorded checks the changes a step recorded as its write made them
// against the difference between the database before and after it, found
// by reading both whole.
func checkRecorded(t *testing.T, seed int64, before *dbvalue.Value, s dbvalue.Step) {
	t.Helper()
	type rc struct{ old, new string }
	// diff lists, in id order, the records that differ between two
	// collections, as their JSON before and after ("" for none).
	diff := func(old, new collection.Collection) []rc {
		recs := func(c collection.Collection) map[string]string {
			m := map[string]string{}
			c.Scan(func(id, rec string) bool {
				m[id] = rec
				return true
			})
			return m
		}
		o, n := recs(old), recs(new)
		ids := slices.Sorted(maps.Keys(o))
		for id := range n {
			if _, ok := o[id]; !ok {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		var out []rc
		for _, id := range ids {
			if o[id] != n[id] {
				out = append(out, rc{o[id], n[id]})
			}
		}
		return out
	}
	want := map[string][]rc{}
	for _, v := range []*dbvalue.Value{before, s.After} {
		for _, name := range v.Names() {
			want[name] = diff(before.Collection(name), s.After.Collection(name))
		}
	}
	got := map[string][]rc{}
	for _, cc := range s.Colls {
		if cc.Dropped() {
			if d := diff(before.Collection(cc.Name), *cc.DroppedColl); len(d) > 0 {
				t.Errorf("seed %d: step %d dropped %s, but the collection it kept differs from the one before: %v", seed, s.Seq, cc.Name, d)
			}
			// Recorded: the drop, then what the write put in the empty
			// collection; the difference is against before the write.
			want[cc.Name] = diff(collection.Collection{}, s.After.Collection(cc.Name))
		}
		var g []rc
		for _, ch := range cc.Changes.All() {
			g = append(g, rc{recordOf(ch.Old), recordOf(ch.New)})
		}
		got[cc.Name] = g
	}
	for name, w := range want {
		if len(w) == 0 {
			delete(want, name)
		}
	}
	for name, g := range got {
		if len(g) == 0 {
			delete(got, name)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("seed %d: step %d recorded\n%v\nthe states differ by\n%v", seed, s.Seq, got, want)
	}
}
