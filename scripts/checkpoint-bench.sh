#!/usr/bin/env bash
# Checkpoint overhead (BENCHMARKS.md, "Fault tolerance"): each query runs
# without checkpoints and with --checkpoint-interval, alternating (off, on,
# off, on, ...) so that both see the same machine load, REPS times each, every
# run a process of its own (strom nexmark bench --json). Prints, per query,
# the medians of both modes, the ratios with/without of events/s (wall) and
# events/s/core, and the medians of the checkpoint figures; with a binary
# that reports checkpoint_upload_cpu_seconds (Linux), also the uploader's CPU
# seconds (median, min-max) and per checkpoint, measured on its own thread:
# steadier than the difference of two runs' CPU seconds on a loaded machine
# (a loaded run lasts longer, so it takes more 1 s checkpoints).
#
#   scripts/checkpoint-bench.sh [REPS] [EVENTS] [INTERVAL] [QUERIES]
#   scripts/checkpoint-bench.sh 5 10000000 1s q5,q9      (the defaults)
#
# STROM=path runs that binary instead of building ./cmd/strom. BASE=path
# adds a second binary (a baseline build) whose runs interleave with those
# of the first (base off, base on, new off, new on, ...), and prints both.
# Raw JSON lines: .bench/checkpoint-<UTC time>.jsonl. Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
events=${2:-10000000}
interval=${3:-1s}
queries=${4:-q5,q9}
mkdir -p .bench
strom=${STROM:-}
if [ -z "$strom" ]; then
	go build -o .bench/strom ./cmd/strom
	strom=.bench/strom
fi
out=.bench/checkpoint-$(date -u +%Y%m%dT%H%M%SZ).jsonl
: >"$out"
bins=(new)
[ -n "${BASE:-}" ] && bins=(base new)
for ((i = 1; i <= reps; i++)); do
	for q in ${queries//,/ }; do
		for bin in "${bins[@]}"; do
			exe=$strom
			[ "$bin" = base ] && exe=$BASE
			for mode in off on; do
				args=(nexmark bench --json --queries "$q" --events "$events")
				[ "$mode" = on ] && args+=(--checkpoint-interval "$interval")
				echo "run $i/$reps $q $bin checkpoints $mode" >&2
				"$exe" "${args[@]}" 2>/dev/null | jq -c --arg mode "$mode" --arg bin "$bin" '. + {mode: $mode, bin: $bin}' >>"$out"
			done
		done
	done
done
echo "strom nexmark bench, $events events per run, $reps runs per mode, alternating; checkpoints every $interval; medians"
echo
jq -rs '
	def median: sort | if length == 0 then 0 elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def si: if . >= 1e6 then "\(. / 1e4 | round / 100) M" elif . >= 1e3 then "\(. / 10 | round / 100) K" else "\(.)" end;
	group_by([.query, .bin])[] as $g
	| ($g | map(select(.mode == "off"))) as $off
	| ($g | map(select(.mode == "on"))) as $on
	| ($off | map(.events_per_second) | median) as $w0
	| ($on | map(.events_per_second) | median) as $w1
	| ($off | map(.events_per_core_second) | median) as $c0
	| ($on | map(.events_per_core_second) | median) as $c1
	| (if $g[0].bin == "base" then " (BASE)" else "" end) as $tag
	| "\($g[0].query)\($tag): events/s \($w0 | si) -> \($w1 | si) (ratio \($w1 / $w0 * 1000 | round / 1000)); events/s/core \($c0 | si) -> \($c1 | si) (ratio \($c1 / $c0 * 1000 | round / 1000)); wall s \($off | map(.wall_seconds) | median) -> \($on | map(.wall_seconds) | median)\n" +
	  "    with checkpoints: \($on | map(.checkpoints // 0) | median) completed, \($on | map(.checkpoints_failed // 0) | add) failed, mean \($on | map(.checkpoint_ms_mean // 0) | median) ms, max \($on | map(.checkpoint_ms_max // 0) | median) ms, size last \($on | map(.checkpoint_bytes_last // 0) | median / 1048576 * 100 | round / 100) MiB, largest \($on | map(.checkpoint_bytes_max // 0) | median / 1048576 * 100 | round / 100) MiB; peak RSS \($off | map(.peak_rss_bytes) | median / 1048576 | round) -> \($on | map(.peak_rss_bytes) | median / 1048576 | round) MiB" +
	  (($on | map(select(.checkpoint_upload_cpu_seconds != null))) as $up
	   | if ($up | length) == 0 then "" else
	     "\n    uploader CPU s \($up | map(.checkpoint_upload_cpu_seconds) | median) (\($up | map(.checkpoint_upload_cpu_seconds) | min)-\($up | map(.checkpoint_upload_cpu_seconds) | max)), per checkpoint ms \($up | map(.checkpoint_upload_cpu_seconds / ((.checkpoints // 1) | if . < 1 then 1 else . end) * 1000) | median * 10 | round / 10), share of the run'"'"'s CPU \($up | map(.checkpoint_upload_cpu_seconds / .cpu_seconds) | median * 1000 | round / 1000)" end)
' "$out"
echo
echo "raw: $out"
