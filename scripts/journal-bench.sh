#!/usr/bin/env bash
# Journal benchmarks side by side with Redis Streams and NATS JetStream (issue
# 5, Performance), in one run on loopback, printed as one table.
#
#   scripts/journal-bench.sh [seconds [rounds]]
#     seconds per client run (default 5); rounds of the produce runs, in which
#     the three systems take turns (default 3): the table gives the median
#     and the range over the rounds
#
# Installs redis-server and redis-tools from Debian when missing (apt-get;
# needs root) and builds nats-server $NATS_VERSION (default v2.15.3) from the
# Go module proxy with `go install` into the temp directory (GOBIN there, run
# outside this module, so nats-server never enters this module's go.mod;
# Debian bookworm's nats-server 2.9.10 has no setting to fsync before a
# publish ack). It starts each server on 127.0.0.1 with a temporary data
# directory, once per durability mode, and stops it again:
#   durable: Redis appendonly yes + appendfsync always (fsync before the
#            reply); JetStream `sync_interval: always` (fsync of every write
#            before the publish ack); journal: Durable (fsync per ack).
#   relaxed: Redis appendfsync everysec; JetStream file storage with its
#            default sync_interval (2 min); journal: Relaxed (fsync every
#            100 ms).
# A server that refuses the durable setting is reported as n/a instead of
# passing off a relaxed figure as durable.
#
# Every client sends 100-byte records, one record per request. In the rows
# of 1 and 8 producers each producer waits for the acknowledgement before
# the next (no pipelining): redis-benchmark with XADD and -P 1; for
# JetStream a small Go client (nats.go's synchronous js.Publish) built in a
# throwaway module under the temp directory, so nats.go never enters this
# module's go.mod; the journal through `go test -bench`
# (journal/bench_test.go, one Append per record). In the rows "1 pipelined"
# one producer keeps $window records in flight and waits for an ack only
# when the window is full: JetStream's js.PublishAsync with a ring of
# $window futures (the oldest awaited before the next publish), the
# journal's AppendAsync with the same ring (BenchmarkAppend*Pipelined1),
# Redis's redis-benchmark -P $window (a batch of $window requests per round
# trip, the next batch after all its replies). Every ack still means what
# the durability mode says: no system acks a record before its fsync in the
# durable mode. The journal is embedded, so its figures have no network
# hop: the comparison favours it by that much.
# The JetStream client also prints the number of records acked to stderr,
# to set against a count of the server's fsyncs (strace -c).
#
# Recovery: BenchmarkRecover1GiB writes 1 GiB in Relaxed mode into one
# segment, removes the clean-shutdown marker and times Open (scan + CRC
# check of every batch), once with the file in the page cache (just written:
# the CPU side) and once after dropping that file's pages (fadvise
# DONTNEED), so Open reads it from the disk (the VM's host may still cache);
# then, in another process with another fresh segment, the same evicted read
# without the checks: what the disk alone takes.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
root=$PWD
window=256 # records in flight in the pipelined rows (pipeWindow in journal/bench_test.go)

nats_version=${NATS_VERSION:-v2.15.3}
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-benchmark >/dev/null || need+=(redis-tools)
if ((${#need[@]})); then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

tmp=$(mktemp -d /tmp/journal-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
stop_last() {
	local p=${pids[-1]}
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	unset 'pids[-1]'
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load)

results=$tmp/results.tsv
: >"$results"
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }

payload=$(head -c 100 /dev/zero | tr '\0' x)
rport=$((20000 + RANDOM % 10000))
nport=$((rport + 1))

# ---- builds ----------------------------------------------------------------
(
	cd "$tmp"
	GOWORK=off GOFLAGS= GOBIN=$tmp/bin go install "github.com/nats-io/nats-server/v2@$nats_version"
)
nats_server=$tmp/bin/nats-server
nb=$tmp/natsbench
mkdir -p "$nb"
cat >"$nb/main.go" <<'GO'
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	url := flag.String("url", nats.DefaultURL, "server")
	producers := flag.Int("producers", 1, "concurrent producers, one connection each")
	dur := flag.Duration("d", 5*time.Second, "duration")
	size := flag.Int("size", 100, "record bytes")
	window := flag.Int("window", 0, "0: synchronous Publish; n: PublishAsync with n records in flight per producer")
	flag.Parse()
	nc, err := nats.Connect(*url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	js, err := nc.JetStream()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = js.DeleteStream("bench")
	if _, err := js.AddStream(&nats.StreamConfig{Name: "bench", Subjects: []string{"bench"}, Storage: nats.FileStorage, Replicas: 1}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	payload := make([]byte, *size)
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(*dur)
	for range *producers {
		c, err := nats.Connect(*url)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pjs, _ := c.JetStream(nats.PublishAsyncMaxPending(2 * max(*window, 1)))
		wg.Go(func() {
			defer c.Close()
			n := int64(0)
			if *window > 0 {
				// a ring of futures: wait for the oldest ack when full
				ring := make([]nats.PubAckFuture, 0, *window)
				head := 0
				await := func(f nats.PubAckFuture) {
					select {
					case <-f.Ok():
						n++
					case err := <-f.Err():
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
				}
				for time.Now().Before(deadline) {
					f, err := pjs.PublishAsync("bench", payload)
					if err != nil {
						fmt.Fprintln(os.Stderr, err)
						os.Exit(1)
					}
					if len(ring) < *window {
						ring = append(ring, f)
						continue
					}
					await(ring[head])
					ring[head] = f
					head = (head + 1) % *window
				}
				for k := range ring {
					await(ring[(head+k)%len(ring)])
				}
				total.Add(n)
				return
			}
			for time.Now().Before(deadline) {
				if _, err := pjs.Publish("bench", payload); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				n++
			}
			total.Add(n)
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Printf("%.0f\n", float64(total.Load())/el)
	fmt.Fprintf(os.Stderr, "acked %d in %.3f s\n", total.Load(), el)
	_ = js.DeleteStream("bench")
	nc.Close()
}
GO
(
	cd "$nb"
	export GOWORK=off GOFLAGS=-mod=mod
	go mod init natsbench >/dev/null 2>&1
	go get github.com/nats-io/nats.go@v1.37.0 >/dev/null 2>&1
	go build -o natsbench .
)
go test -c -o "$tmp/journal.test" ./journal

redis_name="Redis Streams $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) (XADD)"
nats_name="NATS JetStream $("$nats_server" --version | awk '{print $2}')"
journal_name="strom journal (embedded)"

# ---- servers ---------------------------------------------------------------
redis_start() { # mode fsync
	local d=$tmp/redis-$1
	mkdir -p "$d"
	redis-server --bind 127.0.0.1 --port "$rport" --dir "$d" --save '' \
		--appendonly yes --appendfsync "$2" --daemonize no --logfile "$d/log" &
	pids+=($!)
	for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
nats_ok=1
nats_start() { # mode extra-jetstream-config
	local d=$tmp/nats-$1
	mkdir -p "$d/store"
	cat >"$d/conf" <<EOF
host: 127.0.0.1
port: $nport
jetstream {
  store_dir: "$d/store"
  $2
}
EOF
	nats_ok=1
	if ! "$nats_server" -c "$d/conf" -t >"$d/check" 2>&1; then
		local why
		why=$(grep -o 'unknown field.*' "$d/check" || head -c 60 "$d/check")
		row "$nats_name" "$1" "1" "n/a: server refuses '$2': $why"
		row "$nats_name" "$1" "1 pipelined ($window in flight)" "n/a"
		row "$nats_name" "$1" "8" "n/a"
		nats_ok=0
		return
	fi
	"$nats_server" -c "$d/conf" >"$d/log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do grep -q 'Server is ready' "$d/log" && break; sleep 0.1; done
}

# ---- one client run each ---------------------------------------------------
redis_once() { # connections [pipeline]
	# calibrate the request count to about $secs seconds with a short run
	local probe n rps pl=${2:-1}
	probe=$(redis-benchmark -p "$rport" -c "$1" -n $((2000 * pl)) -P "$pl" --csv XADD s '*' f "$payload" | tail -1 | cut -d, -f2 | tr -d '"')
	n=$(awk -v r="$probe" -v s="$secs" 'BEGIN{printf "%d", r*s}')
	rps=$(redis-benchmark -p "$rport" -c "$1" -n "$n" -P "$pl" --csv XADD s '*' f "$payload" | tail -1 | cut -d, -f2 | tr -d '"')
	redis-cli -p "$rport" del s >/dev/null
	echo "$rps"
}
nats_once() { # producers [window]
	"$nb/natsbench" -url "nats://127.0.0.1:$nport" -producers "$1" -window "${2:-0}" -d "${secs}s"
}
gobench_once() { # benchmark name in journal/bench_test.go
	(cd journal && GOMAXPROCS=2 "$tmp/journal.test" -test.run '^$' -test.bench "^Benchmark$1\$" -test.benchtime "${secs}s") |
		tee -a "$tmp/journal-append.txt" |
		awk '/^Benchmark/ {for (i=2;i<=NF;i++) if ($i=="records/s") print $(i-1)}'
}
journal_once() { gobench_once "Append$1$2"; } # Durable|Relaxed producers

# Per durability mode both servers run at once (each idle while another
# system is measured) and the three systems take turns, rounds times, so
# that a change in the shared disk's fsync latency during the run falls on
# all three alike rather than on whichever ran in that minute.
for mode in durable relaxed; do
	if [[ $mode == durable ]]; then
		redis_start durable always
		nats_start durable 'sync_interval: always'
	else
		redis_start relaxed everysec
		nats_start relaxed ''
	fi
	for r in $(seq "$rounds"); do
		for c in 1 p 8; do
			if [[ $c == p ]]; then
				pc="1 pipelined ($window in flight)"
				row "$redis_name" "$mode" "$pc" "$(redis_once 1 "$window")"
				if ((nats_ok)); then row "$nats_name" "$mode" "$pc" "$(nats_once 1 "$window")"; fi
				row "$journal_name" "$mode" "$pc" "$(journal_once "${mode^}" Pipelined1)"
				continue
			fi
			row "$redis_name" "$mode" "$c" "$(redis_once "$c")"
			if ((nats_ok)); then row "$nats_name" "$mode" "$c" "$(nats_once "$c")"; fi
			row "$journal_name" "$mode" "$c" "$(journal_once "${mode^}" "$c")"
			if [[ $mode == durable && $c == 1 ]]; then
				# the disk's floor for one record in flight (BenchmarkFsyncFloor)
				row "disk floor: write + fsync per record, no journal" "$mode" 1 "$(gobench_once FsyncFloor)"
			fi
		done
	done
	while ((${#pids[@]})); do stop_last; done
done

# ---- journal: consume and recovery ------------------------------------------
jb=$tmp/journal.txt
GOMAXPROCS=1 go test -run '^$' -bench 'Consume' -benchtime "${secs}s" ./journal | tee "$jb" >&2
go test -run '^$' -bench 'Recover1GiB/(warm|evicted)$' -benchtime 1x -timeout 10m ./journal | tee -a "$jb" >&2
# the disk alone: a fresh 1 GiB segment, evicted, read once as Open reads it
# but with no checks (its own process, so this read is the file's first)
go test -run '^$' -bench 'Recover1GiB/evicted-read$' -benchtime 1x -timeout 10m ./journal | tee -a "$jb" >&2
metric() { awk -v b="$1" -v u="$2" '$1 ~ "^Benchmark"b"(-[0-9]+)?$" {for (i=2;i<=NF;i++) if ($i==u) print $(i-1)}' "$jb"; }
row "strom journal Read, GOMAXPROCS=1" "consume" "1" "$(metric Consume records/s)"
row "strom journal Scan, GOMAXPROCS=1" "consume" "1" "$(metric ConsumeScan records/s)"
row "strom journal Open, 1 GiB unclean tail, page cache warm" "recovery" "-" "$(metric Recover1GiB/warm s/open) s"
row "strom journal Open, 1 GiB unclean tail, files evicted from page cache" "recovery" "-" "$(metric Recover1GiB/evicted s/open) s"
row "the same 1 GiB read from the disk, evicted, no checks (the disk's share)" "recovery" "-" "$(metric Recover1GiB/evicted-read s/read) s"

echo
echo "100-byte records, one per request; 1 and 8 producers: ack awaited before the next; 1 pipelined: $window in flight; ${secs}s per run; $(date -u +%FT%TZ)"
echo "load average (1, 5, 15 min) at the start: $load_start; at the end: $(load); $(go version | cut -d' ' -f3)"
printf '| %s | %s | %s | %s |\n|---|---|---|---|\n' system mode producers "records/s, median of $rounds (range)"
# one line per (system, mode, producers): the median of its values, and
# their range when there are several
awk -F'\t' '
function fmt(x) { return (x ~ /^[0-9.]+$/ && x + 0 >= 10) ? sprintf("%.0f", x) : x }
{
	k = $1 "\t" $2 "\t" $3
	if (!(k in n)) { order[++keys] = k }
	v[k, ++n[k]] = $4
}
END {
	for (i = 1; i <= keys; i++) {
		k = order[i]; m = n[k]
		for (a = 2; a <= m; a++) { x = v[k, a]; for (b = a - 1; b >= 1 && v[k, b] + 0 > x + 0; b--) v[k, b + 1] = v[k, b]; v[k, b + 1] = x }
		med = (m % 2) ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2
		out = fmt(med)
		if (m > 1) out = out " (" fmt(v[k, 1]) "-" fmt(v[k, m]) ")"
		split(k, f, "\t")
		r = (f[2] == "durable") ? 1 : (f[2] == "relaxed") ? 2 : (f[2] == "consume") ? 3 : 4
		print r "\t" f[3] "\t" i "\t" k "\t" out
	}
}' "$results" | sort -t$'\t' -k1,1n -k2,2 -k3,3n | cut -f4- |
	awk -F'\t' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}'
