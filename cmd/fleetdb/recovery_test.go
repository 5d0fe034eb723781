package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
)

// TestServeOpensLogWithCalls: a log written by a program that calls its
// own command opens in `fleetdb serve`, which registers no command, and
// check finds it sound (before, serve failed with `call: no command named
// "bump"` and check said ok).
func TestServeOpensLogWithCalls(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.fdb")
	bump := func(tx *fleetdb.Tx, args []json.RawMessage) (any, error) {
		return tx.Query(`["update","c",{"n":` + string(args[0]) + `},{"where":["=","id",1]}]`)
	}
	db, err := fleetdb.Open(fleetdb.Options{Path: path, Commands: map[string]fleetdb.Command{"bump": bump}})
	if err != nil {
		t.Fatal(err)
	}
	db.Query(ctx, []byte(`["insert","c",{"id":1,"n":0}]`))
	for i := 1; i <= 3; i++ {
		if _, err := db.Call(ctx, "bump", i); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	code, out, stderr := runCmd(t, ctx, "check", "--json", path)
	var rep admin.CheckReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.OK || rep.Replay != nil {
		t.Fatalf("check: exit %d\n%s%s", code, out, stderr)
	}
	cfg := defaultServe()
	cfg.file = path
	addr, stop := startServe(t, cfg)
	c, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	recs, err := c.Select(ctx, "c", client.FindOptions{})
	if err != nil || len(recs) != 1 || string(recs[0]) != `{"id":1,"n":3}` {
		t.Fatalf("served: %s %v", recs, err)
	}
	c.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestOldLogWithCallInCLI: a log written before calls were logged as their
// writes cannot be served without its command; serve's refusal and check's
// report name the command and the way out.
func TestOldLogWithCallInCLI(t *testing.T) {
	ctx := context.Background()
	src, err := os.ReadFile("../../testdata/old-call-v1.fdb")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.fdb")
	os.WriteFile(path, src, 0o644)
	code, out, stderr := runCmd(t, ctx, "check", path)
	if code != 1 || !strings.Contains(out, `DOES NOT REPLAY`) || !strings.Contains(out, `"birthday"`) || !strings.Contains(stderr, "Options.Commands") {
		t.Fatalf("check: exit %d\n%s%s", code, out, stderr)
	}
	cfg := defaultServe()
	cfg.file = path
	err = runServe(ctx, cfg, &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), `"birthday"`) || !strings.Contains(err.Error(), "compact") {
		t.Fatalf("serve: %v", err)
	}
}

// TestCheckRepair damages a log written by the server (a flipped byte in a
// middle batch, garbage after the last batch, a torn tail): serve refuses
// the first two naming the offset and `check --repair`; check --repair cuts
// exactly at the damaged batch, keeps exactly the cut bytes in
// FILE.cut-<offset>, reports the batches and records cut, and the server
// then starts on the intact prefix.
func TestCheckRepair(t *testing.T) {
	ctx := context.Background()
	for _, damage := range []string{"corrupt middle", "garbage tail", "torn tail"} {
		t.Run(damage, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.fdb")
			// Without preallocation, so that the file's size is where the log ends.
			db, err := fleetdb.Open(fleetdb.Options{Path: path, LogPreallocate: -1})
			if err != nil {
				t.Fatal(err)
			}
			var ends []int64
			for i := range 10 {
				if _, err := db.Query(ctx, fmt.Appendf(nil, `["insert","t",[{"id":%d},{"id":%d,"x":"%030d"}]]`, 2*i, 2*i+1, i)); err != nil {
					t.Fatal(err)
				}
				st, _ := os.Stat(path)
				ends = append(ends, st.Size())
			}
			db.Close()
			data, _ := os.ReadFile(path)
			var cutAt int64
			var keptWrites, cutBatches int
			switch damage {
			case "corrupt middle":
				data[ends[5]+40] ^= 0x08 // inside the 7th write
				cutAt, keptWrites, cutBatches = ends[5], 6, 4
			case "garbage tail":
				rng := rand.New(rand.NewPCG(1, 2))
				garbage := make([]byte, 37)
				for i := range garbage {
					garbage[i] = byte(rng.Uint32())
				}
				data = append(data, garbage...)
				cutAt, keptWrites, cutBatches = ends[9], 10, 0
			case "torn tail":
				data = data[:ends[9]-5]
				cutAt, keptWrites, cutBatches = ends[8], 9, 1
			}
			os.WriteFile(path, data, 0o644)
			cfg := defaultServe()
			cfg.file = path
			if damage != "torn tail" {
				err := runServe(ctx, cfg, &bytes.Buffer{}, nil)
				want := fmt.Sprintf("offset %d; `fleetdb check --repair %s`", cutAt, path)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("serve on a damaged log: %v\nwant it to say %q", err, want)
				}
			}
			code, out, stderr := runCmd(t, ctx, "check", "--repair", "--json", path)
			var rep admin.CheckReport
			if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
				t.Fatalf("check --repair: exit %d\n%s%s", code, out, stderr)
			}
			r := rep.Repair
			cutFile := fmt.Sprintf("%s.cut-%d", path, cutAt)
			if r == nil || r.CutOffset != cutAt || r.CutBytes != int64(len(data))-cutAt || r.CutFile != cutFile ||
				int(r.CutBatches) != cutBatches || !rep.OK || rep.Records != int64(keptWrites) || rep.Size != cutAt {
				t.Fatalf("report %s", out)
			}
			kept, _ := os.ReadFile(path)
			cut, _ := os.ReadFile(cutFile)
			if !bytes.Equal(kept, data[:cutAt]) || !bytes.Equal(cut, data[cutAt:]) {
				t.Fatalf("kept %d bytes and cut %d, want %d and %d", len(kept), len(cut), cutAt, int64(len(data))-cutAt)
			}
			addr, stop := startServe(t, cfg)
			c, err := client.Dial(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if n, err := c.Count(ctx, "t", nil); err != nil || n != 2*keptWrites {
				t.Fatalf("served after repair: count %d, %v", n, err)
			}
			c.Close()
			stop()
			// The table output of a repair says what was cut and where it is.
			code, out, _ = runCmd(t, ctx, "check", "--repair", path)
			if code != 0 || !strings.Contains(out, "nothing to cut") {
				t.Fatalf("second repair: exit %d\n%s", code, out)
			}
		})
	}
}
