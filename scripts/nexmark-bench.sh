#!/usr/bin/env bash
# Nexmark benchmark of every registered query (strom nexmark bench): each
# query runs in a process of its own over the built-in generator into a
# discarding sink, with the hand-written baselines where there is one (q0,
# q1, q2, q5, q7, q8); then q0 again with the generator paced at half its
# measured throughput, for the latency under that load. Output, under
# .bench/ (git-ignored):
#
#   .bench/nexmark-<UTC time>.jsonl        one JSON object per query (--json)
#   .bench/nexmark-<UTC time>-half.jsonl   q0 with --latency-at-half
#   .bench/nexmark-<UTC time>.txt          both as tables (strom nexmark bench --from)
#
#   scripts/nexmark-bench.sh [flags of strom nexmark bench]
#   scripts/nexmark-bench.sh --events 20000000 --parallelism 2
#
# Progress goes to the terminal (stderr). A failing query does not stop the
# others; the script then exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .bench
go build -o .bench/strom ./cmd/strom
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=.bench/nexmark-$stamp
status=0
.bench/strom nexmark bench --json --baseline "$@" >"$out.jsonl" || status=$?
.bench/strom nexmark bench --json --queries q0 --latency-at-half "$@" >"$out-half.jsonl" || status=$?
{
	.bench/strom nexmark bench --from "$out.jsonl"
	echo
	.bench/strom nexmark bench --from "$out-half.jsonl"
} | tee "$out.txt"
echo "saved: $out.jsonl $out-half.jsonl $out.txt" >&2
exit "$status"
