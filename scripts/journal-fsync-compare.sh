#!/usr/bin/env bash
# Why is one synchronous durable producer slower on the journal than on NATS
# JetStream (issue 5)? Three measurements, each taking turns so that the
# shared disk's minute falls on all alike:
#
#   scripts/journal-fsync-compare.sh [rounds [seconds]]   (defaults 3, 5)
#
# 1. under strace (-f -tt -T -y, the data writes and syncs): JetStream
#    (nats-server $NATS_VERSION, sync_interval: always, journal-bench.sh's
#    client with one synchronous producer for $seconds), the journal's
#    BenchmarkAppendDurable1 and BenchmarkFsyncFloor (3000 records each);
#    per run: the calls on the data file by kind, and the time of one
#    fsync/fdatasync of it (median, mean, 90th percentile, in µs). strace
#    slows every system call, so the rates of this pass are not the table's.
# 2. without strace: the same three, $seconds each, records/s, and
#    BenchmarkFsyncFloorHandoff (the floor's write and fsync done by a
#    second goroutine, with the channel hand-offs of Append).
# 3. BenchmarkDurableWrite (journal/bench_prealloc_linux_test.go, 2000
#    writes per way): append + fsync against overwrites of zero-filled or
#    fallocated space, on the filesystem of $TMPDIR (printed).
#
# Builds nats-server as journal-bench.sh does (go install in the temp
# directory, outside this module) and its JetStream client from the source
# in journal-bench.sh. Installs strace from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-5}
nats_version=${NATS_VERSION:-v2.15.3}
command -v strace >/dev/null || {
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null
}
tmp=$(mktemp -d /tmp/journal-fsync.XXXXXX)
spid=
cleanup() {
	if [[ -n $spid ]]; then
		pkill -P "$spid" 2>/dev/null || true
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

(cd "$tmp" && GOWORK=off GOFLAGS= GOBIN=$tmp/bin go install "github.com/nats-io/nats-server/v2@$nats_version")
mkdir -p "$tmp/nb"
sed -n '/^cat >"\$nb\/main.go" <<.GO.$/,/^GO$/p' scripts/journal-bench.sh | sed '1d;$d' >"$tmp/nb/main.go"
(
	cd "$tmp/nb"
	export GOWORK=off GOFLAGS=-mod=mod
	go mod init natsbench >/dev/null 2>&1
	go get github.com/nats-io/nats.go@v1.37.0 >/dev/null 2>&1
	go build -o natsbench .
)
go test -c -o "$tmp/journal.test" ./journal
port=$((20000 + RANDOM % 10000))
mkdir -p "$tmp/nats"
cat >"$tmp/nats/conf" <<EOF
host: 127.0.0.1
port: $port
jetstream {
  store_dir: "$tmp/nats/store"
  sync_interval: always
}
EOF

# nats_run [strace-output]: a fresh server (under strace when given), one
# synchronous producer for $secs, the server stopped; prints records/s
nats_run() {
	rm -rf "$tmp/nats/store"
	if [[ -n ${1:-} ]]; then
		strace -f -tt -T -y -e trace=write,pwrite64,fsync,fdatasync -o "$1" "$tmp/bin/nats-server" -c "$tmp/nats/conf" >"$tmp/nats/log" 2>&1 &
	else
		"$tmp/bin/nats-server" -c "$tmp/nats/conf" >"$tmp/nats/log" 2>&1 &
	fi
	spid=$!
	for _ in $(seq 300); do grep -q 'Server is ready' "$tmp/nats/log" && break; sleep 0.1; done
	"$tmp/nb/natsbench" -url "nats://127.0.0.1:$port" -producers 1 -window 0 -d "${secs}s" 2>"$tmp/nats/client" ||
		echo "failed: $(head -c 100 "$tmp/nats/client")"
	if [[ -n ${1:-} ]]; then pkill -P "$spid" || true; else kill "$spid"; fi
	wait "$spid" 2>/dev/null || true
	spid=
}
# jrun benchmark benchtime [strace-output]: prints records/s
jrun() {
	local pre=()
	[[ -n ${3:-} ]] && pre=(strace -f -tt -T -y -e trace=write,pwrite64,fsync,fdatasync -o "$3")
	(cd journal && GOMAXPROCS=2 "${pre[@]}" "$tmp/journal.test" -test.run '^$' -test.bench "^Benchmark$1\$" -test.benchtime "$2") |
		awk '/^Benchmark/ {for (i=2;i<=NF;i++) if ($i=="records/s") print $(i-1)}'
}
# stats strace-output file-pattern: the calls on the file by kind, and the
# time of one sync of it
stats() {
	awk -v pat="$2" '
	{ pid = $1 }
	$3 ~ /^(write|pwrite64|fsync|fdatasync)\(/ && index($0, pat) {
		split($3, a, "("); k = a[1]; n[k]++
		if (k ~ /sync/) { if ($0 ~ /unfinished/) pend[pid] = 1; else if (match($0, /<[0-9.]+>$/)) print substr($0, RSTART+1, RLENGTH-2) > "/dev/stderr" }
		next
	}
	$3 == "<..." && pend[pid] && $4 ~ /sync/ { pend[pid] = 0; if (match($0, /<[0-9.]+>$/)) print substr($0, RSTART+1, RLENGTH-2) > "/dev/stderr" }
	END { for (k in n) printf "%s %d  ", k, n[k] }' "$1" 2>"$1.sync"
	sort -n "$1.sync" | awk '{v[NR] = $1; s += $1} END {printf "| sync p50 %.0f µs, mean %.0f, p90 %.0f\n", v[int(NR/2)+1]*1e6, s/NR*1e6, v[int(NR*0.9)]*1e6}'
}

echo "filesystem of $tmp: $(stat -f -c %T "$tmp"); $(go version | cut -d' ' -f3); nats-server $nats_version"
echo "== 1. under strace: calls on the data file, time of one sync (start $(date -u +%T), load $(load))"
for r in $(seq "$rounds"); do
	n=$(nats_run "$tmp/n.st")
	echo "round $r JetStream  ($n records/s): $(stats "$tmp/n.st" 'msgs/1.blk')"
	j=$(jrun AppendDurable1 3000x "$tmp/j.st")
	echo "round $r journal    ($j records/s): $(stats "$tmp/j.st" '.log>')"
	f=$(jrun FsyncFloor 3000x "$tmp/f.st")
	echo "round $r disk floor ($f records/s): $(stats "$tmp/f.st" '/f>')"
done
echo "== 2. without strace, records/s (start $(date -u +%T), load $(load))"
for r in $(seq "$rounds"); do
	n=$(nats_run)
	j=$(jrun AppendDurable1 "${secs}s")
	f=$(jrun FsyncFloor "${secs}s")
	h=$(jrun FsyncFloorHandoff "${secs}s")
	echo "round $r JetStream $n journal $j floor $f floor-with-handoff $h"
done
echo "== 3. BenchmarkDurableWrite, 2000 writes per way (start $(date -u +%T), load $(load))"
for r in $(seq "$rounds"); do
	(cd journal && GOMAXPROCS=2 "$tmp/journal.test" -test.run '^$' -test.bench '^BenchmarkDurableWrite$' -test.benchtime 2000x) |
		awk -v r="$r" '/^Benchmark/ {
			printf "round %s %s (µs per write and sync, median/mean):", r, substr($1, 23)
			for (i = 3; i < NF; i += 2) { u = $(i+1); w = u; sub(/-p50-us$|-us\/w$/, "", w); if (u ~ /p50/) p[w] = $i; else m[w] = $i; if (!(w in seen)) { seen[w] = 1; order[++k] = w } }
			for (j = 1; j <= k; j++) printf " %s %.0f/%.0f", order[j], p[order[j]], m[order[j]]
			print ""; delete p; delete m; delete seen; k = 0
		}'
done
echo "end $(date -u +%T), load $(load)"
