package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
)

// sdNotify tells the service manager about the server's state, when it
// asked to be told: systemd's Type=notify sets NOTIFY_SOCKET to a unix
// datagram socket (a name starting with '@' is in Linux's abstract
// namespace, which package net maps). serve sends READY=1 with its ready
// line, so that `systemctl start` returns, and units ordered after this
// one start, only once the log is replayed (a member: caught up), and
// STOPPING=1 when a graceful stop begins. Without NOTIFY_SOCKET it does
// nothing; a failure is returned for the log, and the server goes on.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("NOTIFY_SOCKET %s: %w", path, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("NOTIFY_SOCKET %s: %w", path, err)
	}
	return nil
}

// notify is sdNotify with its failure logged.
func notify(log *slog.Logger, state string) {
	if err := sdNotify(state); err != nil {
		log.Warn("fleetdb: cannot notify the service manager", "err", err)
	}
}
