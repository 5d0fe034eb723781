// Package bench is `fleetdb bench`: it loads a running server from many
// connections for a fixed time, pipelining requests, and reports the
// throughput and a latency histogram of each query type.
package bench
