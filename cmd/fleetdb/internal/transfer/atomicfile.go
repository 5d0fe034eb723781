package transfer

import (
	"errors"
	"os"
	"path/filepath"
)

// atomicFile is an output file written under a temporary name next to its
// final one and renamed into place once complete (and synced), so that a
// failed or interrupted export or backup never leaves a file that looks
// whole.
type atomicFile struct {
	*os.File
	path string
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{File: f, path: path}, nil
}

// commit syncs the file, renames it to its final name and syncs the
// directory.
func (f *atomicFile) commit() error {
	if err := f.Sync(); err != nil {
		f.abort()
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return err
	}
	d, err := os.Open(filepath.Dir(f.path))
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// abort closes and removes the temporary file.
func (f *atomicFile) abort() {
	f.Close()
	os.Remove(f.Name())
}
