package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/fleetdb-go/fleetdb"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "fleetdb-cluster-example")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Open three members. The first forms the cluster; the others are
	// added through it (a real deployment passes Join: the client address
	// of any member, and runs `fleetdb serve` on each machine).
	var members []*fleetdb.DB
	for i := 1; i <= 3; i++ {
		db, err := fleetdb.Open(fleetdb.Options{Cluster: &fleetdb.ClusterOptions{
			NodeID:    fmt.Sprintf("n%d", i),
			RaftAddr:  "127.0.0.1:0", // any free port
			DataDir:   fmt.Sprintf("%s/n%d", dir, i),
			Bootstrap: i == 1,
		}})
		if err != nil {
			return err
		}
		defer db.Close()
		members = append(members, db)
		if i == 1 {
			if _, err := waitLeader(members); err != nil {
				return err
			}
			continue
		}
		st, _ := db.ClusterStatus()
		if err := members[0].ClusterJoin(ctx, st.NodeID, st.RaftAddr, ""); err != nil {
			return fmt.Errorf("join n%d: %w", i, err)
		}
	}
	leader, err := waitLeader(members)
	if err != nil {
		return err
	}
	var follower *fleetdb.DB
	for _, db := range members {
		if db != leader {
			follower = db
			break
		}
	}
	ls, _ := leader.ClusterStatus()
	fs, _ := follower.ClusterStatus()
	fmt.Printf("leader %s, writing on follower %s\n", ls.NodeID, fs.NodeID)

	// A write on a follower, then a local read on that follower: the write
	// was answered only after the follower applied it.
	out, err := follower.Query(ctx, []byte(`["insert","people",{"id":1,"name":"Ann"}]`))
	if err != nil {
		return err
	}
	fmt.Printf("insert on %s → %s\n", fs.NodeID, out)
	out, err = follower.Query(fleetdb.WithReadConsistency(ctx, fleetdb.ReadLocal), []byte(`["select","people"]`))
	if err != nil {
		return err
	}
	fmt.Printf("local read on %s → %s\n", fs.NodeID, out)

	// Failover: stop the leader; the other two elect a new one.
	start := time.Now()
	leader.Close()
	var rest []*fleetdb.DB
	for _, db := range members {
		if db != leader {
			rest = append(rest, db)
		}
	}
	newLeader, err := waitLeader(rest)
	if err != nil {
		return err
	}
	ns, _ := newLeader.ClusterStatus()
	fmt.Printf("%s stopped; %s leads after %v\n", ls.NodeID, ns.NodeID, time.Since(start).Round(time.Millisecond))
	for _, db := range rest {
		st, _ := db.ClusterStatus()
		out, err := db.Query(ctx, []byte(fmt.Sprintf(`["insert","people",{"id":%q}]`, "from-"+st.NodeID)))
		if err != nil {
			return err
		}
		fmt.Printf("insert on %s (%s) → %s\n", st.NodeID, st.Role, out)
	}
	out, err = rest[0].Query(ctx, []byte(`["count","people"]`))
	if err != nil {
		return err
	}
	fmt.Printf("linearizable count → %s\n", out)
	return nil
}

// waitLeader waits until one of the members leads.
func waitLeader(members []*fleetdb.DB) (*fleetdb.DB, error) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, db := range members {
			if st, ok := db.ClusterStatus(); ok && st.Role == "leader" {
				return db, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, errors.New("no leader within 15s")
}
