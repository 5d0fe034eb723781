package writequeue

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by Submit once Close has been called. A request that
// gets ErrClosed was never queued and is never applied.
var ErrClosed = errors.New("writequeue: closed")

// ErrFull is returned by SubmitAsync when the queue has no room: the
// request was not queued (Submit would have waited for room).
var ErrFull = errors.New("writequeue: full")

// ErrFailed marks a queue that is broken for good: a method of the Env
// panicked. The batch that was running fails with a *PanicError that wraps
// ErrFailed, and so does every request queued behind it and every later
// Submit, until Close. Test with errors.Is(err, ErrFailed).
var ErrFailed = errors.New("writequeue: failed")

// PanicError is the error a queue fails with when a method of its Env panics.
// It wraps ErrFailed and, when the panic value is itself an error, that error
// too.
type PanicError struct {
	// Method is the Env method that panicked: "Apply", "Persist", "Publish"
	// or "Abort".
	Method string
	// Value is what the method panicked with.
	Value any
	// Stack is the writer goroutine's stack at the time of the panic.
	Stack []byte
}

// Error returns "writequeue: failed: panic in Env.<Method>: <Value>".
func (e *PanicError) Error() string {
	return fmt.Sprintf("%v: panic in Env.%s: %v", ErrFailed, e.Method, e.Value)
}

// Unwrap returns ErrFailed, plus the panic value when it is an error.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrFailed, err}
	}
	return []error{ErrFailed}
}
