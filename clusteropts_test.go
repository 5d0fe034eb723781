package fleetdb

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/replication"
)

// TestClusterOptionsCarriedOver: ClusterOptions re-declares part of
// replication.Config for the root package's users. Every field of it must
// reach the node's configuration unchanged, and every field of
// replication.Config must come from ClusterOptions or from the DB: a field
// added on either side without being carried over fails here.
func TestClusterOptionsCarriedOver(t *testing.T) {
	fromDB := map[string]bool{"MaxBatch": true, "QueueSize": true, "Logger": true, "Env": true, "Publish": true, "Changes": true}
	var o ClusterOptions
	ov := reflect.ValueOf(&o).Elem()
	for i := range ov.NumField() {
		f := ov.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(fmt.Sprintf("value-%d", i))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Uint64:
			f.SetUint(uint64(1000 + i))
		case reflect.Int64: // time.Duration
			f.SetInt(int64(time.Duration(1000+i) * time.Millisecond))
		case reflect.Int: // an enum (LogStore): its value after the zero one
			f.SetInt(1)
		case reflect.Pointer: // *tls.Config
			f.Set(reflect.New(f.Type().Elem()))
		default:
			t.Fatalf("ClusterOptions.%s: kind %s not covered by this test", ov.Type().Field(i).Name, f.Kind())
		}
	}
	db := &DB{opts: Options{Cluster: &o, MaxBatch: 7, QueueSize: 9}}
	cfg := db.replicationConfig()
	cv := reflect.ValueOf(cfg)
	for i := range ov.NumField() {
		name := ov.Type().Field(i).Name
		cf := cv.FieldByName(name)
		if !cf.IsValid() {
			t.Errorf("ClusterOptions.%s has no field in replication.Config", name)
			continue
		}
		if cf.Type() != ov.Field(i).Type() || !reflect.DeepEqual(cf.Interface(), ov.Field(i).Interface()) {
			t.Errorf("ClusterOptions.%s = %v reaches replication.Config as %v", name, ov.Field(i).Interface(), cf.Interface())
		}
	}
	ct := reflect.TypeOf(replication.Config{})
	for i := range ct.NumField() {
		f := ct.Field(i)
		if !f.IsExported() || fromDB[f.Name] {
			continue
		}
		if _, ok := ov.Type().FieldByName(f.Name); !ok {
			t.Errorf("replication.Config.%s is not offered by ClusterOptions (add it there and to replicationConfig, or to fromDB here)", f.Name)
		}
	}
	if cfg.MaxBatch != 7 || cfg.QueueSize != 9 || cfg.Env == nil || cfg.Publish == nil {
		t.Errorf("the DB's part of the configuration: %+v", cfg)
	}
}
