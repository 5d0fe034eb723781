#!/bin/bash
# Pipelined throughput and CPU per request, fleetdb against Redis (docs/performance-history.md, "Round 7 (pipelined)").
# Run from anywhere:
#
#   bash docs/pipe-compare.sh BIN [BIN...]     # BIN: a fleetdb binary (go build -o BIN ./cmd/fleetdb)
#
# For each BIN in turn (alternate their order between runs for an A/B): a fresh `BIN serve` as
# compare-server.sh starts it (fsync always, a log in a temp dir, in this script's session), 1 s of
# gets to preload, then `BIN bench --pipeline 32 -c 64 -d $D` with --type get, then insert. Then a
# throwaway Redis (redis-baseline.sh: appendfsync always, daemonized) and `redis-benchmark -c 64
# -P 32 -n $N` with -t set, then -t get (REDIS_ARGS adds arguments, e.g. "-r 100000 -d 100";
# REDIS=0 skips Redis). Prints per workload: requests/s, the server's CPU per request
# (utime+stime from /proc), the generator's (/usr/bin/time) and the server's minor page faults per
# 1,000 requests. Ports 3591 and 6491.
set -u
D=${D:-5s}; N=${N:-2000000}; REDIS=${REDIS:-1}
here=$(cd "$(dirname "$0")" && pwd)
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
minflt() { awk '{print $10}' "/proc/$1/stat"; }
tmp=$(mktemp -d /tmp/pipe-compare.XXXX)
fpid=; rpid=
trap 'kill $fpid $rpid 2>/dev/null; rm -rf "$tmp"' EXIT
report() { # JSON TIME T0 T1 FAULTS LABEL OP
  python3 - "$@" "$hz" <<'PY'
import json,sys
js,tf,t0,t1,mf,label,op,hz=sys.argv[1:]
r=json.load(open(js)); u,s=map(float,open(tf).read().split()[-2:]); n=max(r["requests"],1)
print(f"{label:14s} {op:6s} ops/s={r['throughput']/1e3:8.1f}k errors={r['errors']} server_us={(int(t1)-int(t0))/int(hz)*1e6/n:.3f} gen_us={(u+s)*1e6/n:.3f} faults/kop={int(mf)*1000/n:.1f}")
PY
}
fleet_one() { # BIN
  local bin=$1 label port=3591
  label=$(basename "$bin")
  "$bin" serve -f "$tmp/$label.fdb" -p $port >"$tmp/$label.log" 2>&1 & fpid=$!
  for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  "$bin" bench --addr 127.0.0.1:$port --type get -c 64 -d 1s --pipeline 32 --json >/dev/null 2>&1
  for op in get insert; do
    local t0 t1 m0 m1
    t0=$(ticks $fpid); m0=$(minflt $fpid)
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$bin" bench --addr 127.0.0.1:$port --type $op --pipeline 32 -c 64 -d "$D" --json >"$tmp/out.json" 2>"$tmp/err"
    t1=$(ticks $fpid); m1=$(minflt $fpid)
    report "$tmp/out.json" "$tmp/time" "$t0" "$t1" $((m1-m0)) "$label" $op || head -3 "$tmp/err"
  done
  kill -TERM $fpid; wait $fpid 2>/dev/null; fpid=
  rm -f "$tmp/$label.fdb"*
}
redis_one() {
  local port=6491
  rpid=$("$here/../../shared/bench/redis-baseline.sh" $port always)
  [ -n "$rpid" ] && kill -0 "$rpid" 2>/dev/null || { echo "redis did not start"; rpid=; return; }
  for t in set get; do
    local t0 t1
    t0=$(ticks $rpid)
    /usr/bin/time -f "%U %S" -o "$tmp/time" timeout 120 redis-benchmark -p $port -c 64 -P 32 -t $t -n $N -q ${REDIS_ARGS:-} >"$tmp/rb" 2>&1
    t1=$(ticks $rpid)
    python3 - "$tmp/rb" "$tmp/time" $t0 $t1 $hz $t $N <<'PY'
import sys,re
txt=open(sys.argv[1]).read().replace('\r','\n'); m=re.findall(r'([0-9.]+) requests per second',txt)
ops=float(m[-1]) if m else 0
u,s=map(float,open(sys.argv[2]).read().split()[-2:])
t0,t1,hz,n=int(sys.argv[3]),int(sys.argv[4]),int(sys.argv[5]),int(sys.argv[7])
print(f"{'redis':14s} {sys.argv[6]:6s} ops/s={ops/1e3:8.1f}k server_us={(t1-t0)/hz*1e6/n:.3f} gen_us={(u+s)*1e6/n:.3f}")
PY
  done
  kill $rpid; while kill -0 $rpid 2>/dev/null; do sleep 0.1; done; rpid=
}
for b in "$@"; do fleet_one "$(realpath "$b")"; done
[ "$REDIS" = 1 ] && redis_one
exit 0
