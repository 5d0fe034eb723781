package fleetdb

import (
	"runtime/debug"
	"sync"
)

// replayGC shares Options.ReplayGCPercent between the Opens replaying at
// the same time: the first sets the collector's percentage, the last
// restores the one it found, so that concurrent Opens never leave the
// process with the replay's setting.
var replayGC struct {
	mu   sync.Mutex
	n    int // Opens replaying with the setting
	prev int // the percentage before the first of them
}

// tuneReplayGC sets the garbage collector's percentage for a replay and
// returns what restores it; percent 0 changes nothing.
func tuneReplayGC(percent int) (restore func()) {
	if percent <= 0 {
		return func() {}
	}
	replayGC.mu.Lock()
	defer replayGC.mu.Unlock()
	if replayGC.n == 0 {
		replayGC.prev = debug.SetGCPercent(percent)
	}
	replayGC.n++
	return func() {
		replayGC.mu.Lock()
		defer replayGC.mu.Unlock()
		replayGC.n--
		if replayGC.n == 0 {
			debug.SetGCPercent(replayGC.prev)
		}
	}
}
