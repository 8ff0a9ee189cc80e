#!/usr/bin/env bash
# RELIABILITY B5, sustained load: TestSoak's long tier (test/chaos,
# -tags chaos) for MINUTES at RATE records/s, then its timing criteria
# against their targets. The test asserts the counts and bounds (zero errors,
# output == golden, flat goroutines and fds, disk within retention + 1 segment
# per partition, and with a warm-up of 5 min or more RSS growth <= 1 MiB/min
# after it); the rate and the p99 latency are measured and reported here,
# never asserted.
#
#   scripts/soak.sh [MINUTES [RATE]]   (default 30 minutes at 50000 records/s)
#
# CHAOS_SOAK_WARMUP (a duration) overrides the warm-up (default 5 min, a
# third of a run shorter than 15 min). The log goes to .bench/soak.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
rate=${2:-50000}
mkdir -p .bench
echo "soak: ${minutes} min at ${rate} records/s; load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee .bench/soak.txt
status=0
CHAOS_SOAK_DURATION=${minutes}m CHAOS_SOAK_RATE=$rate \
	go test -tags chaos -count=1 -run '^TestSoak$' -v -timeout $((minutes + 15))m ./test/chaos >>.bench/soak.txt 2>&1 || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a .bench/soak.txt
grep -E 'child: soak:|B5 summary|--- (PASS|FAIL)|soak_test.go:[0-9]+: [A-Za-z]' .bench/soak.txt | grep -v 'records at' || true
exit $status
