package gctest

import "runtime"

// Scribble runs the collector and then allocates and fills memory of each
// of sizes (the sizes of the objects a test drops), about a megabyte in
// all, so that what the collection freed is written over with 0xA5 bytes.
func Scribble(sizes ...int) {
	runtime.GC()
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total == 0 {
		return
	}
	var keep [][]byte
	for range max(1, 1<<20/total) {
		for _, size := range sizes {
			b := make([]byte, size)
			for i := range b {
				b[i] = 0xA5
			}
			keep = append(keep, b)
		}
	}
	runtime.KeepAlive(keep)
}
