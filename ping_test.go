package fleetdb

import (
	"context"
	"testing"
)

// TestAppendQueryPing: AppendQuery answers ["ping"] (any JSON whitespace
// between its tokens) without the parser, exactly as Query does, and leaves
// anything else that starts like it to the parser.
func TestAppendQueryPing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, req := range []string{`["ping"]`, " [ \"ping\" ] \r\n", "[\t\"ping\"]", `["ping",1]`, `["pingx"]`, `["ping"`, `["ping"]]`, `[ping]`, `["PING"]`} {
		want, werr := db.Query(ctx, []byte(req))
		got, ran, err := db.AppendQuery(ctx, []byte("x:"), []byte(req))
		if !ran {
			t.Fatalf("%q: not run", req)
		}
		if (err == nil) != (werr == nil) || (err == nil && string(got) != "x:"+string(want)) {
			t.Errorf("%q: AppendQuery gives %q, %v; Query %q, %v", req, got, err, want, werr)
		}
		if isPing([]byte(req)) != (werr == nil && string(want) == `"pong"` && req != `["ping",1]`) {
			t.Errorf("%q: isPing %v", req, isPing([]byte(req)))
		}
	}
}
