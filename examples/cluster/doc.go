// Command cluster runs a three-member FleetDB cluster inside one process
// (real TCP on 127.0.0.1, Raft state in temporary directories): it writes
// on a follower (the write is forwarded to the leader and acknowledged once
// the follower has applied it), reads it back there, stops the leader, and
// keeps writing once the other two have elected a new one.
//
//	go run ./examples/cluster
package main
