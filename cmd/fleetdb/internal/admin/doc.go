// Package admin holds the fleetdb commands that ask a running server one
// thing and print its answer: ping, info, collections, drop-collection,
// indexes, query, explain, compact and cluster; and check, which reads a
// log file offline. Each command is built by its New…Cmd function, writes
// its result to stdout (a table on a terminal, JSON otherwise) and returns
// an error that cliutil.ExitStatus maps to the exit status.
package admin
