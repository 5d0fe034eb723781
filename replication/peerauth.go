package replication

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Peer authentication (docs/clustering.md, "Peer security"): every connection between
// members — raft's RPCs, forwarded requests and joins handed to the leader
// — passes a guard before one byte of it is read as a request.
//
// With PeerTLS both sides present a certificate signed by the cluster's CA
// (mutual TLS; the CA is the identity, host names are not checked, since
// members dial each other by address). Without it, and with a
// ClusterSecret, the two sides prove that they know the secret by a
// challenge-response that never sends it:
//
//	acceptor → dialer   "FDBPEER1" nonceA[32]
//	dialer   → acceptor nonceD[32] HMAC-SHA256(secret, "dial" nonceA nonceD)
//	acceptor → dialer   HMAC-SHA256(secret, "accept" nonceA nonceD)
//
// Each side checks the other's MAC in constant time and closes the
// connection on a mismatch; fresh nonces on both sides make a recorded
// exchange useless. The secret authenticates, it does not encrypt: use
// PeerTLS where the network between members is not trusted for privacy.
// With neither, connections are not authenticated and Open logs a warning.

const (
	peerMagic    = "FDBPEER1"
	peerNonceLen = 32
	peerMACLen   = sha256.Size
	// peerHandshakeTimeout bounds a handshake on either side: a peer that
	// connects and stays silent is cut off.
	peerHandshakeTimeout = 10 * time.Second
)

// errPeerAuth is returned (wrapped) when a peer fails authentication.
var errPeerAuth = errors.New("replication: peer authentication failed")

// peerGuard authenticates connections between members. The zero value
// (and nil) lets every connection through unauthenticated.
type peerGuard struct {
	server *tls.Config // mutual TLS, acceptor side
	client *tls.Config // mutual TLS, dialer side
	secret []byte      // challenge-response, when there is no TLS
}

func newPeerGuard(tlsConf *tls.Config, secret string) *peerGuard {
	g := &peerGuard{}
	if tlsConf != nil {
		g.server, g.client = peerTLSConfigs(tlsConf)
		return g
	}
	if secret != "" {
		g.secret = []byte(secret)
	}
	return g
}

// authenticated reports whether peers must prove who they are.
func (g *peerGuard) authenticated() bool {
	return g != nil && (g.server != nil || g.secret != nil)
}

// accept authenticates a connection a peer opened to this member. On an
// error the caller closes c.
func (g *peerGuard) accept(c net.Conn) (net.Conn, error) {
	if !g.authenticated() {
		return c, nil
	}
	c.SetDeadline(time.Now().Add(peerHandshakeTimeout))
	defer c.SetDeadline(time.Time{})
	if g.server != nil {
		tc := tls.Server(c, g.server)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("%w: %w", errPeerAuth, err)
		}
		return tc, nil
	}
	var hello [len(peerMagic) + peerNonceLen]byte
	copy(hello[:], peerMagic)
	nonceA := hello[len(peerMagic):]
	if _, err := rand.Read(nonceA); err != nil {
		return nil, err
	}
	if _, err := c.Write(hello[:]); err != nil {
		return nil, err
	}
	var reply [peerNonceLen + peerMACLen]byte
	if _, err := io.ReadFull(c, reply[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", errPeerAuth, err)
	}
	nonceD, mac := reply[:peerNonceLen], reply[peerNonceLen:]
	if !hmac.Equal(mac, peerMAC(g.secret, "dial", nonceA, nonceD)) {
		return nil, fmt.Errorf("%w: wrong cluster secret", errPeerAuth)
	}
	if _, err := c.Write(peerMAC(g.secret, "accept", nonceA, nonceD)); err != nil {
		return nil, err
	}
	return c, nil
}

// dial authenticates a connection this member opened to a peer (both
// ways: a dialer never talks to an impostor). On an error the caller
// closes c.
func (g *peerGuard) dial(c net.Conn, timeout time.Duration) (net.Conn, error) {
	if !g.authenticated() {
		return c, nil
	}
	if timeout <= 0 || timeout > peerHandshakeTimeout {
		timeout = peerHandshakeTimeout
	}
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	if g.client != nil {
		tc := tls.Client(c, g.client)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("%w: %w", errPeerAuth, err)
		}
		return tc, nil
	}
	var hello [len(peerMagic) + peerNonceLen]byte
	if _, err := io.ReadFull(c, hello[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", errPeerAuth, err)
	}
	if string(hello[:len(peerMagic)]) != peerMagic {
		return nil, fmt.Errorf("%w: the peer does not use a cluster secret", errPeerAuth)
	}
	nonceA := hello[len(peerMagic):]
	var reply [peerNonceLen + peerMACLen]byte
	nonceD := reply[:peerNonceLen]
	if _, err := rand.Read(nonceD); err != nil {
		return nil, err
	}
	copy(reply[peerNonceLen:], peerMAC(g.secret, "dial", nonceA, nonceD))
	if _, err := c.Write(reply[:]); err != nil {
		return nil, err
	}
	var mac [peerMACLen]byte
	if _, err := io.ReadFull(c, mac[:]); err != nil {
		return nil, fmt.Errorf("%w: the peer refused this member's secret (%w)", errPeerAuth, err)
	}
	if !hmac.Equal(mac[:], peerMAC(g.secret, "accept", nonceA, nonceD)) {
		return nil, fmt.Errorf("%w: the peer does not know the cluster secret", errPeerAuth)
	}
	return c, nil
}

func peerMAC(secret []byte, role string, nonceA, nonceD []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(role))
	h.Write(nonceA)
	h.Write(nonceD)
	return h.Sum(nil)
}

// peerTLSConfigs derives the acceptor's and the dialer's TLS settings from
// the member's configuration (its Certificates and, as RootCAs, the
// cluster's CA): both sides must present a certificate that chains to that
// CA. Host names are not checked.
func peerTLSConfigs(base *tls.Config) (server, client *tls.Config) {
	roots := base.RootCAs
	if roots == nil {
		roots = base.ClientCAs
	}
	verify := func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
		return verifyPeerChain(roots, rawCerts)
	}
	server = base.Clone()
	server.ClientAuth = tls.RequireAnyClientCert
	server.VerifyPeerCertificate = verify
	if server.MinVersion < tls.VersionTLS12 {
		server.MinVersion = tls.VersionTLS12
	}
	client = base.Clone()
	client.InsecureSkipVerify = true // the chain is checked by verify, without a host name
	client.VerifyPeerCertificate = verify
	if client.MinVersion < tls.VersionTLS12 {
		client.MinVersion = tls.VersionTLS12
	}
	return server, client
}

func verifyPeerChain(roots *x509.CertPool, rawCerts [][]byte) error {
	if len(rawCerts) == 0 {
		return errors.New("no certificate")
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("certificate not signed by the cluster's CA: %w", err)
	}
	return nil
}

// LoadPeerTLS reads a member's certificate and key and the cluster's CA
// (PEM files) into a Config.PeerTLS.
func LoadPeerTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" || caFile == "" {
		return nil, errors.New("replication: peer TLS needs a certificate, its key and the cluster's CA")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("replication: peer certificate: %w", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("replication: peer CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("replication: peer CA: no PEM certificate in %s", caFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
