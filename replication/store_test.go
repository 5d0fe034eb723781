package replication

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// openDirNode opens a one-member cluster on a data directory (bootstrapped
// the first time) with a log store and waits until it can answer.
func openDirNode(t *testing.T, dir, raftAddr string, store LogStore, cur *atomic.Pointer[dbvalue.Value]) (*Node, error) {
	t.Helper()
	cfg := Config{
		NodeID: "n1", RaftAddr: raftAddr, DataDir: dir, Bootstrap: true, LogStore: store,
		Logger: testLogger(), Publish: func(v *dbvalue.Value) { cur.Store(v) },
	}
	fastConfig(&cfg)
	n, err := Open(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitReady(ctx); err != nil {
		n.Close()
		t.Fatalf("not ready: %v", err)
	}
	return n, nil
}

// TestLogStoreRestart: a data directory written by each log store opens
// again with the same store, with every write (from the log and from a
// snapshot plus the log after it) back; opening it with the other store
// is refused with a message that says what to do, and changes nothing.
func TestLogStoreRestart(t *testing.T) {
	for _, store := range []LogStore{LogStoreWAL, LogStoreBolt} {
		t.Run(store.String(), func(t *testing.T) {
			dir := t.TempDir()
			addr := freeTCPAddr(t)
			var cur atomic.Pointer[dbvalue.Value]
			n, err := openDirNode(t, dir, addr, store, &cur)
			if err != nil {
				t.Fatal(err)
			}
			write := func(n *Node, i int) {
				t.Helper()
				req := fmt.Sprintf(`["insert","t",{"id":%d}]`, i)
				q, _ := query.ParseString(req)
				if _, err := n.Write(context.Background(), []byte(req), q); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 20 {
				write(n, i)
			}
			if err := n.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
			for i := 20; i < 30; i++ {
				write(n, i)
			}
			n.Close()
			switch store {
			case LogStoreWAL:
				if _, err := os.Stat(filepath.Join(dir, walDir)); err != nil {
					t.Fatalf("no wal directory: %v", err)
				}
			case LogStoreBolt:
				if _, err := os.Stat(filepath.Join(dir, walDir)); err == nil {
					t.Fatal("the bolt log store made a wal directory")
				}
			}

			other := LogStoreBolt
			if store == LogStoreBolt {
				other = LogStoreWAL
			}
			before := dirListing(t, dir)
			_, err = openDirNode(t, dir, addr, other, &cur)
			if !errors.Is(err, ErrLogStoreMismatch) {
				t.Fatalf("open with %s: %v", other, err)
			}
			for _, want := range []string{fmt.Sprintf("written by the %q log store", store), "--log-store " + store.String(), "join again"} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("message %q lacks %q", err, want)
				}
			}
			if after := dirListing(t, dir); after != before {
				t.Fatalf("the refused open changed the directory:\n%s\n%s", before, after)
			}

			n, err = openDirNode(t, dir, addr, store, &cur)
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			if got := string(must(query.Execute(nil, cur.Load(), mustParse(t, `["count","t"]`), nil))); got != "30" {
				t.Fatalf("count after restart = %s", got)
			}
			write(n, 30)
		})
	}
}

func dirListing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			fmt.Fprintln(&b, p)
		}
		return nil
	})
	return b.String()
}

// freeTCPAddr returns a loopback address with a port free right now.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("cannot listen: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
