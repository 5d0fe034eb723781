package clitest

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/fleetdb-go/fleetdb/server"
)

// ServerConfig is what a test server differs in from `fleetdb serve -e`'s
// defaults.
type ServerConfig struct {
	Password        string
	MaxRequestBytes int         // 0: the server's default
	File            string      // a log file; "" serves an ephemeral database
	Fsync           string      // the log's fsync policy; "": always
	TLS             *tls.Config // serve TLS with it (server.Config.TLS)
	ClientTLS       *tls.Config // with TLS: the returned client's configuration
}

// Server serves a database on 127.0.0.1 and a free port until the test
// ends (ephemeral unless an option gives it a file), and returns the port
// as a flag value and a client of it.
func Server(t testing.TB, password string, with ...func(*ServerConfig)) (port string, c *client.Client) {
	t.Helper()
	cfg := ServerConfig{Password: password}
	for _, o := range with {
		o(&cfg)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := fleetdb.Options{Path: cfg.File, Logger: quiet}
	if cfg.Fsync != "" {
		policy, err := fleetdb.ParseSyncPolicy(cfg.Fsync)
		if err != nil {
			t.Fatal(err)
		}
		opts.Sync = policy
	}
	db, err := fleetdb.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(db, server.Config{
		Addr:            "127.0.0.1:0",
		Password:        cfg.Password,
		MaxRequestBytes: cfg.MaxRequestBytes,
		Logger:          quiet,
		TLS:             cfg.TLS,
	})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-served
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	addr := ln.Addr().String()
	_, port, _ = net.SplitHostPort(addr)
	copts := []client.Option{client.WithPassword(cfg.Password)}
	if cfg.ClientTLS != nil {
		copts = append(copts, client.WithTLS(cfg.ClientTLS))
	}
	c, err = client.Dial(context.Background(), addr, copts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return port, c
}

// MustQuery runs a query on c and returns its JSON result.
func MustQuery(t testing.TB, c *client.Client, q string) string {
	t.Helper()
	v, err := c.Query(context.Background(), cliutil.CompactJSON([]byte(q)))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return string(v)
}

// LoadPeople fills the fixture of the golden tests.
func LoadPeople(t testing.TB, c *client.Client) {
	t.Helper()
	MustQuery(t, c, `["insert","people",[
		{"id":1,"name":"Ann","age":31,"city":"Paris","tags":["admin","ops"]},
		{"id":2,"name":"Bob","age":27,"city":"Oslo","address":{"street":"Main St","no":12}},
		{"id":3,"name":"Cleo","age":45,"city":"Paris","note":null},
		{"id":"x-4","name":"Dan \"the man\"","age":38.5,"city":"Rome\nItaly"}]]`)
	MustQuery(t, c, `["create-index","people","age"]`)
	MustQuery(t, c, `["create-index","people",["city",["age","desc"]]]`)
	MustQuery(t, c, `["insert","tags",[{"id":"go"},{"id":"db"}]]`)
}

// FreePort returns a port nothing listens on.
func FreePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// FakeFailingServer answers every request line with status 2 ("failed")
// and returns its port.
func FakeFailingServer(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			func() {
				defer nc.Close()
				sc := bufio.NewScanner(nc)
				sc.Buffer(nil, 64<<20)
				for sc.Scan() {
					if _, err := io.WriteString(nc, `[2,"disk on fire"]`+"\r\n"); err != nil {
						return
					}
				}
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
