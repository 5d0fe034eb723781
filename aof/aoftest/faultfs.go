package aoftest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/fleetdb-go/fleetdb/aof"
)

// Op names a file system operation for fault injection and counting.
type Op string

// The operations of FaultFS.
const (
	OpOpen     Op = "open"
	OpRead     Op = "read"
	OpWrite    Op = "write"
	OpSync     Op = "sync"
	OpTruncate Op = "truncate"
	OpRename   Op = "rename"
	OpRemove   Op = "remove"
	OpSyncDir  Op = "syncdir"
)

// sectorSize is the granularity at which PowerCutTorn zeroes unwritten data.
const sectorSize = 512

// ErrPowerCut is returned by every call on a file handle opened before a power cut.
var ErrPowerCut = errors.New("aoftest: file handle opened before a power cut")

// Fault describes an injected failure.
type Fault struct {
	// Op is the operation that fails.
	Op Op
	// Path restricts the fault to one file (the path as opened, cleaned) or a
	// filepath.Match pattern; "" matches every file. For OpRename it is matched against the
	// old path, for OpSyncDir against the directory.
	Path string
	// Skip lets this many matching operations succeed before the fault fires: to fail the
	// Nth write, Skip N-1 writes.
	Skip int
	// Err is the error returned; nil means syscall.EIO. Use syscall.ENOSPC for a full disk.
	Err error
	// Short is, for OpWrite, how many bytes are written before the error; negative means
	// half of the write.
	Short int
	// Sticky keeps the fault firing on every later matching operation; otherwise it fires
	// once.
	Sticky bool
}

type fault struct {
	Fault
	seen  int
	fired bool
}

// FaultFS is an in-memory aof.FS with fault injection and power cuts. It is safe for
// concurrent use.
type FaultFS struct {
	// mu guards everything below and every inode and open file.
	mu      sync.Mutex
	gen     int               // incremented by a power cut; older handles are dead
	files   map[string]*inode // the directory tree as running programs see it
	durable map[string]*inode // the directory tree a power cut leaves behind
	faults  []*fault
	counts  map[Op]int
}

// inode is one file's contents.
type inode struct {
	data   []byte // current contents
	synced []byte // contents as of the last successful Sync
	low    int    // data[:low] equals synced[:low]: nothing below low changed since the Sync
}

// New returns an empty FaultFS.
func New() *FaultFS {
	return &FaultFS{files: map[string]*inode{}, durable: map[string]*inode{}, counts: map[Op]int{}}
}

var _ aof.FS = (*FaultFS)(nil)

// Inject adds a fault.
func (f *FaultFS) Inject(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{Fault: ft})
}

// ClearFaults removes all injected faults.
func (f *FaultFS) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Count returns how many operations of the kind were attempted.
func (f *FaultFS) Count(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

// PowerCut simulates a power cut: every byte not covered by a successful Sync is lost, and
// every directory change not followed by a SyncDir is undone. Handles opened before return
// ErrPowerCut from then on.
func (f *FaultFS) PowerCut() { f.powerCut(nil) }

// PowerCutTorn is PowerCut, except that of a file whose unsynced changes are only appended
// bytes, a random prefix of those bytes survives, and sometimes that prefix reads as zeros
// from its start or from a 512-byte sector boundary on (a file system that extended the file
// but had not written the data). That is what a crash in the middle of an unsynced append can
// leave. Of a file whose unsynced changes overwrite synced bytes, each 512-byte sector
// changed keeps its new or its synced contents at random (see tornOverwrite).
func (f *FaultFS) PowerCutTorn(rng *rand.Rand) { f.powerCut(rng) }

func (f *FaultFS) powerCut(rng *rand.Rand) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	names := make([]string, 0, len(f.durable))
	for name := range f.durable {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic use of rng
	files := make(map[string]*inode, len(f.durable))
	durable := make(map[string]*inode, len(f.durable))
	for _, name := range names {
		old := f.durable[name]
		data := append([]byte(nil), old.synced...)
		if rng != nil && old.low < len(old.synced) && len(old.data) > old.low {
			data = tornOverwrite(rng, old)
		} else if rng != nil && old.low >= len(old.synced) && len(old.data) > len(old.synced) {
			pending := old.data[len(old.synced):]
			kept := append([]byte(nil), pending[:rng.IntN(len(pending)+1)]...)
			if len(kept) > 0 && rng.IntN(3) == 0 {
				// Zeros start where the unsynced bytes start or at a sector boundary.
				base := len(old.synced)
				from := 0
				if first := (base/sectorSize + 1) * sectorSize; first < base+len(kept) && rng.IntN(4) > 0 {
					sectors := (base + len(kept) - first + sectorSize - 1) / sectorSize
					from = first + rng.IntN(sectors)*sectorSize - base
				}
				clear(kept[from:])
			}
			data = append(data, kept...)
		}
		ino := &inode{data: data, synced: append([]byte(nil), data...), low: len(data)}
		files[name] = ino
		durable[name] = ino
	}
	f.files, f.durable = files, durable
}

// tornOverwrite is what a power cut leaves of a file whose unsynced changes overwrite synced
// bytes (a preallocated log): the file keeps its synced size or takes its new one, and each
// 512-byte sector from the first changed one on holds either its new bytes or its synced ones
// (zeros past the synced size), chosen at random: write-back goes in any order.
func tornOverwrite(rng *rand.Rand, ino *inode) []byte {
	size := len(ino.synced)
	if rng.IntN(2) == 0 {
		size = len(ino.data)
	}
	out := make([]byte, size)
	copy(out, ino.synced)
	for s := ino.low / sectorSize * sectorSize; s < size; s += sectorSize {
		e := min(s+sectorSize, size)
		if rng.IntN(2) == 0 && s < len(ino.data) {
			copy(out[s:e], ino.data[s:min(e, len(ino.data))])
		}
	}
	return out
}

// ReadFile returns the current contents of a file.
func (f *FaultFS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ino, ok := f.files[filepath.Clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), ino.data...), nil
}

// WriteFile creates or replaces a file with data, durably (as if synced, with its directory).
func (f *FaultFS) WriteFile(name string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = filepath.Clean(name)
	ino := &inode{data: append([]byte(nil), data...), synced: append([]byte(nil), data...), low: len(data)}
	f.files[name] = ino
	f.durable[name] = ino
}

// Exists reports whether a file exists.
func (f *FaultFS) Exists(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.files[filepath.Clean(name)]
	return ok
}

// Names returns the paths of all files, sorted.
func (f *FaultFS) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := make([]string, 0, len(f.files))
	for name := range f.files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// check counts an operation and returns the fault that fires for it, if any. Called with
// f.mu held.
func (f *FaultFS) check(op Op, name string) (*fault, error) {
	f.counts[op]++
	for _, ft := range f.faults {
		if ft.Op != op || !matchPath(ft.Path, name) {
			continue
		}
		if ft.seen < ft.Skip {
			ft.seen++
			continue
		}
		if ft.fired && !ft.Sticky {
			continue
		}
		ft.fired = true
		err := ft.Err
		if err == nil {
			err = syscall.EIO
		}
		return ft, err
	}
	return nil, nil
}

func matchPath(pattern, name string) bool {
	if pattern == "" || pattern == name {
		return true
	}
	ok, _ := filepath.Match(pattern, name)
	return ok
}

// OpenFile implements aof.FS. It supports O_RDONLY, O_WRONLY, O_RDWR, O_CREATE, O_EXCL,
// O_TRUNC and O_APPEND; every directory exists.
func (f *FaultFS) OpenFile(name string, flag int, perm fs.FileMode) (aof.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = filepath.Clean(name)
	if _, err := f.check(OpOpen, name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	ino, ok := f.files[name]
	switch {
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok:
		ino = &inode{}
		f.files[name] = ino
	}
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	h := &file{fs: f, name: name, ino: ino, gen: f.gen,
		canRead: acc != os.O_WRONLY, canWrite: acc != os.O_RDONLY, appendMode: flag&os.O_APPEND != 0}
	if flag&os.O_TRUNC != 0 && h.canWrite {
		ino.truncate(0)
	}
	return h, nil
}

// Rename implements aof.FS.
func (f *FaultFS) Rename(oldpath, newpath string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	oldpath, newpath = filepath.Clean(oldpath), filepath.Clean(newpath)
	if _, err := f.check(OpRename, oldpath); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	ino, ok := f.files[oldpath]
	if !ok {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: fs.ErrNotExist}
	}
	f.files[newpath] = ino
	delete(f.files, oldpath)
	return nil
}

// Remove implements aof.FS.
func (f *FaultFS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = filepath.Clean(name)
	if _, err := f.check(OpRemove, name); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	if _, ok := f.files[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(f.files, name)
	return nil
}

// Stat implements aof.FS.
func (f *FaultFS) Stat(name string) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = filepath.Clean(name)
	ino, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fileInfo{name: filepath.Base(name), size: int64(len(ino.data))}, nil
}

// SyncDir implements aof.FS: the directory's current entries become durable.
func (f *FaultFS) SyncDir(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir = filepath.Clean(dir)
	if _, err := f.check(OpSyncDir, dir); err != nil {
		return &fs.PathError{Op: "sync", Path: dir, Err: err}
	}
	for name := range f.durable {
		if filepath.Dir(name) == dir {
			delete(f.durable, name)
		}
	}
	for name, ino := range f.files {
		if filepath.Dir(name) == dir {
			f.durable[name] = ino
		}
	}
	return nil
}

// write writes p at off, extending the file with zeros if off is past its end.
func (ino *inode) write(off int64, p []byte) {
	end := int(off) + len(p)
	ino.low = min(ino.low, int(off), len(ino.data))
	if end > len(ino.data) {
		ino.data = append(ino.data, make([]byte, end-len(ino.data))...)
	}
	copy(ino.data[off:], p)
}

func (ino *inode) truncate(size int64) {
	ino.low = min(ino.low, int(size), len(ino.data))
	if int(size) <= len(ino.data) {
		ino.data = ino.data[:size]
	} else {
		ino.data = append(ino.data, make([]byte, int(size)-len(ino.data))...)
	}
}

func (ino *inode) sync() {
	ino.synced = append(ino.synced[:ino.low], ino.data[ino.low:]...)
	ino.low = len(ino.data)
}

// file is an open file of a FaultFS.
type file struct {
	fs                            *FaultFS
	name                          string
	ino                           *inode
	gen                           int
	pos                           int64
	canRead, canWrite, appendMode bool
	closed                        bool
}

// usable returns an error if the handle is closed or from before a power cut. Called with
// fs.mu held.
func (h *file) usable(op string) error {
	if h.closed {
		return &fs.PathError{Op: op, Path: h.name, Err: fs.ErrClosed}
	}
	if h.gen != h.fs.gen {
		return &fs.PathError{Op: op, Path: h.name, Err: ErrPowerCut}
	}
	return nil
}

func (h *file) Read(p []byte) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	n, err := h.readAt(p, h.pos)
	h.pos += int64(n)
	return n, err
}

func (h *file) ReadAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	n, err := h.readAt(p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (h *file) readAt(p []byte, off int64) (int, error) {
	if err := h.usable("read"); err != nil {
		return 0, err
	}
	if !h.canRead {
		return 0, &fs.PathError{Op: "read", Path: h.name, Err: syscall.EBADF}
	}
	if _, err := h.fs.check(OpRead, h.name); err != nil {
		return 0, &fs.PathError{Op: "read", Path: h.name, Err: err}
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: h.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(h.ino.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	return copy(p, h.ino.data[off:]), nil
}

func (h *file) Write(p []byte) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.usable("write"); err != nil {
		return 0, err
	}
	if !h.canWrite {
		return 0, &fs.PathError{Op: "write", Path: h.name, Err: syscall.EBADF}
	}
	if h.appendMode {
		h.pos = int64(len(h.ino.data))
	}
	ft, err := h.fs.check(OpWrite, h.name)
	if err != nil {
		n := ft.Short
		if n < 0 {
			n = len(p) / 2
		}
		n = min(n, len(p))
		h.ino.write(h.pos, p[:n])
		h.pos += int64(n)
		return n, &fs.PathError{Op: "write", Path: h.name, Err: err}
	}
	h.ino.write(h.pos, p)
	h.pos += int64(len(p))
	return len(p), nil
}

func (h *file) Seek(offset int64, whence int) (int64, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.usable("seek"); err != nil {
		return 0, err
	}
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = h.pos + offset
	case io.SeekEnd:
		pos = int64(len(h.ino.data)) + offset
	default:
		return 0, &fs.PathError{Op: "seek", Path: h.name, Err: fs.ErrInvalid}
	}
	if pos < 0 {
		return 0, &fs.PathError{Op: "seek", Path: h.name, Err: fs.ErrInvalid}
	}
	h.pos = pos
	return pos, nil
}

func (h *file) Sync() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.usable("sync"); err != nil {
		return err
	}
	if _, err := h.fs.check(OpSync, h.name); err != nil {
		return &fs.PathError{Op: "sync", Path: h.name, Err: err}
	}
	h.ino.sync()
	return nil
}

func (h *file) Truncate(size int64) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.usable("truncate"); err != nil {
		return err
	}
	if !h.canWrite || size < 0 {
		return &fs.PathError{Op: "truncate", Path: h.name, Err: fs.ErrInvalid}
	}
	if _, err := h.fs.check(OpTruncate, h.name); err != nil {
		return &fs.PathError{Op: "truncate", Path: h.name, Err: err}
	}
	h.ino.truncate(size)
	return nil
}

func (h *file) Stat() (fs.FileInfo, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.usable("stat"); err != nil {
		return nil, err
	}
	return fileInfo{name: filepath.Base(h.name), size: int64(len(h.ino.data))}, nil
}

func (h *file) Close() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return &fs.PathError{Op: "close", Path: h.name, Err: fs.ErrClosed}
	}
	h.closed = true
	return nil
}

// fileInfo implements fs.FileInfo.
type fileInfo struct {
	name string
	size int64
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o644 }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }

func (fi fileInfo) String() string { return fmt.Sprintf("%s (%d bytes)", fi.name, fi.size) }
