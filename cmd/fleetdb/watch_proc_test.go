package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/tidwall/gjson"
)

// startCluster3 starts three `fleetdb serve` members on 127.0.0.1-3 and
// returns them once they agree on a leader, with that leader's id.
func startCluster3(t *testing.T, ctx context.Context) ([]*memberNode, string) {
	t.Helper()
	nodes := launchMembers(t, 3)
	for _, n := range nodes {
		n.proc.waitReady(t, 30*time.Second)
		cl, err := client.Dial(ctx, n.clientAddr, client.WithPoolSize(4))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		n.cl = cl
	}
	return nodes, agreedLeader(t, ctx, nodes)
}

// agreedLeader waits (15 s at most) until every member of the three
// reports the same leader and all three members, and returns its id.
func agreedLeader(t *testing.T, ctx context.Context, nodes []*memberNode) string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		var leaders []string
		ok := true
		for _, n := range nodes {
			_, st, err := admin.FetchClusterStatus(ctx, n.cl)
			if err != nil || st.Leader == "" || len(st.Members) != 3 {
				ok = false
				break
			}
			leaders = append(leaders, st.Leader)
		}
		if ok && leaders[0] == leaders[1] && leaders[1] == leaders[2] {
			return leaders[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no agreed leader of 3 members within 15 s (leaders %v)", leaders)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// feedLog collects a feed's insert events: their positions in order and
// how often each id came.
type feedLog struct {
	mu        sync.Mutex
	positions []uint64
	ids       map[string]int
	last      uint64
}

func (l *feedLog) follow(ctx context.Context, w *client.Watch) error {
	for {
		ev, err := w.Next(ctx)
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.positions = append(l.positions, ev.Position)
		l.ids[string(ev.ID)]++
		l.last = ev.Position
		l.mu.Unlock()
	}
}

// TestWatchClusterProcesses: a feed on a follower sees every acknowledged
// write; after kill -9 of that member, a feed on another member resumed
// from the last position seen completes the sequence with no gap and no
// duplicate.
func TestWatchClusterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	nodes, leader := startCluster3(t, ctx)
	var ld, f, other *memberNode
	for _, n := range nodes {
		switch {
		case n.id == leader:
			ld = n
		case f == nil:
			f = n
		default:
			other = n
		}
	}
	t.Logf("leader %s; feed on %s, killed, resumed on %s", leader, f.id, other.id)

	w, err := f.cl.Watch(ctx, "w", client.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	log := &feedLog{ids: map[string]int{}}
	followed := make(chan error, 1)
	go func() { followed <- log.follow(ctx, w) }()

	// Concurrent writers through the leader and the other follower: each
	// insert has its own id; the acknowledged ones are recorded.
	var (
		amu   sync.Mutex
		acked = map[string]bool{}
		tried = map[string]bool{}
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for wr := 0; wr < 4; wr++ {
		via := []*memberNode{ld, other}[wr%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf(`"w%d-%d"`, wr, i)
				amu.Lock()
				tried[id] = true
				amu.Unlock()
				if _, err := via.cl.Query(ctx, []byte(`["insert","w",{"id":`+id+`}]`)); err == nil {
					amu.Lock()
					acked[id] = true
					amu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := f.proc.cmd.Process.Kill(); err != nil { // kill -9
		t.Fatal(err)
	}
	f.proc.cmd.Wait()
	<-followed
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	log.mu.Lock()
	resumeFrom := log.last
	before := len(log.positions)
	log.mu.Unlock()
	if before == 0 {
		t.Fatal("the feed on the follower saw nothing before the kill")
	}
	w2, err := other.cl.Watch(ctx, "w", client.WatchOptions{From: resumeFrom, HasFrom: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	fctx, fcancel := context.WithCancel(ctx)
	followed2 := make(chan error, 1)
	go func() { followed2 <- log.follow(fctx, w2) }()
	// Every acknowledged write must come.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		log.mu.Lock()
		missing := 0
		for id := range acked {
			if log.ids[id] == 0 {
				missing++
			}
		}
		log.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged writes never came", missing)
		}
	}
	time.Sleep(300 * time.Millisecond) // room for duplicates to show
	fcancel()
	<-followed2

	log.mu.Lock()
	defer log.mu.Unlock()
	for i := 1; i < len(log.positions); i++ {
		if log.positions[i] < log.positions[i-1] {
			t.Fatalf("position %d after %d (event %d, %d before the kill)", log.positions[i], log.positions[i-1], i, before)
		}
	}
	for id, n := range log.ids {
		if n != 1 {
			t.Fatalf("id %s came %d times", id, n)
		}
		if !tried[id] {
			t.Fatalf("event for %s, never written", id)
		}
	}
	// What the feeds gave is what the database holds.
	recs, err := other.cl.Select(ctx, "w", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(log.ids) {
		t.Fatalf("the database holds %d records, the feeds gave %d", len(recs), len(log.ids))
	}
	for _, r := range recs {
		if log.ids[gjson.GetBytes(r, "id").Raw] != 1 {
			t.Fatalf("record %s not in the feeds", r)
		}
	}
	t.Logf("%d acknowledged of %d tried; %d events before the kill (last position %d), %d in all", len(acked), len(tried), before, resumeFrom, len(log.positions))
}

// TestWatchPersistentKill: concurrent writers and a feed on a persistent
// server killed with SIGKILL: no event was ever sent for a write the crash
// lost (every record an event announced is in the log replayed at
// restart), and positions go on from where they were.
func TestWatchPersistentKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	file := filepath.Join(t.TempDir(), "w.fdb")
	addr := freeAddrOn(t, "127.0.0.1")
	port := addr[len("127.0.0.1:"):]
	for _, policy := range []string{"always", "never"} {
		p := startServeProc(t, "persistent-"+policy, "-f", file, "-p", port, "--fsync", policy)
		p.waitReady(t, 30*time.Second)
		cl, err := client.Dial(ctx, addr, client.WithPoolSize(8))
		if err != nil {
			t.Fatal(err)
		}
		w, err := cl.Watch(ctx, "k", client.WatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		log := &feedLog{ids: map[string]int{}}
		followed := make(chan error, 1)
		go func() { followed <- log.follow(ctx, w) }()
		var wg sync.WaitGroup
		for wr := 0; wr < 6; wr++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					if _, err := cl.Query(ctx, []byte(fmt.Sprintf(`["insert","k",{"id":"%s-%d-%d"}]`, policy, wr, i))); err != nil {
						return // the server is gone
					}
				}
			}()
		}
		time.Sleep(800 * time.Millisecond)
		p.cmd.Process.Kill()
		p.cmd.Wait()
		wg.Wait()
		<-followed
		cl.Close()

		p2 := startServeProc(t, "restarted-"+policy, "-f", file, "-p", port, "--fsync", policy)
		p2.waitReady(t, 30*time.Second)
		cl2, err := client.Dial(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := cl2.Select(ctx, "k", nil)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, r := range recs {
			have[gjson.GetBytes(r, "id").Raw] = true
		}
		log.mu.Lock()
		for id := range log.ids {
			if !have[id] {
				t.Fatalf("fsync %s: an event was sent for %s, which the crash lost", policy, id)
			}
		}
		info, err := cl2.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pos := gjson.GetBytes(info.Raw, "position").Uint()
		if pos < log.last {
			t.Fatalf("fsync %s: position %d after the restart, the feed saw %d", policy, pos, log.last)
		}
		t.Logf("fsync %s: %d events before the kill (last position %d), %d records recovered, position %d", policy, len(log.ids), log.last, len(recs), pos)
		log.mu.Unlock()
		cl2.Close()
		p2.stop(t)
	}
}
