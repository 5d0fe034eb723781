// Package bench is `fleetdb bench`: it loads a running server from many
// connections for a fixed time, pipelining requests, and reports the
// throughput and a latency histogram of each query type.
//
// An answer counts as done only if it is the one its request calls for:
// [0,1] for an insert, [0,"pong"] for a ping, and for a get [0,[{...}]]
// holding the member "id":K of the id asked for (answer.go). They are
// recognized by their bytes, without validating each as JSON: that was
// 18 % of the generator's CPU per pipelined get, and on a 2-core machine
// the generator's CPU is taken from the server. Any other answer is parsed
// in full: a refusal or failure is an error with the server's message, a
// success with another value an "unexpected answer" error, and a line that
// is not an answer of the protocol ends the connection.
package bench
