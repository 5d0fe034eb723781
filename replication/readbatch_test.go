package replication

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/query"
)

// TestReadBarriersBatchNeverJoinsARunningRound: a batch started while a
// follower's rounds are running (their read indexes recorded by the
// leader before a write was acknowledged) joins a new round that begins
// after them, never a running one: its reads see the write, in their
// order, each answered once, and the batch costs one more round.
func TestReadBarriersBatchNeverJoinsARunningRound(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitReady()
	c.mustWrite(leader, `["put","kv",{"id":1,"v":"old"}]`)
	f := c.followers(leader)[0]
	fn := c.get(f)

	// The leader records each read index of f's, then holds the answer
	// until released.
	c.net.mu.Lock()
	target := c.net.nodes[leader.addr]
	own := target.handle
	entered, release := make(chan struct{}, 8), make(chan struct{})
	target.handle = func(ctx context.Context, op byte, payload []byte) (byte, []byte) {
		st, ans := own(ctx, op, payload)
		if op == opReadIndex {
			entered <- struct{}{}
			<-release
		}
		return st, ans
	}
	c.net.mu.Unlock()
	defer func() {
		c.net.mu.Lock()
		target.handle = own
		c.net.mu.Unlock()
	}()

	const req = `["select","kv",{"where":["=","id",1],"only":"v"}]`
	_, q := c.parsed(f, req)
	var order, called atomic.Int64 // order: the batch's reads answered
	read := func(want string, pos int64, out chan<- error) func(error) {
		return func(err error) {
			called.Add(1)
			if pos == 0 {
				// A running round's read: not the batch's.
			} else if p := order.Add(1); p != pos {
				err = fmt.Errorf("answered as number %d, want %d", p, pos)
			}
			if err == nil {
				b, qerr := query.Execute(nil, f.cur.Load(), q, nil)
				if qerr != nil || (want != "" && string(b) != want) {
					err = fmt.Errorf("read %s, %v; want %s", b, qerr, want)
				}
			}
			out <- err
		}
	}
	early := make(chan error, 2)
	for range maxRounds {
		if !fn.StartReadBarriers(context.Background(), []func(error){read("", 0, early)}) {
			t.Fatal("StartReadBarriers declined with a leader known")
		}
		select {
		case <-entered:
		case <-time.After(5 * time.Second):
			t.Fatal("the round's request did not reach the leader")
		}
	}
	c.mustWrite(leader, `["put","kv",{"id":1,"v":"new"}]`)
	rounds := fn.followerReads.count.Load()
	late := make(chan error, 3)
	batch := []func(error){read("", 1, late), read("", 2, late), read(`["new"]`, 3, late)}
	if !fn.StartReadBarriers(context.Background(), batch) {
		t.Fatal("StartReadBarriers declined with a leader known")
	}
	select {
	case <-entered:
		t.Fatal("a third round started while two ran")
	case <-late:
		t.Fatal("a read of the batch was answered while the running rounds held")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	for range 2 {
		if err := <-early; err != nil {
			t.Fatalf("a running round's read: %v", err)
		}
	}
	for i := range 3 {
		select {
		case err := <-late:
			if err != nil {
				t.Fatalf("batch read: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("batch read %d not answered", i+1)
		}
	}
	if got := fn.followerReads.count.Load() - rounds; got != 1 {
		t.Fatalf("the batch took %d rounds, want 1 (its own, started after the running ones)", got)
	}
	time.Sleep(20 * time.Millisecond)
	if n := called.Load(); n != 5 {
		t.Fatalf("%d callbacks for 5 reads", n)
	}
}

// TestReadBarriersBatchOnEveryMember: a batch of reads through any member
// (the leader's own rounds and followers') sees every write acknowledged
// before it through another member, answered in order, once each.
func TestReadBarriersBatchOnEveryMember(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.waitLeader()
	for i := range 30 {
		wn, rn := c.nodes[i%3], c.nodes[(i+1+i%2)%3]
		c.mustWrite(wn, fmt.Sprintf(`["put","kv",{"id":1,"v":"v%d"}]`, i))
		want := fmt.Sprintf(`["v%d"]`, i)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := c.readBatch(ctx, rn, `["select","kv",{"where":["=","id",1],"only":"v"}]`, i%4)
		cancel()
		if err != nil || string(out) != want {
			t.Fatalf("read %d through %s after a write through %s: %s, %v; want %s", i, rn.id, wn.id, out, err, want)
		}
	}
}
