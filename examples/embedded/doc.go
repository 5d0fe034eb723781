// Command embedded shows FleetDB for Go inside a program: open a database,
// write and read with JSON queries and with the typed API, take a snapshot,
// explain a plan, run an ad-hoc transaction (Update/View), and register a
// user-defined write command.
//
//	go run ./examples/embedded            # ephemeral
//	go run ./examples/embedded -f app.fdb # with a log file; run it again
package main
