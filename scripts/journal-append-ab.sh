#!/usr/bin/env bash
# Before/after figures of the journal's produce path: two revisions of the
# journal's append benchmarks alternating in one session, next to NATS
# JetStream and the disk's floor, so that all see the same disk and load.
#
#   scripts/journal-append-ab.sh OLD_REV NEW_REV [rounds [seconds]]   (defaults 5, 5)
#   ROWS=durable1 scripts/journal-append-ab.sh ...   (only the rows of one
#                                                   synchronous durable producer)
#
# Builds the journal's test binary of each revision from `git archive`, and
# nats-server $NATS_VERSION (default v2.15.3) and the JetStream client of
# scripts/journal-bench.sh as that script does (go install / go build in the
# temp directory, outside this module). Per round, durable mode (JetStream
# `sync_interval: always`, journal Durable): JetStream with 1 synchronous
# producer, BenchmarkAppendDurable1 of both revisions, BenchmarkFsyncFloor
# (the disk's floor for one record in flight) and BenchmarkFsyncFloorHandoff
# (the same behind a goroutine hand-off), BenchmarkAppendDurablePipelined1
# of both, JetStream with 8 producers, BenchmarkAppendDurable8 of both; then
# relaxed mode, the journal only: BenchmarkAppendRelaxed{1,Pipelined1,8} of
# both. The two revisions swap places every round (old first in odd rounds,
# new first in even ones). Every run is $seconds long and its own process.
# Then the CPU time per record (user + system, /usr/bin/time) of
# BenchmarkAppendDurable1 and BenchmarkAppendRelaxed1 of both revisions,
# alternating, $rounds rounds: the CPU seconds of a run of $cpu_big records
# less those of a run of $cpu_small (which also has the process's start and
# the journal's set-up), divided by the difference.
# Prints one line per run (records/s), a table of medians and ranges, and,
# when benchstat is on PATH (or in $(go env GOPATH)/bin), benchstat of the
# journal's runs, old against new; the load average at the start and end.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-5} secs=${4:-5}
rows=${ROWS:-all}
nats_version=${NATS_VERSION:-v2.15.3}
tmp=$(mktemp -d /tmp/journal-append-ab.XXXXXX)
spid=
cleanup() {
	if [[ -n $spid ]]; then
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

for rev in "$old" "$new"; do
	mkdir -p "$tmp/src-$rev"
	git archive "$rev" | tar -x -C "$tmp/src-$rev"
	(cd "$tmp/src-$rev" && go test -c -o "$tmp/$rev.test" ./journal)
done
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
port=$((20000 + RANDOM % 10000))
mkdir -p "$tmp/nats/store"
cat >"$tmp/nats/conf" <<EOF
host: 127.0.0.1
port: $port
jetstream {
  store_dir: "$tmp/nats/store"
  sync_interval: always
}
EOF

results=$tmp/results.tsv
: >"$results"
# one run: label, records/s
row() {
	printf '%s\t%s\n' "$1" "$2" >>"$results"
	printf 'round %s  %-34s %s\n' "$r" "$1" "$2"
}
tag() { if [[ $1 == "$old" ]]; then echo old; else echo new; fi; }
# jrun rev benchmark [file]: records/s; the benchmark line goes to
# $tmp/old.txt or new.txt (benchstat's input), or to file
jrun() {
	mkdir -p "$tmp/run"
	(cd "$tmp/run" && TMPDIR=$tmp/run GOMAXPROCS=2 "$tmp/$1.test" -test.run '^$' -test.bench "^Benchmark$2\$" -test.benchtime "${secs}s") |
		grep '^Benchmark' | tee -a "${3:-$tmp/$(tag "$1").txt}" |
		awk '{for (i=2;i<=NF;i++) if ($i=="records/s") print $(i-1)}'
}
nrun() { # producers
	"$tmp/nb/natsbench" -url "nats://127.0.0.1:$port" -producers "$1" -window 0 -d "${secs}s" 2>/dev/null || echo failed
}
both() { # benchmark label: both revisions, in the round's order
	local a=$old b=$new
	if ((r % 2 == 0)); then a=$new b=$old; fi
	row "$2 $(tag "$a")" "$(jrun "$a" "$1")"
	row "$2 $(tag "$b")" "$(jrun "$b" "$1")"
}

echo "old $old, new $new; $rounds rounds of ${secs}s runs; $(go version | cut -d' ' -f3); nats-server $nats_version"
echo "start $(date -u +%FT%TZ), load average $(load)"
"$tmp/bin/nats-server" -c "$tmp/nats/conf" >"$tmp/nats/log" 2>&1 &
spid=$!
for _ in $(seq 300); do grep -q 'Server is ready' "$tmp/nats/log" && break; sleep 0.1; done
for r in $(seq "$rounds"); do
	row "durable 1 JetStream" "$(nrun 1)"
	both AppendDurable1 "durable 1 journal"
	row "durable 1 floor" "$(jrun "$new" FsyncFloor "$tmp/floor.txt")"
	row "durable 1 floor with hand-off" "$(jrun "$new" FsyncFloorHandoff "$tmp/floor.txt")"
	[[ $rows == durable1 ]] && continue
	both AppendDurablePipelined1 "durable 1-pipelined journal"
	row "durable 8 JetStream" "$(nrun 8)"
	both AppendDurable8 "durable 8 journal"
	both AppendRelaxed1 "relaxed 1 journal"
	both AppendRelaxedPipelined1 "relaxed 1-pipelined journal"
	both AppendRelaxed8 "relaxed 8 journal"
done
kill "$spid"
wait "$spid" 2>/dev/null || true
spid=
echo "CPU per record (start $(date -u +%FT%TZ), load average $(load))"
cpu_big=${CPU_BIG:-4000} cpu_small=$((${CPU_BIG:-4000} / 10))
# cpus rev benchmark count: user + system seconds of one run
cpus() {
	(cd "$tmp/run" && TMPDIR=$tmp/run GOMAXPROCS=2 /usr/bin/time -f '%U %S' -o "$tmp/time" "$tmp/$1.test" -test.run '^$' -test.bench "^Benchmark$2\$" -test.benchtime "$3x") >/dev/null
	awk '{print $1 + $2}' "$tmp/time"
}
for r in $(seq "$rounds"); do
	for bench in AppendDurable1 AppendRelaxed1; do
		big=$cpu_big small=$cpu_small
		if [[ $bench == AppendRelaxed1 ]]; then big=$((cpu_big * 250)) small=$((cpu_small * 250)); fi
		order=("$old" "$new")
		if ((r % 2 == 0)); then order=("$new" "$old"); fi
		for rev in "${order[@]}"; do
			b=$(cpus "$rev" "$bench" "$big")
			a=$(cpus "$rev" "$bench" "$small")
			row "cpu-µs/record $bench $(tag "$rev")" "$(awk -v a="$a" -v b="$b" -v n=$((big - small)) 'BEGIN {printf "%.2f", (b - a) / n * 1e6}')"
		done
	done
done
echo "end $(date -u +%FT%TZ), load average $(load)"
echo
printf '| %s | %s |\n|---|---|\n' run "records/s, median of $rounds (range)"
awk -F'\t' '
{ if (!($1 in n)) order[++k] = $1; v[$1, ++n[$1]] = $2 }
END {
	for (i = 1; i <= k; i++) {
		key = order[i]; m = n[key]
		for (a = 2; a <= m; a++) { x = v[key, a]; for (b = a - 1; b >= 1 && v[key, b] + 0 > x + 0; b--) v[key, b + 1] = v[key, b]; v[key, b + 1] = x }
		med = (m % 2) ? v[key, (m + 1) / 2] : (v[key, m / 2] + v[key, m / 2 + 1]) / 2
		f = (key ~ /^cpu/) ? "%.2f" : "%.0f"
		printf "| %s | " f " (" f "-" f ") |\n", key, med, v[key, 1], v[key, m]
	}
}' "$results"
bs=$(command -v benchstat || echo "$(go env GOPATH)/bin/benchstat")
if [[ -x $bs ]]; then
	echo
	(cd "$tmp" && "$bs" old.txt new.txt)
fi
