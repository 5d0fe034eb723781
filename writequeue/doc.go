// Package writequeue is the database's single writer with group commit.
//
// # What it owns
//
// One goroutine, the writer, and the queue of requests waiting for it. Callers
// on many goroutines Submit requests; the writer takes every request queued
// (up to Options.MaxBatch) as one batch, applies the batch in submission order
// through an injected Env, makes it durable with one Env.Persist (one fsync
// for the whole batch: group commit), publishes the new state, and only then
// answers every caller of the batch. While one batch is being persisted the
// next one accumulates, so batches grow by themselves under load. Before
// taking a batch the writer yields the processor once (runtime.Gosched), so
// that callers woken by the previous batch can queue again and join; without
// that a fast Env would run batches of one. Options.MaxDelay adds an
// explicit linger on top.
//
// The package is mechanism only: it knows nothing about queries, values or
// logs. Requests are opaque values of a type parameter R (usually a pointer to
// the database's write request), and everything they mean is up to the Env.
//
// # Concurrency contract
//
//   - Submit, Stats and Close may be called from any goroutine, concurrently.
//   - Env methods are called one at a time, in the order Apply → Persist →
//     Publish, or Apply [→ Persist] → Abort when a step fails, by the writer
//     goroutine or by a caller of TryCommit, which commits its batch on its
//     own goroutine when the writer is idle and nothing is queued (the writer
//     waits for it). The Env's working state therefore needs no lock;
//     readers see the state only through what Publish stores.
//   - The writer goroutine is started by New and joined by Close.
//
// # Life of a request
//
//	caller goroutine                       writer goroutine
//	────────────────                       ────────────────
//	Submit(ctx, r)
//	  queue full? wait for room or ctx
//	  append to pending ──── wake ────►   take up to MaxBatch from pending
//	  (state: queued)                     (linger up to MaxDelay if small)
//	                                      CAS queued → taken, per request;
//	  ctx ends? CAS queued → canceled     the canceled ones are dropped
//	    won:  return ctx.Err()            Apply(batch)
//	    lost: keep waiting                Persist(batch)   one fsync
//	                                      Publish(batch)   one atomic store
//	  receive on done  ◄──── answer ──    send nil (or the batch's error)
//	  return                              to every caller of the batch
//
// # Cancellation
//
// A request's state moves from queued to either taken (by the writer) or
// canceled (by its caller whose ctx ended) with one compare-and-swap, so
// exactly one of them wins. If the caller wins, Submit returns ctx.Err() and
// the request is never applied. If the writer wins, the request is part of a
// batch that cannot be un-applied, so Submit waits for the batch to finish
// and returns its outcome even though ctx has ended. A Submit whose ctx ends
// while it waits for room in a full queue returns ctx.Err() without queueing.
//
// # Failures
//
// Errors come in three sizes:
//   - one request fails (say, a unique constraint): Apply records that inside
//     the request, the rest of the batch goes on, Submit returns nil;
//   - a batch fails (Apply or Persist returns an error): Abort is called,
//     nothing of the batch is published, every caller of the batch gets that
//     error, and the writer goes on with the next batch. An Env whose log is
//     broken for good makes later batches fail too, by returning its sticky
//     error from Persist (or Apply);
//   - the queue fails: an Env method panicked. The writer recovers the panic,
//     calls Abort (unless Abort was the one panicking), answers the batch with
//     a *PanicError wrapping ErrFailed, and from then on answers every queued
//     and every new request with that same error without calling the Env.
//     Close returns it. No caller is left waiting.
package writequeue
