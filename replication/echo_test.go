package replication

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// echoOf builds the echo part of a read-index request (askPayload's after
// the zero byte).
func echoOf(seenTerm, seenSeq, askerTerm uint64) []byte {
	b := binary.AppendUvarint(nil, seenTerm)
	b = binary.AppendUvarint(b, seenSeq)
	return binary.AppendUvarint(b, askerTerm)
}

// rideRound makes a round of ln's wait for an echo as leaderRoundAsync
// does, with index recorded in term; ended is closed when it ends.
func rideRound(t *testing.T, ln *Node, term, index uint64) (*round, <-chan struct{}, uint64) {
	t.Helper()
	ln.echo.last.Store(time.Now().UnixNano()) // an echo just arrived
	cur := &round{done: make(chan struct{})}
	ended := make(chan struct{})
	after := ln.echo.seq.Load()
	if !ln.ride(cur, term, index, func() { close(ended) }) {
		t.Fatal("ride declined right after an echo")
	}
	return cur, ended, after
}

func isEnded(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestEchoConfirmsOnlyLaterAnswers: a leader's round waiting for an echo
// is confirmed only by an echo naming an answer of its term numbered
// after the round recorded its index, sent by a member whose term is
// still that term; an echo of an earlier answer (a request that may
// predate the read), of another term's answer, or from a member of
// another term confirms nothing. Without echoes lately a round does not
// wait for one.
func TestEchoConfirmsOnlyLaterAnswers(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	ln := c.get(leader)
	if err := ln.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	term := ln.raft.CurrentTerm()
	ln.echo.seq.Add(5) // answers numbered before the round
	cur, ended, after := rideRound(t, ln, term, 42)
	for _, e := range []struct {
		name                       string
		seenTerm, seenSeq, askTerm uint64
	}{
		{"an answer numbered before the round", term, after, term},
		{"an answer of an earlier term", term - 1, after + 1, term},
		{"an answer of a later term", term + 1, after + 1, term},
		{"an asker of a later term", term, after + 1, term + 1},
	} {
		ln.echoed(term, echoOf(e.seenTerm, e.seenSeq, e.askTerm))
		if isEnded(ended) {
			t.Fatalf("%s confirmed the round", e.name)
		}
	}
	// Truncated echoes are ignored.
	ln.echoed(term, echoOf(term, after+1, term)[:2])
	if isEnded(ended) {
		t.Fatal("a truncated echo confirmed the round")
	}
	ln.echoed(term, echoOf(term, after+1, term))
	select {
	case <-ended:
	case <-time.After(time.Second):
		t.Fatal("a valid echo did not confirm the round")
	}
	if cur.err != nil || cur.index != 42 {
		t.Fatalf("confirmed round: index %d, %v; want 42, nil", cur.index, cur.err)
	}
	if n := ln.echo.rode.Load(); n != 1 {
		t.Fatalf("%d rounds counted as echoed, want 1", n)
	}
	ln.echo.last.Store(time.Now().Add(-2 * echoRecent).UnixNano())
	if ln.ride(&round{done: make(chan struct{})}, term, 1, func() { t.Error("a declined ride ended") }) {
		t.Fatal("a round waits for an echo with none lately")
	}
}

// TestEchoAfterTermChange: a round that waits for an echo when its leader
// is deposed ends with ErrNotLeader, whether an echo of its term still
// arrives (the leader's own term changed meanwhile) or none does (the
// fallback's confirmation fails: the leader is cut off): never with the
// stale index.
func TestEchoAfterTermChange(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitReady()
	c.waitConverged() // see testRefusedAfterTermChange
	ln := c.get(leader)
	term := ln.raft.CurrentTerm()
	c.net.Isolate(leader.addr)
	ln.echo.waitFor = time.Millisecond
	timedOut, endedT, _ := rideRound(t, ln, term, 7)
	ln.echo.waitFor = time.Hour
	echoed, endedE, after := rideRound(t, ln, term, 7)
	if err := c.electWithout(leader, `["put","kv",{"id":1,"v":"new"}]`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ln.raft.CurrentTerm() == term && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if ln.raft.CurrentTerm() == term {
		t.Fatal("the old leader did not learn the new term")
	}
	if isEnded(endedE) {
		t.Fatal("the round waiting for an echo ended without one")
	}
	ln.echoed(term, echoOf(term, after+1, term))
	for name, r := range map[string]struct {
		cur   *round
		ended <-chan struct{}
	}{"echoed": {echoed, endedE}, "timed out": {timedOut, endedT}} {
		select {
		case <-r.ended:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s round did not end", name)
		}
		if !errors.Is(r.cur.err, ErrNotLeader) {
			t.Fatalf("%s round of a deposed leader: index %d, %v; want ErrNotLeader", name, r.cur.index, r.cur.err)
		}
	}
}

// TestLeaderReadsRideOnEchoes: with followers reading all the time, the
// leader's own reads are confirmed by their echoes (some rounds at least)
// and see every write acknowledged before them through any member.
func TestLeaderReadsRideOnEchoes(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitReady()
	ln := c.get(leader)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // followers' readers
		defer close(done)
		for !stop.Load() {
			for _, f := range c.followers(leader) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				c.readBatch(ctx, f, `["select","kv",{"where":["=","id",1]}]`, 1)
				cancel()
			}
		}
	}()
	defer func() { stop.Store(true); <-done }()
	for i := range 200 {
		c.mustWrite(c.nodes[i%3], fmt.Sprintf(`["put","kv",{"id":1,"v":"v%d"}]`, i))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := c.readBatch(ctx, leader, `["select","kv",{"where":["=","id",1],"only":"v"}]`, 0)
		cancel()
		if want := fmt.Sprintf(`["v%d"]`, i); err != nil || string(out) != want {
			t.Fatalf("leader read %d: %s, %v; want %s", i, out, err, want)
		}
	}
	if ln.echo.rode.Load() == 0 {
		t.Fatal("no leader round was confirmed by an echo")
	}
}
