package writequeue

import (
	"fmt"
	"time"
)

// Defaults applied by New to zero fields of Options.
const (
	DefaultMaxBatch  = 256
	DefaultQueueSize = 4096
)

// Options configure a Queue. The zero value is valid and means the defaults.
type Options struct {
	// MaxBatch is the most requests the writer hands to the Env in one
	// batch. Zero means DefaultMaxBatch.
	MaxBatch int
	// MaxDelay, when positive, makes the writer linger up to this long after
	// it finds fewer than MaxBatch requests queued, so that the batch can
	// grow; it stops lingering as soon as MaxBatch requests are queued or the
	// queue is closed. Zero means take whatever is queued right away: under
	// load batches still grow, because requests pile up while the previous
	// batch is being persisted.
	MaxDelay time.Duration
	// QueueSize bounds the requests queued and not yet taken by the writer
	// (requests canceled while queued count until the writer sweeps them).
	// A Submit that finds the queue full blocks until there is room or its
	// ctx ends. Zero means DefaultQueueSize.
	QueueSize int
}

// Validate reports whether o is usable. Negative values are errors; zero
// values are replaced by defaults in New.
func (o Options) Validate() error {
	if o.MaxBatch < 0 {
		return fmt.Errorf("writequeue: MaxBatch %d is negative", o.MaxBatch)
	}
	if o.MaxDelay < 0 {
		return fmt.Errorf("writequeue: MaxDelay %v is negative", o.MaxDelay)
	}
	if o.QueueSize < 0 {
		return fmt.Errorf("writequeue: QueueSize %d is negative", o.QueueSize)
	}
	return nil
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.MaxBatch == 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.QueueSize == 0 {
		o.QueueSize = DefaultQueueSize
	}
	return o
}
