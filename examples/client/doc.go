// Command client shows the Go client of a FleetDB server: connect (with a
// password if the server has one), write and read with the typed helpers,
// send any query as JSON, pipeline many queries in one round trip, and tell
// refused queries from failed ones.
//
//	go run ./cmd/fleetdb serve -e &         # a server in memory on 127.0.0.1:3400
//	go run ./examples/client                # this program
//	go run ./examples/client -addr 127.0.0.1:3401 -x s3cret
package main
