package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeNotifiesServiceManager: with NOTIFY_SOCKET set (systemd's
// Type=notify), serve sends READY=1 with its address once it is ready and
// STOPPING=1 when it stops, on a socket path and on an abstract name;
// without it nothing is sent and nothing fails.
func TestServeNotifiesServiceManager(t *testing.T) {
	dir, err := os.MkdirTemp("", "fdbn") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, c := range []struct{ kind, name string }{
		{"path", filepath.Join(dir, "notify")},
		{"abstract", fmt.Sprintf("@fleetdb-notify-test-%d", os.Getpid())},
	} {
		name := c.name
		t.Run(c.kind, func(t *testing.T) {
			ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			t.Setenv("NOTIFY_SOCKET", name)
			cfg := defaultServe()
			cfg.ephemeral = true
			addr, stop := startServe(t, cfg)
			if got := readNotice(t, ln); got != "READY=1\nSTATUS=serving on "+addr {
				t.Fatalf("first notice %q", got)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if got := readNotice(t, ln); got != "STOPPING=1" {
				t.Fatalf("second notice %q", got)
			}
		})
	}
	t.Run("unset", func(t *testing.T) {
		t.Setenv("NOTIFY_SOCKET", "")
		if err := sdNotify("READY=1"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("nobody listens", func(t *testing.T) {
		t.Setenv("NOTIFY_SOCKET", filepath.Join(dir, "none"))
		if err := sdNotify("READY=1"); err == nil || !strings.Contains(err.Error(), "NOTIFY_SOCKET "+filepath.Join(dir, "none")) {
			t.Fatalf("err %v", err)
		}
		cfg := defaultServe() // and the server serves anyway
		cfg.ephemeral = true
		_, stop := startServe(t, cfg)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// readNotice returns the next datagram on ln, failing after 10 s.
func readNotice(t *testing.T, ln *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	ln.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := ln.ReadFromUnix(buf)
	if err != nil {
		t.Fatalf("no notice: %v", err)
	}
	return string(buf[:n])
}
