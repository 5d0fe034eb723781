package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/server"
)

func openDB(t testing.TB, opts fleetdb.Options) *fleetdb.DB {
	t.Helper()
	db, err := fleetdb.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func write(t testing.TB, db *fleetdb.DB, req string) {
	t.Helper()
	if _, err := db.Query(context.Background(), []byte(req)); err != nil {
		t.Fatalf("%s: %v", req, err)
	}
}

func expect(t testing.TB, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestWatchProtocol follows docs/changefeeds.md line by line over a connection.
func TestWatchProtocol(t *testing.T) {
	db := newDB(t)
	ts := startServer(t, db, server.Config{})
	write(t, db, `["insert","p",[{"id":2,"age":40},{"id":1,"age":20},{"id":3,"age":50}]]`) // position 1
	write(t, db, `["insert","other",{"id":1}]`)                                            // 2

	c := dial(t, ts.addr)
	// info shows the current position.
	if info := c.query(`["info"]`); !strings.Contains(info, `"position":2,`) {
		t.Fatalf("info %s", info)
	}
	// Malformed options change nothing.
	expect(t, c.query(`["watch","p",{"bogus":1}]`), `[1,"Malformed query: watch: unknown option \"bogus\""]`)
	expect(t, c.query(`["watch","p",{"from":-1}]`), `[1,"Malformed query: watch: from must be a non-negative integer, got -1"]`)
	expect(t, c.query(`["watch","p",{"initial":1}]`), `[1,"Malformed query: watch: initial must be true or false, got 1"]`)
	expect(t, c.query(`["watch","p",{"from":3}]`), `[1,"Malformed query: watch: from 3 is beyond the current position 2"]`)
	expect(t, c.query(`["watch","p",{"where":["~","a",1]}]`)[:24], `[1,"Malformed query: wat`)
	expect(t, c.query(`["unwatch"]`), `[1,"Malformed query: the connection is not watching"]`)

	// The first answer, the initial records in id order, ready.
	expect(t, c.query(`["watch","p",{"where":["<","age",45],"initial":true}]`), `[0,{"watching":"p","position":2}]`)
	expect(t, c.recv(), `[0,{"position":2,"op":"initial","new":{"id":1,"age":20}}]`)
	expect(t, c.recv(), `[0,{"position":2,"op":"initial","new":{"id":2,"age":40}}]`)
	expect(t, c.recv(), `[0,{"position":2,"op":"ready"}]`)

	// Any other query is refused while watching.
	expect(t, c.query(`["ping"]`), `[1,"Malformed query: the connection is watching; send [\"unwatch\"] first"]`)
	expect(t, c.query(`["watch","p"]`), `[1,"Malformed query: the connection is watching; send [\"unwatch\"] first"]`)

	write(t, db, `["insert","p",{"id":4,"age":10}]`)                                                                    // 3: insert
	write(t, db, `["insert","p",{"id":5,"age":99}]`)                                                                    // 4: not matching: nothing
	write(t, db, `["update","p",{"age":60},{"where":["=","id",1]}]`)                                                    // 5: stops matching
	write(t, db, `["update","p",{"age":30},{"where":["=","id",3]}]`)                                                    // 6: starts matching
	write(t, db, `["put","p",{"id":4,"age":11}]`)                                                                       // 7: put of an existing id
	write(t, db, `["create-index","p","age"]`)                                                                          // 8: nothing
	write(t, db, `["insert","other",{"id":2}]`)                                                                         // 9: another collection
	write(t, db, `["delete","p",{"where":["=","id",2]}]`)                                                               // 10: delete
	write(t, db, `["multi-write",[["put","p",{"id":6,"age":1}],["drop-collection","p"],["put","p",{"id":7,"age":2}]]]`) // 11
	write(t, db, `["clear"]`)                                                                                           // 12
	for _, want := range []string{
		`[0,{"position":3,"op":"insert","id":4,"old":null,"new":{"id":4,"age":10}}]`,
		`[0,{"position":5,"op":"update","id":1,"old":{"id":1,"age":20},"new":null}]`,
		`[0,{"position":6,"op":"update","id":3,"old":null,"new":{"id":3,"age":30}}]`,
		`[0,{"position":7,"op":"update","id":4,"old":{"id":4,"age":10},"new":{"id":4,"age":11}}]`,
		`[0,{"position":10,"op":"delete","id":2,"old":{"id":2,"age":40},"new":null}]`,
		`[0,{"position":11,"op":"drop"}]`,
		`[0,{"position":11,"op":"insert","id":7,"old":null,"new":{"id":7,"age":2}}]`,
		`[0,{"position":12,"op":"drop"}]`,
	} {
		expect(t, c.recv(), want)
	}
	// unwatch: "unwatched" follows the last event sent; ordinary queries again.
	expect(t, c.query(`["unwatch"]`), `[0,"unwatched"]`)
	expect(t, c.query(`["ping"]`), `[0,"pong"]`)

	// Resume from an earlier position: exactly the writes after it.
	expect(t, c.query(`["watch","p",{"from":9}]`), `[0,{"watching":"p","position":9}]`)
	expect(t, c.recv(), `[0,{"position":10,"op":"delete","id":2,"old":{"id":2,"age":40},"new":null}]`)
	// Initial with from: the records as they were at that position.
	c2 := dial(t, ts.addr)
	expect(t, c2.query(`["watch","p",{"from":6,"initial":true}]`), `[0,{"watching":"p","position":6}]`)
	for _, want := range []string{
		`[0,{"position":6,"op":"initial","new":{"id":1,"age":60}}]`,
		`[0,{"position":6,"op":"initial","new":{"id":2,"age":40}}]`,
		`[0,{"position":6,"op":"initial","new":{"id":3,"age":30}}]`,
		`[0,{"position":6,"op":"initial","new":{"id":4,"age":10}}]`,
		`[0,{"position":6,"op":"initial","new":{"id":5,"age":99}}]`,
		`[0,{"position":6,"op":"ready"}]`,
		`[0,{"position":7,"op":"update","id":4,"old":{"id":4,"age":10},"new":{"id":4,"age":11}}]`,
	} {
		expect(t, c2.recv(), want)
	}
	// Pipelined: the answers before the watch come first, the refusal and
	// the unwatch after the events already sent.
	c3 := dial(t, ts.addr)
	c3.send("[\"ping\"]\r\n[\"watch\",\"q\"]\r\n[\"count\",\"q\"]\r\n[\"unwatch\"]\r\n[\"ping\"]\r\n")
	for _, want := range []string{`[0,"pong"]`, `[0,{"watching":"q","position":12}]`, `[1,"Malformed query: the connection is watching; send [\"unwatch\"] first"]`, `[0,"unwatched"]`, `[0,"pong"]`} {
		expect(t, c3.recv(), want)
	}
}

// TestWatchHistoryBound: a from older than the history kept is refused.
func TestWatchHistoryBound(t *testing.T) {
	db := openDB(t, fleetdb.Options{WatchHistory: 1000})
	ts := startServer(t, db, server.Config{})
	for i := 1; i <= 30; i++ {
		write(t, db, fmt.Sprintf(`["insert","h",{"id":%d,"pad":"%s"}]`, i, strings.Repeat("x", 50)))
	}
	c := dial(t, ts.addr)
	got := c.query(`["watch","h",{"from":1}]`)
	m := regexp.MustCompile(`^\[1,"History compacted: oldest position is (\d+)"\]$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatal(got)
	}
	expect(t, c.query(`["watch","h",{"from":`+m[1]+`}]`), `[0,{"watching":"h","position":`+m[1]+`}]`)
	var n int
	fmt.Sscan(m[1], &n)
	expect(t, c.recv(), fmt.Sprintf(`[0,{"position":%d,"op":"insert","id":%d,"old":null,"new":{"id":%d,"pad":"%s"}}]`, n+1, n+1, n+1, strings.Repeat("x", 50)))
}

// TestWatchSlowReader: a reader that does not read ends its feed with
// "Watch fell behind: resume from N" while the writers go on at full speed;
// the connection then takes ordinary queries, and resuming from N gives
// the rest with no gap.
func TestWatchSlowReader(t *testing.T) {
	db := openDB(t, fleetdb.Options{WatchBuffer: 64 << 10, WatchHistory: 1 << 30})
	m := server.NewMetrics()
	ts := startServer(t, db, server.Config{Metrics: m})
	c := dial(t, ts.addr)
	expect(t, c.query(`["watch","s"]`), `[0,{"watching":"s","position":0}]`)
	pad := strings.Repeat("y", 10000)
	const n = 3000 // 30 MB: more than the socket buffers and the feed's
	start := time.Now()
	for i := 1; i <= n; i++ {
		write(t, db, fmt.Sprintf(`["insert","s",{"id":%d,"pad":"%s"}]`, i, pad))
	}
	t.Logf("%d writes in %v with a stalled watcher", n, time.Since(start))
	last := 0
	var line string
	for {
		line = c.recv()
		if strings.HasPrefix(line, "[2,") {
			break
		}
		var p int
		fmt.Sscanf(line, `[0,{"position":%d`, &p)
		if p != last+1 {
			t.Fatalf("event at %d after %d", p, last)
		}
		last = p
	}
	expect(t, line, fmt.Sprintf(`[2,"Watch fell behind: resume from %d"]`, last))
	if last >= n {
		t.Fatalf("the feed did not fall behind (%d events)", last)
	}
	expect(t, c.query(`["count","s"]`), fmt.Sprintf("[0,%d]", n))
	expect(t, c.query(fmt.Sprintf(`["watch","s",{"from":%d}]`, last)), fmt.Sprintf(`[0,{"watching":"s","position":%d}]`, last))
	for p := last + 1; p <= n; p++ {
		line := c.recv()
		if !strings.HasPrefix(line, fmt.Sprintf(`[0,{"position":%d,"op":"insert","id":%d,`, p, p)) {
			t.Fatalf("resumed: %.80s, want position %d", line, p)
		}
	}
	expect(t, c.query(`["unwatch"]`), `[0,"unwatched"]`)

	web := httptest.NewServer(ts.HTTPHandler())
	defer web.Close()
	_, body := get(t, web.URL+"/metrics")
	for _, want := range []string{"fleetdb_server_watch_behind_total 1", "fleetdb_server_watch_feeds 0", "fleetdb_db_watch_feeds_behind_total 1", "fleetdb_db_watch_feeds_open 0"} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !regexp.MustCompile(`fleetdb_server_watch_events_total \d+`).MatchString(body) {
		t.Error("no events metric")
	}
}

// TestSnapshotProtocol follows docs/changefeeds.md line by line.
func TestSnapshotProtocol(t *testing.T) {
	db := openDB(t, fleetdb.Options{MaxSnapshots: 2})
	ts := startServer(t, db, server.Config{})
	c := dial(t, ts.addr)
	c.query(`["insert","c",[{"id":1,"a":1},{"id":2,"a":2},{"id":3,"a":3},{"id":"x","a":4}]]`)
	c.query(`["create-index","c","a"]`)
	open := c.query(`["snapshot-open",30]`)
	m := regexp.MustCompile(`^\[0,\{"snapshot":"([0-9a-f]+)","position":2\}\]$`).FindStringSubmatch(open)
	if m == nil {
		t.Fatal(open)
	}
	id := m[1]
	c.query(`["delete","c",{"where":["=","id",1]}]`)
	c.query(`["insert","d",{"id":1}]`)
	read := func(q string) string { return c.query(`["snapshot-read","` + id + `",` + q + `]`) }
	expect(t, read(`["select","c",{"where":[">","id",1],"limit":2}]`), `[0,[{"id":2,"a":2},{"id":3,"a":3}]]`)
	expect(t, read(`["count","c"]`), `[0,4]`)
	expect(t, read(`["list-collections"]`), `[0,["c"]]`)
	expect(t, read(`["list-indexes","c"]`), `[0,["a"]]`)
	expect(t, read(`["multi-read",[["count","c"],["count","d"]]]`), `[0,[4,0]]`)
	// Paging by id is served by the record map.
	expect(t, read(`["explain",["select","c",{"where":[">","id",1],"order":["id","asc"],"limit":2}]]`), `[0,["limit",2,["index-range",["c","id","left-right",1,false,"pos-inf",false]]]]`)
	expect(t, c.query(`["count","c"]`), `[0,3]`)
	// Refusals.
	expect(t, read(`["insert","c",{"id":9}]`), `[1,"Malformed query: snapshot-read: insert is not a read of the database (select, count, explain, list-collections, list-indexes or multi-read)"]`)
	expect(t, c.query(`["snapshot-read","nope",["count","c"]]`), `[1,"Unknown snapshot: nope"]`)
	expect(t, c.query(`["snapshot-open",0]`), `[1,"Malformed query: snapshot-open: ttl must be an integer number of seconds from 1 to 3600, got 0"]`)
	expect(t, c.query(`["snapshot-open",3601]`), `[1,"Malformed query: snapshot-open: ttl must be an integer number of seconds from 1 to 3600, got 3601"]`)
	// The bound, and info.
	if got := c.query(`["snapshot-open"]`); !strings.HasPrefix(got, `[0,{"snapshot":"`) {
		t.Fatal(got)
	}
	expect(t, c.query(`["snapshot-open"]`), `[2,"too many open snapshots"]`)
	if info := c.query(`["info"]`); !strings.Contains(info, `"open-snapshots":2`) {
		t.Fatal(info)
	}
	expect(t, c.query(`["snapshot-close","`+id+`"]`), `[0,true]`)
	expect(t, c.query(`["snapshot-close","`+id+`"]`), `[0,false]`)
	expect(t, read(`["count","c"]`), `[1,"Unknown snapshot: `+id+`"]`)
	if info := c.query(`["info"]`); !strings.Contains(info, `"open-snapshots":1`) {
		t.Fatal(info)
	}
}

// *fleetdb.DB offers watch to the server.
var _ server.Watcher = (*fleetdb.DB)(nil)

// TestWatchGoroutineConns runs the watch protocol test on connections
// served by goroutines (TLS listeners, systems without epoll) instead of the
// event loop.
func TestWatchGoroutineConns(t *testing.T) {
	t.Setenv(server.EnvEventLoops, "0")
	TestWatchProtocol(t)
	TestWatchSlowReader(t)
}
