package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/client"
)

// TestSecretFiles: --password-file and --cluster-secret-file read the
// secret from the file's first line (one final line ending dropped); a
// missing, empty, multi-line or oversized file, or a secret given both on
// the command line and in a file, is refused with a message that names
// the flag; a file other users may read is used with a warning.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name     string
		cfg      func() serveConfig
		password string // wanted on success
		secret   string
		err      string // wanted in the error, "" for success
		warn     bool
	}{
		{"plain", func() serveConfig { return serveConfig{passwordFile: file("a", "s3cret", 0o600)} }, "s3cret", "", "", false},
		{"newline", func() serveConfig { return serveConfig{passwordFile: file("b", "s3cret\n", 0o600)} }, "s3cret", "", "", false},
		{"crlf", func() serveConfig { return serveConfig{passwordFile: file("c", "s3cret\r\n", 0o400)} }, "s3cret", "", "", false},
		{"spaces kept", func() serveConfig { return serveConfig{passwordFile: file("d", " two words \n", 0o600)} }, " two words ", "", "", false},
		{"readable by others", func() serveConfig { return serveConfig{passwordFile: file("e", "s3cret\n", 0o644)} }, "s3cret", "", "", true},
		{"cluster secret", func() serveConfig {
			return serveConfig{password: "pw", cluster: clusterFlags{clusterSecretFile: file("f", "peers\n", 0o600)}}
		}, "pw", "peers", "", false},
		{"missing", func() serveConfig { return serveConfig{passwordFile: filepath.Join(dir, "none")} }, "", "", "--password-file: open " + filepath.Join(dir, "none"), false},
		{"empty", func() serveConfig { return serveConfig{passwordFile: file("g", "\n", 0o600)} }, "", "", "the file is empty", false},
		{"two lines", func() serveConfig { return serveConfig{passwordFile: file("h", "one\ntwo\n", 0o600)} }, "", "", "more than one line", false},
		{"too long", func() serveConfig { return serveConfig{passwordFile: file("i", strings.Repeat("x", 5000), 0o600)} }, "", "", "longer than 4096 bytes", false},
		{"both ways", func() serveConfig { return serveConfig{password: "pw", passwordFile: file("j", "s3cret", 0o600)} }, "", "", "-x and --password-file: give the secret one way", false},
		{"both ways, cluster", func() serveConfig {
			return serveConfig{cluster: clusterFlags{clusterSecret: "x", clusterSecretFile: file("k", "peers", 0o600)}}
		}, "", "", "--cluster-secret and --cluster-secret-file: give the secret one way", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			cfg := c.cfg()
			before := cfg
			err := cfg.loadSecrets(slog.New(slog.NewTextHandler(&logs, nil)))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one with %q", err, c.err)
				}
				if cfg != before {
					t.Fatalf("a refused secret changed the config: %+v", cfg)
				}
				return
			}
			if err != nil || cfg.password != c.password || cfg.cluster.clusterSecret != c.secret {
				t.Fatalf("password %q, cluster secret %q, %v", cfg.password, cfg.cluster.clusterSecret, err)
			}
			if warned := strings.Contains(logs.String(), "may be read by other users"); warned != c.warn {
				t.Fatalf("warned %v, want %v: %s", warned, c.warn, logs.String())
			}
			if strings.Contains(logs.String(), c.password) {
				t.Fatalf("the log shows the secret: %s", logs.String())
			}
		})
	}

	// A member's secret from the file is the one its peers are
	// authenticated with, and the -x password still the one it joins with.
	member := serveConfig{password: "pw", cluster: clusterFlags{nodeID: "n1", raftAddr: "127.0.0.1:4500", dataDir: dir,
		bootstrap: true, clusterSecretFile: file("m", "peers\n", 0o600)}}
	if err := member.loadSecrets(nil); err != nil {
		t.Fatal(err)
	}
	o, err := member.cluster.options("", member.password, false)
	if err != nil || o.ClusterSecret != "peers" || o.JoinPassword != "pw" {
		t.Fatalf("cluster options: %+v, %v", o, err)
	}
}

// TestServePasswordFile: a server started with --password-file (through
// the command line) requires that password, and a bad file stops it
// before it listens, with exit status 2 and the message.
func TestServePasswordFile(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultServe()
	cfg.ephemeral = true
	cfg.passwordFile = pwFile
	addr, _ := startServe(t, cfg)
	ctx := context.Background()
	if c, err := client.Dial(ctx, addr); err == nil {
		err = c.Ping(ctx)
		c.Close()
		if err == nil {
			t.Fatal("a connection without the password was served")
		}
	}
	if _, err := client.Dial(ctx, addr, client.WithPassword("from-a-file\n")); err == nil {
		t.Fatal("the password with the file's line ending was accepted")
	}
	c, err := client.Dial(ctx, addr, client.WithPassword("from-a-file"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	var stderr bytes.Buffer
	code := run(ctx, []string{"serve", "-e", "-p", "0", "--password-file", filepath.Join(dir, "none")}, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--password-file: open ") {
		t.Fatalf("missing file: exit %d, %s", code, stderr.String())
	}
}
