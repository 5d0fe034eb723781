#!/bin/bash
# CPU per operation of a three-member cluster under fleetbench (docs for the figures: README,
# Performance, and docs/performance-history.md, Cluster). Run from the repository root:
#
#   bash docs/cluster-cpu.sh BIN insert|get      # BIN: a fleetdb binary (go build -o BIN ./cmd/fleetdb)
#
# Prints fleetbench's line and the CPU (utime+stime from /proc) per operation of each member and
# of the generator. PERF=1 adds perf stat's syscalls and context switches per operation per
# member, STATS=1 the members' closing counters (writes, Raft entries, read-index rounds and the
# reads they served), PROF=DIR a CPU profile of
# each member (PS=seconds). C, D (fleetbench's -c and -d), ADDRS (the members' client addresses
# to spread over; default all three), RECORDS (for get). Ports 3601-3623.
set -u
BIN=$(realpath "$1"); OP=$2; PROF=${PROF:-}; C=${C:-64}; D=${D:-8s}
tmp=$(mktemp -d /tmp/cluster-cpu.XXXX)
(cd "$(dirname "$0")/../../shared/bench" && go build -o "$tmp/fleetbench" .) || exit 2
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null
  [ -n "${STATS:-}" ] && grep -h "replication: closing" $tmp/n*.log | sed "s/.*node=//"; rm -rf "$tmp"' EXIT
wait_port() { for i in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
"$BIN" serve --node-id n1 --raft-addr 127.0.0.1:3611 --data-dir "$tmp/n1" --bootstrap -p 3601 --metrics 127.0.0.1:3621 --pprof >"$tmp/n1.log" 2>&1 & pids+=($!)
wait_port 3601; sleep 2
for i in 2 3; do
  "$BIN" serve --node-id n$i --raft-addr 127.0.0.1:361$i --data-dir "$tmp/n$i" --join 127.0.0.1:3601 -p 360$i \
    --metrics 127.0.0.1:362$i --pprof >"$tmp/n$i.log" 2>&1 & pids+=($!)
  wait_port 360$i
done
sleep 3
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
SK=
if [ "$OP" != insert ]; then
  "$tmp/fleetbench" -proto fleet -addr 127.0.0.1:3601 -c 4 -d 1s -op "$OP" -records "${RECORDS:-100000}" >/dev/null 2>&1
  SK=-skip-load
fi
b=(); for p in "${pids[@]}"; do b+=($(cpu $p)); done
cpids=; ppids=
if [ -n "$PROF" ]; then
  mkdir -p "$PROF"
  for i in 1 2 3; do curl -s -o "$PROF/n$i.prof" "http://127.0.0.1:362$i/debug/pprof/profile?seconds=${PS:-5}" & cpids="$cpids $!"; done
fi
if [ -n "${PERF:-}" ]; then
  for i in 0 1 2; do
    perf stat -x, -e context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_fsync,syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_pwait \
      -p ${pids[$i]} -o $tmp/perf$i 2>/dev/null & ppids="$ppids $!"
  done
fi
out=$(/usr/bin/time -f "GEN %U %S" "$tmp/fleetbench" -proto fleet -addr "${ADDRS:-127.0.0.1:3601,127.0.0.1:3602,127.0.0.1:3603}" \
  -c "$C" -d "$D" -op "$OP" -records "${RECORDS:-100000}" $SK 2>&1)
[ -n "$cpids" ] && wait $cpids
[ -n "$ppids" ] && { kill -INT $ppids; wait $ppids 2>/dev/null; }
a=(); for p in "${pids[@]}"; do a+=($(cpu $p)); done
ops=$(echo "$out" | sed -n 's/.* ops=\([0-9]*\) .*/\1/p')
if [ -n "$ppids" ]; then
  for i in 0 1 2; do
    echo -n "perf n$((i+1)) per op:"
    awk -F, -v ops="${ops:-1}" '/^[0-9]/{n=$3; sub(".*sys_enter_","",n); sub("raw_syscalls:sys_enter","syscalls",n); printf " %s=%.2f", n, $1/ops}' $tmp/perf$i; echo
  done
fi
echo "$out" | grep -v '^GEN' | grep -v '^error' | head -3
gen=$(echo "$out" | sed -n 's/^GEN \(.*\) \(.*\)/\1 \2/p')
python3 - "${ops:-0}" "$(getconf CLK_TCK)" "${b[*]}" "${a[*]}" "$gen" <<'PY'
import sys
ops = max(int(sys.argv[1] or 0), 1); tick = int(sys.argv[2])
b = list(map(int, sys.argv[3].split())); a = list(map(int, sys.argv[4].split())); g = list(map(float, sys.argv[5].split()))
us = [(x - y) / tick / ops * 1e6 for x, y in zip(a, b)]
gen = sum(g) / ops * 1e6
print("cpu us/op members=%s sum=%.1f gen=%.1f total=%.1f" % (" ".join("%.1f" % u for u in us), sum(us), gen, sum(us) + gen))
PY
