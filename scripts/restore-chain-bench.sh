#!/usr/bin/env bash
# Restore time of keyed state from a full checkpoint and from chains
# (BENCHMARKS.md, "Restore time for 1 GiB of keyed state"): runs
# BenchmarkRestore1GiB (internal/cluster) with STROM_RESTORE_DELTAS set to
# each of CHAINS in turn, ROUNDS times (0, 16, 64, 0, 16, 64, ...: every
# configuration sees the same machine load), each run a process of its own
# timing the restore BENCHTIME times. Prints, per chain length, the median
# and range (min-max) over the runs of restore-s (wall) and restore-cpu-s,
# and the bytes read per restore (read-MiB), with the load average before
# and after.
#
#   scripts/restore-chain-bench.sh [ROUNDS] [CHAINS] [BENCHTIME]
#   scripts/restore-chain-bench.sh 3 0,16,64 3x       (the defaults)
#
# STROM_RESTORE_BYTES and STROM_RESTORE_TURNOVER pass through (1 GiB and
# 10 per mille by default). BASE=path adds a baseline test binary (built
# with `go test -c -o path ./internal/cluster` at another commit) whose runs
# interleave with this tree's (base 0, new 0, base 16, new 16, ...); the
# table then has a row per binary and chain length.
# Raw lines: .bench/restore-chain-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
chains=${2:-0,16,64}
benchtime=${3:-3x}
mkdir -p .bench
out=.bench/restore-chain-$(date -u +%Y%m%dT%H%M%SZ).txt
: >"$out"
go test -c -o .bench/cluster.test ./internal/cluster
echo "start $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg) commit $(git rev-parse --short HEAD)"
bins=(new)
[ -n "${BASE:-}" ] && bins=(base new)
for ((i = 1; i <= rounds; i++)); do
	for d in ${chains//,/ }; do
		for bin in "${bins[@]}"; do
			exe=.bench/cluster.test
			[ "$bin" = base ] && exe=$BASE
			line=$(STROM_RESTORE_DELTAS=$d "$exe" -test.run '^$' -test.bench Restore1GiB -test.benchtime "$benchtime" | grep '^BenchmarkRestore1GiB')
			echo "$bin/$d $line" >>"$out"
			echo "round $i $bin deltas $d: $line"
		done
	done
done
echo "end $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
# metric NAME of a line: the number before the word NAME.
metric() { awk -v n="$1" '{for (i = 2; i <= NF; i++) if ($i == n) print $(i-1)}'; }
med() { sort -g | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2f (%.2f-%.2f)", m, a[1], a[NR]}'; }
printf '%-10s %-22s %-22s %s\n' bin/deltas 'restore-s med (range)' 'restore-cpu-s med (range)' 'read-MiB'
for d in ${chains//,/ }; do
	for bin in "${bins[@]}"; do
		rows=$(awk -v d="$bin/$d" '$1 == d' "$out")
		printf '%-10s %-22s %-22s %s\n' "$bin/$d" "$(metric restore-s <<<"$rows" | med)" "$(metric restore-cpu-s <<<"$rows" | med)" "$(metric read-MiB <<<"$rows" | med)"
	done
done
