package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/internal/testcert"
)

// TestServeTLS: serve --tls-cert/--tls-key speaks TLS only; the admin
// commands (ping, query, export, import: the transfer commands have their
// own connections) and the Go client reach it with --tls-ca or
// FLEETDB_TLS_CA; a plaintext command fails with exit status 5; --tls
// alone checks the system's roots and refuses the throwaway CA.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA(t, "test CA")
	cert, key, caFile := ca.Files(t, dir, "server", ca.Issue(t, "server", "127.0.0.1", "localhost"))
	cfg := defaultServe()
	cfg.ephemeral = true
	cfg.tlsCert, cfg.tlsKey = cert, key
	addr, _ := startServe(t, cfg)
	_, port, _ := net.SplitHostPort(addr)
	ctx := context.Background()

	code, out, errOut := runCmd(t, ctx, "ping", "-p", port, "--tls-ca", caFile)
	if code != 0 || !strings.Contains(out, "pong") {
		t.Fatalf("ping --tls-ca: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, ctx, "query", "-p", port, "--tls-ca", caFile, `["insert","t",[{"id":1},{"id":2}]]`); code != 0 {
		t.Fatalf("query over TLS: %d %q %q", code, out, errOut)
	}
	exported := filepath.Join(dir, "t.jsonl")
	if code, out, errOut := runCmd(t, ctx, "export", "-p", port, "--tls-ca", caFile, "t", "-o", exported); code != 0 {
		t.Fatalf("export over TLS: %d %q %q", code, out, errOut)
	}
	if b, _ := os.ReadFile(exported); strings.Count(string(b), "\n") != 2 {
		t.Fatalf("exported %q", b)
	}
	t.Setenv("FLEETDB_TLS_CA", caFile)
	if code, out, errOut := runCmd(t, ctx, "import", "-p", port, "u", exported); code != 0 {
		t.Fatalf("import with FLEETDB_TLS_CA: %d %q %q", code, out, errOut)
	}
	t.Setenv("FLEETDB_TLS_CA", "")

	// A plaintext client gets no answer: the server is unreachable to it.
	if code, _, errOut := runCmd(t, ctx, "ping", "-p", port, "--connect-timeout", "2s"); code != 5 {
		t.Fatalf("plaintext ping of a TLS server: exit %d, %q", code, errOut)
	}
	// --tls verifies against the system's roots, which do not hold the
	// test CA.
	if code, _, errOut := runCmd(t, ctx, "ping", "-p", port, "--tls"); code != 5 || !strings.Contains(errOut, "certificate") {
		t.Fatalf("ping --tls with an unknown CA: exit %d, %q", code, errOut)
	}
	// A bad CA file is a usage error.
	if code, _, errOut := runCmd(t, ctx, "ping", "-p", port, "--tls-ca", cert+".missing"); code != 2 {
		t.Fatalf("ping --tls-ca missing file: exit %d, %q", code, errOut)
	}

	// The Go client.
	tc, err := client.LoadTLS(caFile, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.Dial(ctx, addr, client.WithTLS(tc))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if n, err := cl.Query(ctx, []any{"count", "u"}); err != nil || string(n) != "2" {
		t.Fatalf("count u through the Go client over TLS: %s, %v", n, err)
	}
}

// TestServeTLSClientCertificates: with --tls-client-ca the server refuses
// clients without a certificate signed by that CA.
func TestServeTLSClientCertificates(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA(t, "test CA")
	cert, key, caFile := ca.Files(t, dir, "server", ca.Issue(t, "server", "127.0.0.1"))
	clientCert, clientKey, _ := ca.Files(t, dir, "alice", ca.Issue(t, "alice"))
	other := testcert.NewCA(t, "other CA")
	badCert, badKey, _ := other.Files(t, dir, "mallory", other.Issue(t, "mallory"))
	cfg := defaultServe()
	cfg.ephemeral = true
	cfg.tlsCert, cfg.tlsKey, cfg.tlsClientCA = cert, key, caFile
	addr, _ := startServe(t, cfg)
	_, port, _ := net.SplitHostPort(addr)
	ctx := context.Background()
	if code, out, errOut := runCmd(t, ctx, "ping", "-p", port, "--tls-ca", caFile, "--tls-cert", clientCert, "--tls-key", clientKey); code != 0 {
		t.Fatalf("ping with a client certificate: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, ctx, "ping", "-p", port, "--tls-ca", caFile); code == 0 {
		t.Fatalf("ping without a client certificate succeeded: %q", errOut)
	}
	if code, _, errOut := runCmd(t, ctx, "ping", "-p", port, "--tls-ca", caFile, "--tls-cert", badCert, "--tls-key", badKey); code == 0 {
		t.Fatalf("ping with another CA's certificate succeeded: %q", errOut)
	}
	if code, _, errOut := runCmd(t, ctx, "ping", "-p", port, "--tls-ca", caFile, "--tls-cert", clientCert); code != 2 {
		t.Fatalf("--tls-cert without --tls-key: exit %d %q", code, errOut)
	}
}
