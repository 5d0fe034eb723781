//go:build !linux

package server

import (
	"errors"
	"net"
)

// loopsSupported: event loops need epoll; elsewhere every connection is
// served on a goroutine, and the functions below are never reached.
const loopsSupported = false

type loop struct{}

func newLoop(*Server) (*loop, error) { return nil, errors.New("server: no epoll") }
func (*loop) run()                   {}
func (*loop) close()                 {}
func (*loop) wakeUp()                {}

func (s *Server) acceptLoop(nc net.Conn, _ []*loop) { s.accept(nc) }
