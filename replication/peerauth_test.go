package replication

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/internal/testcert"
)

// handshake runs the acceptor and the dialer guards on the two ends of a
// pipe and returns their errors; on success it checks that application
// bytes flow both ways afterwards.
func handshake(t *testing.T, acc, dial *peerGuard) (accErr, dialErr error) {
	t.Helper()
	a, d := tcpPair(t)
	defer a.Close()
	defer d.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ac := make(chan res, 1)
	go func() {
		c, err := acc.accept(a)
		if err != nil {
			a.Close() // as route does
		}
		ac <- res{c, err}
	}()
	dc, dialErr := dial.dial(d, 5*time.Second)
	if dialErr != nil {
		d.Close()
	}
	r := <-ac
	accErr = r.err
	if accErr == nil && dialErr == nil {
		go func() { dc.Write([]byte("ping")) }()
		buf := make([]byte, 4)
		if _, err := r.c.Read(buf); err != nil || string(buf) != "ping" {
			t.Fatalf("after the handshake: %q, %v", buf, err)
		}
	}
	return accErr, dialErr
}

// tcpPair returns the two ends of a loopback TCP connection (buffered, so a
// side that fails a TLS handshake can send its alert and go).
func tcpPair(t *testing.T) (accepted, dialed net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-ch
	if a == nil {
		t.Fatal("accept failed")
	}
	return a, d
}

func TestPeerSecretHandshake(t *testing.T) {
	for _, tc := range []struct {
		name          string
		acc, dial     *peerGuard
		accOK, dialOK bool
	}{
		{"same secret", newPeerGuard(nil, "s3cret"), newPeerGuard(nil, "s3cret"), true, true},
		{"wrong secret", newPeerGuard(nil, "s3cret"), newPeerGuard(nil, "guess"), false, false},
		{"dialer without secret", newPeerGuard(nil, "s3cret"), newPeerGuard(nil, ""), false, true},
		{"neither", newPeerGuard(nil, ""), newPeerGuard(nil, ""), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "dialer without secret" {
				// An unauthenticated dialer sends its request at once
				// (a forwarded write here); the acceptor must refuse it.
				a, d := net.Pipe()
				defer d.Close()
				errc := make(chan error, 1)
				go func() {
					_, err := tc.acc.accept(a)
					a.Close()
					errc <- err
				}()
				buf := make([]byte, len(peerMagic)+peerNonceLen)
				if _, err := d.Read(buf); err != nil {
					t.Fatal(err)
				}
				d.Write(append([]byte{fwdMagic, fwdVersion}, make([]byte, peerNonceLen+peerMACLen)...))
				if err := <-errc; !errors.Is(err, errPeerAuth) {
					t.Fatalf("accept: %v, want errPeerAuth", err)
				}
				return
			}
			accErr, dialErr := handshake(t, tc.acc, tc.dial)
			if (accErr == nil) != tc.accOK || (dialErr == nil) != tc.dialOK {
				t.Fatalf("accept: %v, dial: %v", accErr, dialErr)
			}
			if !tc.accOK && !strings.Contains(accErr.Error(), "wrong cluster secret") {
				t.Errorf("accept error %q does not say why", accErr)
			}
		})
	}
}

// An impostor that accepts connections without knowing the secret is
// detected by the dialer, which sends it nothing but its nonce and MAC.
func TestPeerSecretDialerChecksAcceptor(t *testing.T) {
	_, dialErr := handshake(t, newPeerGuard(nil, "other"), newPeerGuard(nil, "s3cret"))
	if !errors.Is(dialErr, errPeerAuth) {
		t.Fatalf("dial: %v", dialErr)
	}
}

func TestPeerMutualTLS(t *testing.T) {
	ca := testcert.NewCA(t, "cluster CA")
	other := testcert.NewCA(t, "another CA")
	member := func(ca *testcert.CA, name string) *peerGuard {
		p := ca.Issue(t, name, "127.0.0.1")
		return newPeerGuard(&tls.Config{Certificates: []tls.Certificate{p.TLS}, RootCAs: ca.Pool}, "")
	}
	if a, d := handshake(t, member(ca, "n1"), member(ca, "n2")); a != nil || d != nil {
		t.Fatalf("same CA: accept %v, dial %v", a, d)
	}
	if a, _ := handshake(t, member(ca, "n1"), member(other, "intruder")); a == nil {
		t.Fatal("a certificate of another CA was accepted")
	}
	if _, d := handshake(t, member(other, "impostor"), member(ca, "n2")); d == nil {
		t.Fatal("a member dialed an acceptor whose certificate comes from another CA")
	}
	// No certificate at all.
	noCert := newPeerGuard(&tls.Config{RootCAs: ca.Pool}, "")
	if a, _ := handshake(t, member(ca, "n1"), noCert); a == nil {
		t.Fatal("a dialer without a certificate was accepted")
	}
}

// FuzzPeerAccept: whatever a dialer sends, an acceptor with a secret never
// lets the connection through without the secret's MAC.
func FuzzPeerAccept(f *testing.F) {
	f.Add(make([]byte, peerNonceLen+peerMACLen))
	f.Add([]byte{fwdMagic, fwdVersion, 0, 0, 0, 1})
	f.Add([]byte{})
	g := newPeerGuard(nil, "s3cret")
	f.Fuzz(func(t *testing.T, in []byte) {
		a, d := net.Pipe()
		defer d.Close()
		errc := make(chan error, 1)
		go func() {
			_, err := g.accept(a)
			a.Close()
			errc <- err
		}()
		hello := make([]byte, len(peerMagic)+peerNonceLen)
		if _, err := d.Read(hello); err != nil {
			t.Fatal(err)
		}
		d.SetWriteDeadline(time.Now().Add(time.Second))
		d.Write(in)
		d.Close()
		if err := <-errc; err == nil {
			t.Fatalf("accepted %x", in)
		}
	})
}

// FuzzPeerDial: whatever an acceptor answers, a dialer with a secret never
// takes the connection as authenticated without the secret's MAC.
func FuzzPeerDial(f *testing.F) {
	f.Add([]byte(peerMagic + strings.Repeat("\x00", peerNonceLen+peerMACLen)))
	f.Add([]byte("FDBPEER1"))
	g := newPeerGuard(nil, "s3cret")
	f.Fuzz(func(t *testing.T, in []byte) {
		a, d := net.Pipe()
		defer d.Close()
		go func() {
			a.SetWriteDeadline(time.Now().Add(time.Second))
			a.Write(in)
			buf := make([]byte, 256)
			a.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			a.Read(buf)
			a.Close()
		}()
		if _, err := g.dial(d, time.Second); err == nil {
			t.Fatalf("dial accepted %x", in)
		}
	})
}
