package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
	"github.com/fleetdb-go/fleetdb/internal/testcert"
)

// The forwarding protocol spoken on a member's Raft port (replication's
// forward.go and entry.go), written out by hand as an attacker would.
func fwdFrame(id uint64, op byte, payload []byte) []byte {
	body := binary.AppendUvarint(nil, id)
	body = append(body, op)
	body = append(body, payload...)
	return append(binary.AppendUvarint(nil, uint64(len(body))), body...)
}

func fwdString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// attackRaftPort opens a raw connection to a member's Raft port and sends a
// well-formed forwarded write (insert t id 1), a join of a member "evil"
// and the removal of victim, then reads whatever comes back.
func attackRaftPort(t *testing.T, raftAddr, victim string) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", raftAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	write := []byte{'W'}
	write = binary.AppendUvarint(write, 1)
	write = fwdString(write, `["insert","t",{"id":1}]`)
	msg := []byte{'F', 1}
	msg = append(msg, fwdFrame(1, 'W', write)...)
	msg = append(msg, fwdFrame(2, 'J', fwdString(fwdString(fwdString(nil, "evil"), "127.0.0.1:1"), ""))...)
	if victim != "" {
		msg = append(msg, fwdFrame(3, 'X', fwdString(nil, victim))...)
	}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	c.Write(msg)
	got, _ := io.ReadAll(bufio.NewReader(c))
	return got
}

func newSecNode(t *testing.T, dir, id, host string) *memberNode {
	return &memberNode{id: id, host: host, clientAddr: freeAddrOn(t, host), raftAddr: freeAddrOn(t, host),
		dataDir: filepath.Join(dir, id)}
}

func (n *memberNode) dial(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	cl, err := client.Dial(context.Background(), n.clientAddr, append(opts, client.WithPoolSize(1))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// waitSelfLeader waits until the member sees itself as the leader.
func waitSelfLeader(t *testing.T, cl *client.Client, id string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if statusOf(t, cl).Leader == id {
			return
		}
	}
	t.Fatalf("%s did not become the leader", id)
}

func statusOf(t *testing.T, cl *client.Client) admin.ClusterStatus {
	t.Helper()
	_, st, err := admin.FetchClusterStatus(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func count(t *testing.T, cl *client.Client) string {
	t.Helper()
	out, err := cl.Query(context.Background(), []any{"count", "t"})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestPeerSecurityProcesses: a raw connection to the Raft port of an
// unauthenticated member can write and add members (the control, which
// also shows the attack's frames are well formed); the same bytes sent to
// a member with a cluster secret, or with peer TLS, change nothing; a
// member with the wrong secret, or a certificate of another CA, cannot
// join, and the cluster keeps its quorum; a member with the right
// certificate joins and serves.
func TestPeerSecurityProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()

	t.Run("control: no peer security", func(t *testing.T) {
		n := newSecNode(t, dir, "open1", "127.0.0.1")
		n.unauthenticated = true
		n.proc = startServeProc(t, n.id, n.args("--bootstrap")...)
		n.proc.waitReady(t, 30*time.Second)
		if !strings.Contains(n.proc.log(), "not authenticated") {
			t.Error("no warning that peer connections are not authenticated")
		}
		cl := n.dial(t)
		waitSelfLeader(t, cl, n.id)
		attackRaftPort(t, n.raftAddr, "")
		if got := count(t, cl); got != "1" {
			t.Fatalf("control: the forwarded write did not take effect (count %s): the attack's frames are stale", got)
		}
	})

	t.Run("cluster secret", func(t *testing.T) {
		n1 := newSecNode(t, dir, "s1", "127.0.0.1")
		n1.proc = startServeProc(t, n1.id, n1.args("--bootstrap", "-x", "pw")...)
		n1.proc.waitReady(t, 30*time.Second)
		if strings.Contains(n1.proc.log(), "not authenticated") {
			t.Error("warned about unauthenticated peers although -x is set")
		}
		cl := n1.dial(t, client.WithPassword("pw"))
		waitSelfLeader(t, cl, n1.id)
		if got := attackRaftPort(t, n1.raftAddr, "s1"); len(got) > len("FDBPEER1")+32 {
			t.Errorf("the attacker got an answer beyond the challenge: %q", got)
		}
		time.Sleep(300 * time.Millisecond)
		st := statusOf(t, cl)
		if got := count(t, cl); got != "0" || len(st.Members) != 1 || st.Leader != "s1" {
			t.Fatalf("after the attack: count %s, status %+v", got, st)
		}
		if !strings.Contains(n1.proc.log(), "refused a peer connection") {
			t.Error("the refused connection was not logged")
		}

		// A member with the wrong secret (but the right client password)
		// asks to join: refused before it enters the configuration.
		bad := newSecNode(t, dir, "s2", "127.0.0.2")
		bad.proc = startServeProc(t, bad.id, bad.args("--join", n1.clientAddr, "-x", "pw", "--cluster-secret", "wrong")...)
		waitLog(t, n1.proc, "join refused: cannot authenticate the member", 20*time.Second)
		bad.proc.cmd.Process.Kill()
		if st := statusOf(t, cl); len(st.Members) != 1 {
			t.Fatalf("a member with the wrong secret joined: %+v", st)
		}
		if _, err := cl.Query(context.Background(), []any{"insert", "t", map[string]any{"id": 2}}); err != nil {
			t.Fatalf("the cluster lost its quorum: %v", err)
		}

		// The right secret joins and serves (the secret defaults to -x).
		good := newSecNode(t, dir, "s3", "127.0.0.3")
		good.proc = startServeProc(t, good.id, good.args("--join", n1.clientAddr, "-x", "pw")...)
		good.proc.waitReady(t, 30*time.Second)
		gcl := good.dial(t, client.WithPassword("pw"))
		if _, err := gcl.Query(context.Background(), []any{"insert", "t", map[string]any{"id": 3}}); err != nil {
			t.Fatalf("write through the authenticated follower: %v", err)
		}
		if got := count(t, gcl); got != "2" {
			t.Fatalf("count through the follower %s, want 2", got)
		}
	})

	t.Run("mutual TLS", func(t *testing.T) {
		ca := testcert.NewCA(t, "cluster CA")
		other := testcert.NewCA(t, "another CA")
		peerArgs := func(ca *testcert.CA, name string) []string {
			cert, key, caFile := ca.Files(t, dir, name, ca.Issue(t, name))
			return []string{"--peer-tls-cert", cert, "--peer-tls-key", key, "--peer-tls-ca", caFile}
		}
		n1 := newSecNode(t, dir, "t1", "127.0.0.1")
		n1.proc = startServeProc(t, n1.id, n1.args(append([]string{"--bootstrap"}, peerArgs(ca, "t1")...)...)...)
		n1.proc.waitReady(t, 30*time.Second)
		cl := n1.dial(t)
		waitSelfLeader(t, cl, n1.id)
		attackRaftPort(t, n1.raftAddr, "t1")
		time.Sleep(300 * time.Millisecond)
		if got, st := count(t, cl), statusOf(t, cl); got != "0" || len(st.Members) != 1 {
			t.Fatalf("after the attack: count %s, status %+v", got, st)
		}

		bad := newSecNode(t, dir, "t2", "127.0.0.2")
		bad.proc = startServeProc(t, bad.id, bad.args(append([]string{"--join", n1.clientAddr}, peerArgs(other, "t2")...)...)...)
		waitLog(t, n1.proc, "join refused: cannot authenticate the member", 20*time.Second)
		bad.proc.cmd.Process.Kill()
		if st := statusOf(t, cl); len(st.Members) != 1 {
			t.Fatalf("a member with another CA's certificate joined: %+v", st)
		}

		good := newSecNode(t, dir, "t3", "127.0.0.3")
		good.proc = startServeProc(t, good.id, good.args(append([]string{"--join", n1.clientAddr}, peerArgs(ca, "t3")...)...)...)
		good.proc.waitReady(t, 30*time.Second)
		gcl := good.dial(t)
		if _, err := gcl.Query(context.Background(), []any{"insert", "t", map[string]any{"id": 3}}); err != nil {
			t.Fatalf("write through the mTLS follower: %v", err)
		}
		if got := count(t, gcl); got != "1" {
			t.Fatalf("count through the follower %s, want 1", got)
		}
	})
}

func waitLog(t *testing.T, p *serveProc, substr string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(p.log(), substr) {
			return
		}
	}
	t.Fatalf("%s did not log %q within %v", p.name, substr, timeout)
}
