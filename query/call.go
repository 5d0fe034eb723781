package query

import (
	"fmt"
	"github.com/tidwall/gjson"

	"github.com/fleetdb-go/fleetdb/dbvalue"
)

// CommandFunc is a user-defined write command (docs/query-language.md). It runs inside one
// serialized write with a Tx over the current state, receives its arguments
// as compact JSON, and returns its result as JSON (nil means null). It must
// be deterministic: the same state and arguments must give the same
// changes and result on every node and on every replay of the log, so it
// must not read clocks, randomness, the network or map iteration order.
// If it returns an error or panics, none of its changes take effect.
type CommandFunc func(tx *Tx, args []string) ([]byte, error)

// Tx is a user command's view of the database inside its write.
type Tx struct {
	txn *dbvalue.Txn
	env *Env
}

// Run parses and runs a query (a read or a write) inside the command's
// write and returns its JSON result.
func (t *Tx) Run(req string) ([]byte, error) {
	q, err := ParseString(req)
	if err != nil {
		return nil, err
	}
	fx := effectsOf(t.env)
	if fx == nil || !q.IsWrite() || answeredAbove(q) || UsesCommand(q) {
		return t.RunQuery(q)
	}
	// A write given as text is its own effect: replayed on the same state
	// it makes the same changes (Apply is deterministic), and it is usually
	// much shorter than the records it changes.
	env := *t.env
	env.Effects = nil
	out, err := Apply(nil, t.txn, q, &env)
	if err == nil {
		fx.qs = append(fx.qs, req)
	}
	return out, err
}

// RunQuery runs a parsed query inside the command's write.
func (t *Tx) RunQuery(q Query) ([]byte, error) {
	if answeredAbove(q) {
		return nil, malformed("%s is not allowed inside a command", q.Name())
	}
	return Apply(nil, t.txn, q, t.env)
}

// View returns the state as the command sees it now. It is valid only
// during the command and must not be kept.
func (t *Tx) View() *dbvalue.Value { return t.txn.View() }

func applyCall(dst []byte, txn *dbvalue.Txn, q Call, env *Env) (out []byte, err error) {
	var fn CommandFunc
	ok := false
	if env != nil && env.Command != nil {
		fn, ok = env.Command(q.Command)
	}
	if !ok {
		return nil, malformed("call: no command named %s", quoteJSON(q.Command))
	}
	sp, fx := txn.Savepoint(), effectsOf(env)
	mark := fx.mark()
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Kind: KindCommand, Msg: fmt.Sprintf("Command failed: %s: panic: %v", q.Command, p)}
		}
		if err != nil {
			txn.Rollback(sp)
			fx.rollback(mark)
			out = nil
		}
	}()
	res, err := fn(&Tx{txn: txn, env: env}, q.Args)
	if err != nil {
		if _, isQuery := err.(*Error); isQuery {
			return nil, err
		}
		return nil, &Error{Kind: KindCommand, Msg: "Command failed: " + q.Command + ": " + err.Error(), Err: err}
	}
	if res == nil {
		return append(dst, "null"...), nil
	}
	if !gjson.ValidBytes(res) {
		return nil, &Error{Kind: KindCommand, Msg: "Command failed: " + q.Command + ": result is not valid JSON"}
	}
	return append(dst, res...), nil
}

// Transact runs fn as one write on txn, all or nothing: the queries fn runs
// through its Tx see each other's changes, and if fn returns an error or
// panics, txn is returned to its state before (a panic becomes an error).
// It is the embedding API's ad-hoc transaction (docs/architecture.md); with
// env.Effects set its changes are collected for the log like a call's.
func Transact(txn *dbvalue.Txn, env *Env, fn func(*Tx) error) (err error) {
	sp, fx := txn.Savepoint(), effectsOf(env)
	mark := fx.mark()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("query: transaction panicked: %v", p)
		}
		if err != nil {
			txn.Rollback(sp)
			fx.rollback(mark)
		}
	}()
	return fn(&Tx{txn: txn, env: env})
}
