package server

import (
	"net"
	"os"
	"runtime"
	"strconv"
)

// EnvEventLoops overrides the number of event loops: "0" serves every
// connection on a goroutine of its own (the way of systems without epoll),
// a positive number sets how many loops share the connections. Meant for
// comparisons; the default suits the machine.
const EnvEventLoops = "FLEETDB_EVENT_LOOPS"

// EnvLoopNice sets Config.LoopNice when the Config leaves it 0: a nice
// value for the event loops' threads. Meant for comparisons run by scripts
// that start `fleetdb serve` without the flag.
const EnvLoopNice = "FLEETDB_LOOP_NICE"

// The range of nice values.
const (
	minNice = -20
	maxNice = 19
)

// loopNice is the nice value the loops set on their threads (0: none).
func loopNice(cfg int) int {
	if cfg != 0 {
		return cfg
	}
	if v, ok := os.LookupEnv(EnvLoopNice); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= minNice && n <= maxNice {
			return n
		}
	}
	return 0
}

// defaultLoops is how many event loops serve the connections: one per two
// processors, as a loop leaves the other processor to the queries run on
// goroutines (writes) and to the network stack.
func defaultLoops() int {
	if v, ok := os.LookupEnv(EnvEventLoops); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return max(1, runtime.GOMAXPROCS(0)/2)
}

// eventLoops returns the loops that serve the connections of ln, starting
// them at the first call, or nil when ln's connections are served on
// goroutines: a listener that is not plain TCP (TLS wraps its connections,
// which then need a goroutine for the handshake and the record layer), no
// epoll, loops turned off, or they could not be created.
func (s *Server) eventLoops(ln net.Listener) []*loop {
	if _, ok := ln.(*net.TCPListener); !ok || !loopsSupported || s.numLoops == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return nil
	}
	if s.loops == nil {
		loops := make([]*loop, 0, s.numLoops)
		for range s.numLoops {
			l, err := newLoop(s)
			if err != nil {
				s.log.Warn("server: no event loop; serving connections on goroutines", "err", err)
				for _, l := range loops {
					l.close()
				}
				s.numLoops = 0
				return nil
			}
			loops = append(loops, l)
		}
		for _, l := range loops {
			s.wg.Add(1)
			go l.run()
		}
		s.loops = loops
	}
	return s.loops
}
