//go:build linux

package server

// LoopThreadLocked reports whether the first event loop of s keeps its
// thread (loopthread_linux.go), and false if s has no loop yet.
func LoopThreadLocked(s *Server) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.loops) == 0 {
		return false
	}
	return s.loops[0].thread_.locked.Load()
}

// SetLoneWaits sets loneWaits (loopthread_linux.go) for the loops started
// after it, and returns a function that restores it.
func SetLoneWaits(n int) (restore func()) {
	old := loneWaits
	loneWaits = n
	return func() { loneWaits = old }
}
