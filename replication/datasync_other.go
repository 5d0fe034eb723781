//go:build !linux

package replication

import "os"

// datasync is fsync where fdatasync is not available (walfs.go).
func datasync(f *os.File) error { return f.Sync() }
