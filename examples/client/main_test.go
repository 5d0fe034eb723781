package main

import (
	"context"
	"net"
	"testing"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/server"
)

// TestRun runs the example against an in-process server, with a password.
func TestRun(t *testing.T) {
	db, err := fleetdb.Open(fleetdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv, err := server.New(db, server.Config{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	if err := run(ln.Addr().String(), "pw"); err != nil {
		t.Fatal(err)
	}
	if err := run(ln.Addr().String(), "wrong"); err == nil {
		t.Fatal("a wrong password worked")
	}
}
