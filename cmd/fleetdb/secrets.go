package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Secrets in files. A password given with -x (or a cluster secret with
// --cluster-secret) stands in the process's arguments, which every user
// of the machine can read (ps, /proc/PID/cmdline). --password-file and
// --cluster-secret-file read it from a file instead, one the service
// manager can hand over (systemd's LoadCredential, a Kubernetes secret
// volume) and only the server's user can read.

// loadSecrets fills cfg's password and cluster secret from the files
// their flags name, refusing a secret given both ways. log warns of a
// file that other users may read.
func (cfg *serveConfig) loadSecrets(log *slog.Logger) error {
	for _, s := range []struct {
		flag, fileFlag string
		value          *string
		file           string
	}{
		{"-x", "--password-file", &cfg.password, cfg.passwordFile},
		{"--cluster-secret", "--cluster-secret-file", &cfg.cluster.clusterSecret, cfg.cluster.clusterSecretFile},
	} {
		if s.file == "" {
			continue
		}
		if *s.value != "" {
			return fmt.Errorf("%s and %s: give the secret one way", s.flag, s.fileFlag)
		}
		v, err := readSecretFile(s.fileFlag, s.file, log)
		if err != nil {
			return err
		}
		*s.value = v
	}
	return nil
}

// readSecretFile returns the secret in path: its text without one final
// line ending (an editor's or echo's). A missing, empty or multi-line file
// is an error that names the flag and the file; a file that other users
// may read is used with a warning, as the secret may already be out.
func readSecretFile(flag, path string, log *slog.Logger) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	switch {
	case len(b) > maxSecretBytes:
		return "", fmt.Errorf("%s %s: the file is longer than %d bytes; put the secret alone on its first line", flag, path, maxSecretBytes)
	case s == "":
		return "", fmt.Errorf("%s %s: the file is empty", flag, path)
	case strings.ContainsAny(s, "\r\n"):
		return "", fmt.Errorf("%s %s: the file holds more than one line; put the secret alone on its first line", flag, path)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 && log != nil {
		log.Warn("fleetdb: a secret file may be read by other users; make it readable by the server's user alone (chmod 600)",
			"flag", flag, "file", path, "mode", fi.Mode().Perm().String())
	}
	return s, nil
}

// maxSecretBytes bounds a secret file: a secret is a line, and a flag
// pointed at a large file by mistake is refused before it is read whole.
const maxSecretBytes = 4096
