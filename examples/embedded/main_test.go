package main

import (
	"path/filepath"
	"testing"
)

// TestRunTwice runs the example twice on the same log file: the second run
// replays a log holding a call of "birthday", which the program registers
// only after Open (before calls were logged as their writes, the second
// run failed with `call: no command named "birthday"`).
func TestRunTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.fdb")
	for i := 0; i < 2; i++ {
		if err := run(path); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
}

func TestEphemeral(t *testing.T) {
	if err := run(""); err != nil {
		t.Fatal(err)
	}
}
