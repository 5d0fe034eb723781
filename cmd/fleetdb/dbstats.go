package main

import (
	"context"
	"encoding/json"

	"github.com/fleetdb-go/fleetdb"
)

// dbExecutor serves a *fleetdb.DB and gives the server's metrics the
// database's figures (server.StatsSource). Until the DB has a stats method
// of its own, the figures are read from ["info"]; that costs one count over
// the collections per scrape.
type dbExecutor struct{ *fleetdb.DB }

func newDBExecutor(db *fleetdb.DB) dbExecutor { return dbExecutor{db} }

// MetricsSnapshot implements server.StatsSource.
func (e dbExecutor) MetricsSnapshot() map[string]float64 {
	out, err := e.DB.Query(context.Background(), []byte(`["info"]`))
	if err != nil {
		return map[string]float64{"up": 0}
	}
	var info struct {
		Persistent  bool     `json:"persistent"`
		FileSize    *float64 `json:"db-file-size"`
		Compacting  bool     `json:"compacting"`
		LogFailed   bool     `json:"log-failed"`
		Collections float64  `json:"collections"`
		Records     float64  `json:"records"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		return map[string]float64{"up": 0}
	}
	snap := map[string]float64{
		"up":          1,
		"collections": info.Collections,
		"records":     info.Records,
	}
	if info.Persistent {
		snap["compacting"] = bit(info.Compacting)
		snap["log_failed"] = bit(info.LogFailed)
		if info.FileSize != nil {
			snap["log_size_bytes"] = *info.FileSize
		}
	}
	return snap
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
