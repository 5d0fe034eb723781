package replication

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/query"
)

// TestReplication: a three-node cluster elects a leader, replicates writes
// sent to the leader and to followers (forwarded), answers each write on
// the node that took it only once that node has applied it, refuses the
// same writes everywhere, and every node ends with the value a standalone
// database reaches from the same writes.
func TestReplication(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	var writes []string
	w := func(tn *testNode, req, want string) {
		t.Helper()
		out, err := c.write(tn, req)
		got := string(out)
		if err != nil {
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("%s on %s: %v", req, tn.id, err)
			}
			got = "refused: " + qe.Msg
		}
		if got != want {
			t.Fatalf("%s on %s = %s, want %s", req, tn.id, got, want)
		}
		writes = append(writes, req)
	}
	w(leader, `["insert","people",[{"id":1,"name":"Ann"},{"id":2,"name":"Bob"}]]`, "2")
	for i, f := range c.followers(leader) {
		req := fmt.Sprintf(`["insert","people",{"id":%d,"name":"F%d"}]`, 10+i, i)
		w(f, req, "1")
		// Read your write on the follower at once, even a local read.
		if got := string(must(query.Execute(nil, f.cur.Load(), mustParse(t, fmt.Sprintf(`["count","people",{"where":["=","id",%d]}]`, 10+i)), nil))); got != "1" {
			t.Fatalf("follower %s does not see its own write: count %s", f.id, got)
		}
		w(f, `["insert","people",{"id":1}]`, "refused: Duplicated id: 1")
		w(f, `["update","people",{"seen":true},{"where":["=","id",1]}]`, "1")
	}
	w(leader, `["create-index","people","name"]`, "1")
	for _, tn := range c.nodes {
		if got := c.mustRead(tn, `["count","people"]`); got != "4" {
			t.Fatalf("count on %s = %s, want 4", tn.id, got)
		}
	}
	hash := c.waitConverged()
	if want := standaloneHash(t, writes); hash != want {
		t.Fatalf("cluster hash %x, standalone %x", hash[:8], want[:8])
	}
	st := c.get(leader).Status()
	if st.Role != "leader" || st.Leader != leader.id || len(st.Members) != 3 {
		t.Fatalf("status %+v", st)
	}
	for _, m := range st.Members {
		if m.ClientAddr != "client-"+m.ID || m.Suffrage != "voter" {
			t.Fatalf("member %+v", m)
		}
	}
	js := string(st.AppendJSON(nil))
	if !strings.Contains(js, `"role":"leader"`) || !strings.Contains(js, `"client-addr":"client-n2"`) {
		t.Fatalf("info %s", js)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func mustParse(t testing.TB, s string) query.Query {
	t.Helper()
	q, err := query.ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
