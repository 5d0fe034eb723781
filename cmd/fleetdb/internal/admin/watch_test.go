package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
)

// watchUntil runs `fleetdb watch args...` until stdout has n lines, then
// interrupts it (Ctrl-C) and returns its exit status and output.
func watchUntil(t *testing.T, tty bool, n int, during func(), args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &clitest.TTYBuffer{TTY: tty}
	var stderr clitest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- clitest.RunIO(ctx, commands, nil, stdout, &stderr, append([]string{"watch"}, args...)...)
	}()
	deadline := time.Now().Add(10 * time.Second)
	if during != nil {
		// Once the feed is open (its first line is out), make the changes.
		for strings.Count(stdout.String(), "\n") == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		during()
	}
	for strings.Count(stdout.String(), "\n") < n {
		select {
		case code := <-done:
			t.Fatalf("watch ended with %d: %s %s", code, stdout.String(), stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %q after 10 s (stderr %q)", stdout.String(), stderr.String())
		}
	}
	cancel()
	return <-done, stdout.String(), stderr.String()
}

func TestWatchCmd(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.MustQuery(t, c, `["insert","w",[{"id":1,"age":20},{"id":2,"age":50}]]`)

	// Piped: JSON lines, the initial records, ready, then the changes.
	code, out, _ := watchUntil(t, false, 3, func() {
		clitest.MustQuery(t, c, `["update","w",{"age":25},{"where":["=","id",1]}]`)
	}, "w", "--port", port, "--where", `["<","age",30]`, "--initial")
	want := `{"position":1,"op":"initial","new":{"id":1,"age":20}}
{"position":1,"op":"ready"}
{"position":2,"op":"update","id":1,"old":{"id":1,"age":20},"new":{"id":1,"age":25}}
`
	if code != 0 || out != want {
		t.Fatalf("exit %d, output\n%s\nwant\n%s", code, out, want)
	}

	// On a terminal: a readable line per event; --from resumes.
	code, out, _ = watchUntil(t, true, 1, nil, "w", "--port", port, "--from", "1")
	if code != 0 || out != "2        update  id=1 {\"id\":1,\"age\":20} → {\"id\":1,\"age\":25}\n" {
		t.Fatalf("exit %d, output %q", code, out)
	}

	// Refusals keep their exit status (3: refused).
	code, _, stderr := runCmd(t, context.Background(), "watch", "w", "--port", port, "--from", "99")
	if code != 3 || !strings.Contains(stderr, "beyond the current position") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCmd(t, context.Background(), "watch", "w", "--port", port, "--where", "[oops")
	if code != 2 || !strings.Contains(stderr, "not valid JSON") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
