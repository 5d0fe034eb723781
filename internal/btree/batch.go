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
		blocks [batch]int // the first slot of the block to scan, or -1
	)
	for lo := 0; lo < len(keys); lo += batch {
		ks := keys[lo:min(lo+batch, len(keys))]
		for i, k := range ks {
			p := l.parts[l.route(k)]
			parts[i], probes[i] = p, p.run.probe(k)
			blocks[i] = p.run.block(probes[i])
		}
		var sink uint64
		for i := range ks {
			if b := blocks[i]; b >= 0 {
				// The slots a block scan reads: fenceEvery of 16 bytes,
				// four cache lines (or five, straddling).
				bs := parts[i].run.slots[b : b+fenceEvery : b+fenceEvery]
				sink += bs[0].w + bs[4].w + bs[8].w + bs[12].w + bs[fenceEvery-1].w
			}
		}
		batchSink.Add(sink)
		for i, k := range ks {
			found[lo+i] = parts[i].getKeyAt(k, probes[i], blocks[i])
		}
	}
}

// batchSink keeps the loads of GetKeys' touching pass (which the compiler
// would drop if their sum went nowhere); atomic, since GetKeys runs on
// many goroutines at once (one add per 64 keys).
var batchSink atomic.Uint64

// block returns the first slot of the block of r that a search for the
// probe's key scans: the key, if r holds it, is among the fenceEvery slots
// from there. It returns -1 when r cannot hold the key (empty, or the key
// is outside its range) or is shorter than a block.
func (r *run) block(pr probe) int {
	n := r.len()
	if n < fenceEvery || pr.out != 0 {
		return -1
	}
	b := r.upperFence(0, len(r.fence), pr)
	if b == 0 {
		return -1
	}
	return min((b-1)*fenceEvery, n-fenceEvery)
}

// getKeyAt is GetKey(key) for a key whose probe of p's run is pr and whose
// block (run.block) is b.
func (p *part) getKeyAt(key string, pr probe, b int) string {
	if p.delta.root != nil {
		if k, m, ok := p.delta.GetKey(key); ok {
			if m.live {
				return k
			}
			return ""
		}
	}
	r := p.run
	if b < 0 {
		if i, ok := r.find(pr); ok {
			return r.key(i)
		}
		return ""
	}
	i, end := b, b+fenceEvery
	for i < end && r.less(i, pr) {
		i++
	}
	if i < end && r.isKey(i, pr) {
		return r.key(i)
	}
	return ""
}
