package btree

import "sync/atomic"

// GetKeys is GetKey of each of keys, into found (found[i] is "" where keys[i]
// is not in s), for a batch of lookups whose keys are not sorted: a server
// answering a pipelined batch of point reads. It finds the same keys as
// GetKey, in stages, so that the cache misses of different keys overlap
// where one GetKey after another waits for each of its own in turn: first
// the run block of every key (its fence search reads words that stay in the
// cache), then a pass that only loads the first word of each block's cache
// lines, then the searches of the blocks, now in the cache. The caller may
// go on the same way with what the keys point to (a record).
//
// len(found) must be at least len(keys).
func (s Set) GetKeys(keys []string, found []string) {
	found = found[:len(keys)]
	if s.list == nil {
		clear(found)
		return
	}
	l := s.list
	const batch = 64
	var (
		parts  [batch]*part
		probes [batch]probe
		blocks [batch]int // the first slot each key's search scans (run.block)
	)
	for lo := 0; lo < len(keys); lo += batch {
		ks := keys[lo:min(lo+batch, len(keys))]
		for i, k := range ks {
			p := s.at(l.route(k))
			parts[i], probes[i] = p, p.run.probe(k)
			blocks[i] = p.run.block(probes[i])
		}
		var sink uint64
		for i := range ks {
			if r, b := parts[i].run, blocks[i]; b+fenceEvery <= r.len() {
				// The slots a block scan reads: fenceEvery of 16 bytes,
				// four cache lines (or five, straddling).
				bs := r.slots[b : b+fenceEvery : b+fenceEvery]
				sink += bs[0].w + bs[4].w + bs[8].w + bs[12].w + bs[fenceEvery-1].w
			}
		}
		batchSink.Add(sink)
		for i, k := range ks {
			if f, ok := parts[i].getKeyAt(k, probes[i], blocks[i]); ok {
				found[lo+i] = f
			} else {
				found[lo+i] = ""
			}
		}
	}
}

// batchSink keeps the loads of GetKeys' touching pass (which the compiler
// would drop if their sum went nowhere); atomic, since GetKeys runs on
// many goroutines at once (one add per 64 keys).
var batchSink atomic.Uint64
