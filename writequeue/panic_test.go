package writequeue

import (
	"context"
	"errors"
	"testing"
)

// TestPanicFailsQueue: a panic in any Env method fails its batch with a
// *PanicError, answers every queued request, refuses later ones, and never
// leaves a caller waiting.
func TestPanicFailsQueue(t *testing.T) {
	for _, method := range []string{"Apply", "Persist", "Publish", "Abort"} {
		t.Run(method, func(t *testing.T) {
			env := newFakeEnv(t)
			env.gate = make(chan struct{})
			env.started = make(chan struct{}, 1)
			env.panicIn, env.panicID = method, 2
			if method == "Abort" {
				env.persistErr = func(call int) error {
					if call == 2 {
						return errDisk
					}
					return nil
				}
			}
			// One request per batch: [1] succeeds, [2] panics, [3] is
			// queued behind it.
			q := newQueue(t, env, Options{MaxBatch: 1})
			_, wait := queueBehind(t, q, env, 1, 2, 3)
			close(env.gate)
			errs := wait()

			if errs[0] != nil {
				t.Fatalf("request before the panic: %v", errs[0])
			}
			var perr *PanicError
			if !errors.As(errs[1], &perr) || perr.Method != method || !errors.Is(errs[1], ErrFailed) {
				t.Fatalf("panicking batch: %v, want a *PanicError in %s wrapping ErrFailed", errs[1], method)
			}
			if len(perr.Stack) == 0 {
				t.Errorf("PanicError without a stack")
			}
			if errs[2] != errs[1] {
				t.Errorf("request queued behind: %v, want %v", errs[2], errs[1])
			}
			if err := q.Submit(context.Background(), &fakeReq{id: 4}); err != errs[1] {
				t.Errorf("Submit after the failure: %v, want %v", err, errs[1])
			}
			aborts := env.abortErrs()
			switch method {
			case "Abort":
				// The fake records an Abort only when it returns, and the
				// queue does not call Abort again after Abort panicked.
				if len(aborts) != 0 {
					t.Errorf("Abort calls %v, want none completed", aborts)
				}
			default:
				if len(aborts) != 1 || aborts[0] != errs[1] {
					t.Errorf("Abort calls %v, want one with the *PanicError", aborts)
				}
			}
			if err := q.Close(); err != errs[1] {
				t.Errorf("Close = %v, want %v", err, errs[1])
			}
			if got := env.published(); len(got) != 1 || got[0] != 1 {
				t.Errorf("published %v, want [1]", got)
			}
			st := q.Stats()
			if st.FailedBatches != 1 || st.Rejected != 1 || st.Batches != 2 {
				t.Errorf("Stats %+v: want 2 batches, 1 failed, 1 rejected", st)
			}
		})
	}
}
