#!/usr/bin/env bash
# Engine-core benchmarks for BENCHMARKS.md: each engine benchmark runs in the
# same `go test` invocation as its hand-written baseline, -count times, and
# benchstat summarises. Figures per core use CPU seconds (rec/cpu-s).
#
#   scripts/bench.sh [count]      (default count 6; writes .bench/core.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
mkdir -p .bench
command -v benchstat >/dev/null || go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
export PATH="$PATH:$(go env GOPATH)/bin"
go test -run '^$' -count "$count" -benchtime 20000000x \
	-bench 'ChainedMapFilter|HandLoopMapFilter|HandFuncLoopMapFilter|KeyedShuffleCount|KeyedShuffleWindowCount|HandLoopWindowCount' \
	./stream | tee .bench/core.txt
go test -run '^$' -count "$count" -benchtime 20000000x -bench 'WindowCount' ./internal/operator | tee -a .bench/core.txt
benchstat .bench/core.txt
