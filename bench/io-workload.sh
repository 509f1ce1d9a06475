#!/bin/bash
# Workspace I/O workload, run unchanged on the host and inside a sandbox (via `paddock exec`):
# create, read and stat 10,000 small files, then one 1 GiB sequential write flushed to disk.
# Times are taken inside, so process start-up and exec round trips are not counted.
# Prints one JSON line of milliseconds.
set -euo pipefail
dir="$1/.paddock-bench-io"
rm -rf "$dir"
mkdir -p "$dir/small"
now() { date +%s%N; }
t0=$(now)
for ((i = 0; i < 10000; i++)); do printf 'small file %d\n' "$i" > "$dir/small/f$i"; done
t1=$(now)
cat "$dir"/small/* > /dev/null
t2=$(now)
stat -c %s "$dir"/small/* > /dev/null
t3=$(now)
dd if=/dev/zero of="$dir/big" bs=1M count=1024 conv=fsync status=none
t4=$(now)
rm -rf "$dir"
ms() { echo $((($2 - $1) / 1000000)); }
printf '{"create":%s,"read":%s,"stat":%s,"write1g":%s}\n' "$(ms $t0 $t1)" "$(ms $t1 $t2)" "$(ms $t2 $t3)" "$(ms $t3 $t4)"
