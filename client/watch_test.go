package client_test

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/server"
)

// realServer serves an ephemeral database on a loopback port.
func realServer(t *testing.T, opts fleetdb.Options) (*fleetdb.DB, string) {
	t.Helper()
	db, err := fleetdb.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(db, server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
		db.Close()
	})
	return db, ln.Addr().String()
}

func TestWatchAndSnapshots(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, addr := realServer(t, fleetdb.Options{WatchBuffer: 4096})
	c, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Insert(ctx, "p", json.RawMessage(`{"id":1,"age":20}`)); err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(ctx, "p", client.WatchOptions{Where: []any{"<", "age", 30}, Initial: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Position() != 1 {
		t.Fatalf("position %d", w.Position())
	}
	if _, err := c.Update(ctx, "p", map[string]any{"age": 40}, map[string]any{"where": []any{"=", "id", 1}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < 3; i++ {
		ev, err := w.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(ev.Raw))
		if i == 2 && (ev.Op != "update" || ev.New != nil || string(ev.Old) != `{"id":1,"age":20}` || string(ev.ID) != "1") {
			t.Fatalf("update event %+v", ev)
		}
	}
	want := []string{`{"position":1,"op":"initial","new":{"id":1,"age":20}}`, `{"position":1,"op":"ready"}`, `{"position":2,"op":"update","id":1,"old":{"id":1,"age":20},"new":null}`}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d: %s, want %s", i, got[i], want[i])
		}
	}
	if w.Last() != 2 {
		t.Fatalf("last %d", w.Last())
	}
	// A refusal comes back as an *Error.
	if _, err := c.Watch(ctx, "p", client.WatchOptions{From: 99, HasFrom: true}); !client.IsRefused(err) {
		t.Fatalf("from beyond: %v", err)
	}
	// Falling behind: a stalled feed, writes worth more than its buffer
	// and the socket buffers.
	w2, err := c.Watch(ctx, "p", client.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	pad := make([]byte, 20000)
	for i := range pad {
		pad[i] = 'z'
	}
	for i := 10; i < 800; i++ {
		if _, err := c.Put(ctx, "p", map[string]any{"id": i, "pad": string(pad)}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		_, err := w2.Next(ctx)
		if err != nil {
			n, ok := client.ResumeFrom(err)
			if !ok || n != w2.Last() || !client.IsRetryable(err) {
				t.Fatalf("end of a stalled feed: %v (resume %d, last %d)", err, n, w2.Last())
			}
			break
		}
	}

	s, err := c.SnapshotOpen(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, "p", nil); err != nil {
		t.Fatal(err)
	}
	out, err := c.SnapshotRead(ctx, s.ID, []any{"count", "p"})
	if err != nil || string(out) != "791" {
		t.Fatalf("pinned count %s %v", out, err)
	}
	if ok, err := c.SnapshotClose(ctx, s.ID); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := c.SnapshotRead(ctx, s.ID, []any{"count", "p"}); !client.IsRefused(err) {
		t.Fatalf("closed: %v", err)
	}
}
