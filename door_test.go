package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// readEntry is one read entry point of the Go API, run on a database or on
// a snapshot taken from it; it returns the read's error and a short form of
// its answer.
type readEntry struct {
	name string
	run  func(ctx context.Context, db *DB, s *Snapshot) (string, error)
}

// readEntries lists every read of the Go API; each reads collection "t",
// which holds exactly the record {"id":1} and an index on "n".
func readEntries() []readEntry {
	asJSON := func(v any, err error) (string, error) {
		if err != nil {
			return "", err
		}
		b, _ := json.Marshal(v)
		return string(b), nil
	}
	find := Find{Where: Eq("id", 1)}
	return []readEntry{
		{"DB.Query", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			out, err := db.Query(ctx, []byte(`["count","t"]`))
			return string(out), err
		}},
		{"DB.Select", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			return asJSON(db.Select(ctx, "t", find))
		}},
		{"DB.SelectInto", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			var recs []map[string]any
			err := db.SelectInto(ctx, "t", find, &recs)
			return asJSON(recs, err)
		}},
		{"DB.Count", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			return asJSON(db.Count(ctx, "t", Find{}))
		}},
		{"DB.Get", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			return asJSON(db.Get(ctx, "t", 1))
		}},
		{"DB.GetInto", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			var rec map[string]any
			err := db.GetInto(ctx, "t", 1, &rec)
			if errors.Is(err, ErrNotFound) {
				return "", nil
			}
			return asJSON(rec, err)
		}},
		{"DB.SnapshotContext", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			s, err := db.SnapshotContext(ctx)
			if err != nil {
				return "", err
			}
			return asJSON(s.Count(ctx, "t", Find{}))
		}},
		{"DB.View", func(ctx context.Context, db *DB, _ *Snapshot) (string, error) {
			var n int
			err := db.View(ctx, func(s *Snapshot) error {
				var err error
				n, err = s.Count(ctx, "t", Find{})
				return err
			})
			return asJSON(n, err)
		}},
		{"Snapshot.Query", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			out, err := s.Query(ctx, []byte(`["count","t"]`))
			return string(out), err
		}},
		{"Snapshot.Select", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			return asJSON(s.Select(ctx, "t", find))
		}},
		{"Snapshot.SelectInto", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			var recs []map[string]any
			err := s.SelectInto(ctx, "t", find, &recs)
			return asJSON(recs, err)
		}},
		{"Snapshot.Count", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			return asJSON(s.Count(ctx, "t", Find{}))
		}},
		{"Snapshot.Get", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			return asJSON(s.Get(ctx, "t", 1))
		}},
		{"Snapshot.GetInto", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			var rec map[string]any
			err := s.GetInto(ctx, "t", 1, &rec)
			if errors.Is(err, ErrNotFound) {
				return "", nil
			}
			return asJSON(rec, err)
		}},
		{"Snapshot.ListCollections", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			return asJSON(s.ListCollections(ctx))
		}},
		{"Snapshot.ListIndexes", func(ctx context.Context, _ *DB, s *Snapshot) (string, error) {
			return asJSON(s.ListIndexes(ctx, "t"))
		}},
	}
}

// TestEveryReadAfterClose: every read entry point answers before Close, a
// snapshot stays readable after later writes, and after Close every read
// (on the database or on a snapshot taken before) returns ErrClosed. The
// typed reads used to answer from the last value after Close.
func TestEveryReadAfterClose(t *testing.T) {
	ctx := context.Background()
	db, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustQuery(t, db, `["insert","t",{"id":1}]`)
	mustQuery(t, db, `["create-index","t","n"]`)
	snap := db.Snapshot()
	mustQuery(t, db, `["insert","t",{"id":2}]`)
	mustQuery(t, db, `["delete","t",{"where":["=","id",2]}]`)
	for _, e := range readEntries() {
		if out, err := e.run(ctx, db, snap); err != nil || out == "" {
			t.Errorf("%s before Close = %s, %v", e.name, out, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, e := range readEntries() {
		out, err := e.run(ctx, db, snap)
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s after Close = %s, %v; want ErrClosed", e.name, out, err)
		}
	}
	if out, ran, err := db.AppendQuery(ctx, nil, []byte(`["count","t"]`)); !ran || !errors.Is(err, ErrClosed) {
		t.Errorf("DB.AppendQuery after Close = %s, %v, %v; want ErrClosed", out, ran, err)
	}
	if _, err := db.Snapshot().Count(ctx, "t", Find{}); !errors.Is(err, ErrClosed) {
		t.Errorf("a snapshot taken after Close: %v", err)
	}
}

// TestEveryReadOnIsolatedMember: a member cut off from the rest of its
// cluster (the other two members closed) answers no linearizable read:
// every read entry point fails as Query does (no leader, status 2), and
// answers only when the context asks for ReadLocal. The typed reads used to
// answer the member's possibly stale value.
func TestEveryReadOnIsolatedMember(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	ctx := context.Background()
	dbs := openTestCluster(t, 3, nil)
	// Each read waits for a leader until its context ends (ApplyTimeout
	// stays at its default, which the members' joins need on a loaded
	// machine).
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	mustQuery(t, dbs[0], `["insert","t",{"id":1}]`)
	mustQuery(t, dbs[0], `["create-index","t","n"]`)
	leader := waitClusterLeader(t, dbs)
	var alone *DB
	for _, db := range dbs {
		if db != leader && alone == nil {
			alone = db
		}
	}
	// The member has the record before it is cut off.
	if out, err := alone.Query(ctx, []byte(`["count","t"]`)); err != nil || string(out) != "1" {
		t.Fatalf("linearizable read before the cut = %s, %v", out, err)
	}
	snap := alone.Snapshot()
	for _, db := range dbs {
		if db != alone {
			db.Close()
		}
	}
	// A leader hand-over at Close may leave the member leading alone for
	// a lease timeout, and raft's leadership check counts an answer that
	// was in flight when its peer closed: wait until it knows it leads no
	// one.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, _ := alone.ClusterStatus(); st.Role != "leader" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the isolated member still leads after 10 s")
		}
	}
	_, qerr := alone.Query(short(), []byte(`["count","t"]`))
	if !errors.Is(qerr, ErrNoLeader) || !errors.Is(qerr, ErrUnavailable) {
		t.Fatalf("Query on an isolated member: %v; want ErrNoLeader", qerr)
	}
	local := WithReadConsistency(ctx, ReadLocal)
	for _, e := range readEntries() {
		if e.name[:3] == "DB." {
			if out, err := e.run(short(), alone, snap); !errors.Is(err, ErrNoLeader) || !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s on an isolated member = %s, %v; want ErrNoLeader like Query (%v)", e.name, out, err, qerr)
			}
		}
		if out, err := e.run(local, alone, snap); err != nil || out == "" || out == "0" || out == "[]" {
			t.Errorf("%s with ReadLocal on an isolated member = %s, %v", e.name, out, err)
		}
	}
}
