package replication

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
)

// TestLeaderRoundAsync: the leader's own reads started without waiting are
// confirmed by another voter's answer on the forwarding link (no heartbeat
// of confirmLeader's) and see the writes acknowledged before them; when
// that voter answers another term, confirmLeader decides instead, and a
// leader that no other voter confirms answers no read.
func TestLeaderRoundAsync(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitReady()
	ln := c.get(leader)
	var beats atomic.Int64
	var beatOK atomic.Bool
	beatOK.Store(true)
	ln.beats.beat = func(raft.Server, uint64) bool { beats.Add(1); return beatOK.Load() }
	readOwn := func(want string) error {
		t.Helper()
		n, q := c.parsed(leader, `["select","kv",{"where":["=","id",1],"only":"v"}]`)
		ch := make(chan error, 1)
		if !n.StartReadBarrier(context.Background(), func(err error) {
			if err == nil {
				out, qerr := query.Execute(nil, leader.cur.Load(), q, nil)
				if qerr != nil || string(out) != want {
					err = errors.New("read " + string(out) + ", want " + want)
				}
			}
			ch <- err
		}) {
			return errDeclined
		}
		select {
		case err := <-ch:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("no answer")
		}
		return nil
	}
	for i, v := range []string{"a", "b", "c"} {
		c.mustWrite(c.nodes[i], `["put","kv",{"id":1,"v":"`+v+`"}]`)
		if err := readOwn(`["` + v + `"]`); err != nil {
			t.Fatalf("read after write %d: %v", i, err)
		}
	}
	if b := beats.Load(); b != 0 {
		t.Fatalf("%d heartbeats of confirmLeader; want the rounds confirmed on the link", b)
	}
	// A confirmation of another term is not one: confirmLeader decides.
	term := ln.raft.CurrentTerm()
	if err := confirmAnswer(ln, term, stOK, []byte{byte(term + 1)}, nil); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("answer of term %d for term %d: %v, want ErrNotLeader", term+1, term, err)
	}
	if err := confirmAnswer(ln, term, stOK, []byte{byte(term)}, nil); err != nil {
		t.Fatalf("answer of the term: %v", err)
	}
	// The other voters gone, the leader answers no read.
	for _, f := range c.followers(leader) {
		c.stop(f)
	}
	beatOK.Store(false)
	if err := readOwn(`["c"]`); err == nil || errors.Is(err, errDeclined) && ln.isLeader() {
		t.Fatal("a read answered without any other voter")
	}
}

// errDeclined: StartReadBarrier declined the read (no leader known).
var errDeclined = errors.New("declined")
