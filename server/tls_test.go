package server_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/internal/testcert"
	"github.com/fleetdb-go/fleetdb/server"
)

// tlsQuery sends one line over a TLS connection made with cfg and returns
// the answer line, or the error of the handshake or the read.
func tlsQuery(t *testing.T, addr string, cfg *tls.Config, line string) (string, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, line+"\r\n"); err != nil {
		return "", err
	}
	resp, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(resp, "\r\n"), err
}

func TestTLSRoundTrip(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	srvCert := ca.Issue(t, "server", "127.0.0.1", "localhost")
	ts := startServer(t, newDB(t), server.Config{
		TLS: &tls.Config{Certificates: []tls.Certificate{srvCert.TLS}, MinVersion: tls.VersionTLS12},
	})
	resp, err := tlsQuery(t, ts.addr, &tls.Config{RootCAs: ca.Pool}, `["ping"]`)
	if err != nil || resp != `[0,"pong"]` {
		t.Fatalf("ping over TLS: %q, %v", resp, err)
	}
	// A client that does not trust the server's CA refuses it.
	if _, err := tlsQuery(t, ts.addr, &tls.Config{RootCAs: testcert.NewCA(t, "other").Pool}, `["ping"]`); err == nil {
		t.Fatal("a client trusting another CA accepted the server")
	}
	// TLS 1.1 is refused.
	if _, err := tlsQuery(t, ts.addr, &tls.Config{RootCAs: ca.Pool, MaxVersion: tls.VersionTLS11}, `["ping"]`); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
}

// A plaintext client on a TLS port gets no answer and is closed after the
// failed handshake; the server goes on serving TLS clients.
func TestTLSPlaintextClientGetsNoAnswer(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	srvCert := ca.Issue(t, "server", "127.0.0.1")
	db := newDB(t)
	ts := startServer(t, db, server.Config{TLS: &tls.Config{Certificates: []tls.Certificate{srvCert.TLS}}})
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, `["insert","t",{"id":1}]`+"\r\n")
	got, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("read: %v (want the server to close the connection)", err)
	}
	if strings.Contains(string(got), "[") {
		t.Fatalf("plaintext client got an answer: %q", got)
	}
	resp, err := tlsQuery(t, ts.addr, &tls.Config{RootCAs: ca.Pool}, `["count","t"]`)
	if err != nil || resp != `[0,0]` {
		t.Fatalf("count over TLS after the plaintext attempt: %q, %v (the insert must not have run)", resp, err)
	}
}

func TestTLSClientCertificates(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	srvCert := ca.Issue(t, "server", "127.0.0.1")
	ts := startServer(t, newDB(t), server.Config{TLS: &tls.Config{
		Certificates: []tls.Certificate{srvCert.TLS},
		ClientCAs:    ca.Pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}})
	good := ca.Issue(t, "alice")
	if resp, err := tlsQuery(t, ts.addr, &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{good.TLS}}, `["ping"]`); err != nil || resp != `[0,"pong"]` {
		t.Fatalf("with a client certificate: %q, %v", resp, err)
	}
	if resp, err := tlsQuery(t, ts.addr, &tls.Config{RootCAs: ca.Pool}, `["ping"]`); err == nil {
		t.Fatalf("without a client certificate: answered %q", resp)
	}
	bad := testcert.NewCA(t, "other").Issue(t, "mallory")
	if resp, err := tlsQuery(t, ts.addr, &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{bad.TLS}}, `["ping"]`); err == nil {
		t.Fatalf("with a certificate of another CA: answered %q", resp)
	}
}

func TestLoadTLSErrors(t *testing.T) {
	dir := t.TempDir()
	ca := testcert.NewCA(t, "test CA")
	cert, key, caFile := ca.Files(t, dir, "srv", ca.Issue(t, "server", "127.0.0.1"))
	if _, err := server.LoadTLS(cert, key, caFile); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ cert, key, ca, want string }{
		{cert, "", "", "both a certificate and its key"},
		{cert, dir + "/missing.key", "", "no such file"},
		{cert, key, cert + ".nope", "no such file"},
		{cert, key, key, "no PEM certificate"},
	} {
		_, err := server.LoadTLS(tc.cert, tc.key, tc.ca)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadTLS(%q, %q, %q) = %v, want %q", tc.cert, tc.key, tc.ca, err, tc.want)
		}
	}
}
