#!/bin/bash
# Hello requests/s of two `gloam` binaries in one run on one machine: each
# serves the bench canvas (a fresh SQLite store) on core 0 while wrk loads it
# from core 1; the binaries take turns, three rounds each.
#   bench/scripts/ab-hello.sh OLD_GLOAM NEW_GLOAM [extra serve flags, e.g. --no-traces]
set -u
old=$1 new=$2; shift 2
canvas=$(cd "$(dirname "$0")/../canvas" && pwd)
run() {
  local binary=$1 port=$2 label=$3; shift 3
  local store; store=$(mktemp -d)
  taskset --cpu-list 0 "$binary" serve --store "sqlite://$store/gloam.db" --listen "127.0.0.1:$port" \
    --canvas bench --load "$canvas" "$@" > "$store/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/@bench/hello/x" && break; sleep 0.1; done
  taskset --cpu-list 1 wrk -t1 -c64 -d2s "http://127.0.0.1:$port/@bench/hello/world" > /dev/null
  local rate
  rate=$(taskset --cpu-list 1 wrk -t1 -c64 -d10s "http://127.0.0.1:$port/@bench/hello/world" | awk '/Requests\/sec/ {print $2}')
  kill "$pid"; wait "$pid" 2>/dev/null
  rm -rf "$store"
  echo "$label $rate"
}
for _ in 1 2 3; do
  run "$old" 18081 old "$@"
  run "$new" 18082 new "$@"
done
