package fleetdb

import (
	"github.com/fleetdb-go/fleetdb/collection"
)

// MetricsSnapshot returns the database's figures for metrics, by name
// without prefix, in snake_case with the unit; names ending in "_total" are
// counters, the others gauges. It is cheap (no scan of the records) and
// safe from any goroutine. The server exports it (server.StatsSource).
func (db *DB) MetricsSnapshot() map[string]float64 {
	v := db.cur.Load()
	records := 0
	v.Each(func(_ string, c collection.Collection) bool {
		records += c.Len()
		return true
	})
	m := map[string]float64{
		"up":          bit(!db.closed.Load()),
		"collections": float64(v.Len()),
		"records":     float64(records),
		"persistent":  bit(db.aof != nil || db.repl != nil),
	}
	q := db.writeStats()
	m["writes_total"] = float64(q.requests)
	m["write_batches_total"] = float64(q.batches)
	m["write_batch_max"] = float64(q.maxBatch)
	m["write_queue_pending"] = float64(q.pending)
	m["write_failed_total"] = float64(q.failed)
	m["write_rejected_total"] = float64(q.rejected)
	m["write_canceled_total"] = float64(q.canceled)
	db.hub.mu.Lock()
	m["watch_history_bytes"] = float64(db.hub.histBytes)
	m["position"] = float64(db.hub.cur.Seq)
	db.hub.mu.Unlock()
	m["watch_feeds_open"] = float64(db.hub.open.Load())
	m["watch_events_sent_total"] = float64(db.hub.sentTotal())
	m["watch_feeds_behind_total"] = float64(db.hub.behind.Load())
	m["snapshots_open"] = float64(db.pins.count())
	if db.aof != nil {
		s := db.aof.Stats()
		m["log_appends_total"] = float64(s.Appends)
		m["log_records_total"] = float64(s.Records)
		m["log_written_bytes_total"] = float64(s.BytesWritten)
		m["log_fsyncs_total"] = float64(s.Fsyncs)
		m["log_fsync_seconds_total"] = s.FsyncTime.Seconds()
		m["log_rewrites_total"] = float64(s.Rewrites)
		m["log_size_bytes"] = float64(db.aof.Size())
		m["log_failed"] = bit(db.aof.Err() != nil)
		m["compacting"] = bit(db.compacting.Load())
		m["compactions_total"] = float64(db.compactions.done.Load())
		m["compactions_failed_total"] = float64(db.compactions.failed.Load())
	}
	if db.repl != nil {
		m["ready"] = bit(db.repl.Ready()) // server.StatReady
	}
	return m
}

// writeStats are the counters of the write path in use: the write queue's,
// or on a cluster member the Raft write path's (a batch is then one Raft
// entry).
type writeStats struct {
	requests, batches uint64
	maxBatch, pending int
	failed, rejected  uint64
	canceled          uint64
}

func (db *DB) writeStats() writeStats {
	if db.repl != nil {
		return db.repl.WriteStats()
	}
	q := db.queue.Stats()
	return writeStats{requests: q.Requests, batches: q.Batches, maxBatch: q.MaxBatch, pending: q.Pending,
		failed: q.FailedRequests, rejected: q.Rejected, canceled: q.Canceled}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
