package replication

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
)

// TestFSMApplyBatch: one ApplyBatch applies every write of every entry in
// order into one published value with Seq = the last index; refused writes
// get their *query.Error and leave the rest alone; undecodable entries are
// answered with an error and skipped; the results survive the forwarding
// encoding.
func TestFSMApplyBatch(t *testing.T) {
	var published []*dbvalue.Value
	f := newFSM(&query.Env{}, func(v *dbvalue.Value) { published = append(published, v) }, slog.New(slog.DiscardHandler))
	w1 := appendWrites(nil, [][]byte{[]byte(`["insert","t",{"id":1}]`), []byte(`["insert","t",{"id":1}]`)})
	w2 := appendWrites(nil, [][]byte{[]byte(`["count","t"]`), []byte(`["put","t",{"id":2}]`), []byte(`not json`)})
	logs := []*raft.Log{
		{Index: 5, Term: 2, Type: raft.LogCommand, Data: w1},
		{Index: 6, Term: 2, Type: raft.LogConfiguration, Data: []byte("x")},
		{Index: 7, Term: 3, Type: raft.LogCommand, Data: appendMember(nil, "n1", "127.0.0.1:3400")},
		{Index: 8, Term: 3, Type: raft.LogCommand, Data: []byte{'Z'}},
		{Index: 9, Term: 3, Type: raft.LogCommand, Data: w2},
		{Index: 10, Term: 3, Type: raft.LogCommand, Data: []byte{entryWrites, 5}},
	}
	res := f.ApplyBatch(logs)
	if len(published) != 2 || published[1].Seq != 10 || f.progress.index.Load() != 10 || f.progress.term.Load() != 3 {
		t.Fatalf("published %d values, seq %d, progress %d/%d", len(published), published[len(published)-1].Seq, f.progress.index.Load(), f.progress.term.Load())
	}
	r1 := res[0].(*entryResult)
	if string(r1.outs[0]) != "1" || r1.errs[0] != nil || !errors.Is(r1.errs[1], query.ErrRefused) {
		t.Fatalf("entry 5: %q %v", r1.outs, r1.errs)
	}
	if res[1] != nil || res[2] != nil {
		t.Fatalf("configuration/member entries answered %v %v", res[1], res[2])
	}
	if _, ok := res[3].(error); !ok {
		t.Fatalf("unknown entry type answered %v", res[3])
	}
	r2 := res[4].(*entryResult)
	var qe *query.Error
	// Entries are parsed as trusted (validated where they were accepted):
	// text that is not a query is still refused, as malformed.
	if !errors.As(r2.errs[0], &qe) || r2.errs[1] != nil || string(r2.outs[1]) != "1" || !errors.As(r2.errs[2], &qe) || qe.Kind != query.KindMalformedQuery {
		t.Fatalf("entry 9: %q %v", r2.outs, r2.errs)
	}
	if _, ok := res[5].(error); !ok {
		t.Fatalf("truncated entry answered %v", res[5])
	}
	if got := f.clientAddr("n1"); got != "127.0.0.1:3400" {
		t.Fatalf("member n1 = %q", got)
	}
	if got := string(must(query.Execute(nil, published[1], mustParse(t, `["count","t"]`), nil))); got != "2" {
		t.Fatalf("count = %s", got)
	}
	index, back, err := decodeResult(appendResult(nil, 9, r2))
	if err != nil || index != 9 || string(back.outs[1]) != "1" || back.errs[2].Error() != r2.errs[2].Error() {
		t.Fatalf("result round trip: %d %q %v %v", index, back.outs, back.errs, err)
	}
	if !errors.As(back.errs[2], &qe) || qe.Kind != query.KindMalformedQuery {
		t.Fatalf("refusal kind lost: %v", back.errs[2])
	}
}
