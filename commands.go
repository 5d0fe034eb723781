package fleetdb

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fleetdb-go/fleetdb/query"
)

// Command is a user-defined write command (docs/query-language.md): a deterministic Go
// function that reads and changes the database inside one serialized
// write. It is run by ["call", name, arg, ...]; its arguments arrive as
// JSON and its result is marshaled to JSON. If it returns an error or
// panics, none of its changes take effect and the call is refused with
// the message "Command failed: <name>: <error>".
//
// Determinism is the command's duty: the same state and arguments must make
// the same changes on every node and on every replay of the log. Do not
// read clocks, random numbers, files or the network, and do not depend on
// Go map iteration order. Register the same commands, under the same names,
// on every node before it serves.
//
// On a standalone database a call is logged as the writes it made, so a
// command may be registered, changed or dropped at any time: the log
// replays without it. In a cluster, calls are replicated by name and
// arguments and every member runs the command: every member must register
// the same commands, under the same names, before it serves.
type Command func(tx *Tx, args []json.RawMessage) (any, error)

// Register registers a user-defined write command under name, replacing
// any earlier one.
func (db *DB) Register(name string, cmd Command) error {
	if name == "" {
		return errors.New("fleetdb: Register: empty command name")
	}
	if cmd == nil {
		return errors.New("fleetdb: Register: nil command")
	}
	db.cmdMu.Lock()
	defer db.cmdMu.Unlock()
	db.cmds[name] = func(qtx *query.Tx, args []string) ([]byte, error) {
		raw := make([]json.RawMessage, len(args))
		for i, a := range args {
			raw[i] = json.RawMessage(a)
		}
		res, err := cmd(&Tx{tx: qtx}, raw)
		if err != nil {
			return nil, err
		}
		if res == nil {
			return nil, nil
		}
		if b, ok := res.(json.RawMessage); ok {
			return b, nil
		}
		b, err := json.Marshal(res)
		if err != nil {
			return nil, fmt.Errorf("cannot marshal result: %w", err)
		}
		return b, nil
	}
	return nil
}

func (db *DB) command(name string) (query.CommandFunc, bool) {
	db.cmdMu.RLock()
	defer db.cmdMu.RUnlock()
	fn, ok := db.cmds[name]
	return fn, ok
}
