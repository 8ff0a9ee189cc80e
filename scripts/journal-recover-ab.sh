#!/usr/bin/env bash
# Before/after figures of the journal's recovery (BenchmarkRecover1GiB),
# two revisions alternating in one session, so that both see the same disk
# and the same load.
#
#   scripts/journal-recover-ab.sh OLD_REV NEW_REV [rounds]   (default 3)
#
# Builds the journal's test binary of each revision from `git archive`
# into a temp directory, then runs old, new, old, new, ... Each run is its
# own process that writes a fresh 1 GiB segment and times Open warm, then
# with the segment evicted from the page cache: its first read from the
# disk (a file no earlier run has read, so no run profits from a cache,
# the VM host's included, that an earlier one warmed). Where NEW_REV has
# the raw read sub-benchmark (evicted-read), each round also runs it alone
# in its own process, so that it too is the first read of a fresh file: the
# disk's own rate, no checks. Prints s/open and s/read per run, then the
# load average.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-3}
tmp=$(mktemp -d /tmp/journal-recover-ab.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for rev in "$old" "$new"; do
	mkdir -p "$tmp/src-$rev"
	git archive "$rev" | tar -x -C "$tmp/src-$rev"
	(cd "$tmp/src-$rev" && go test -c -o "$tmp/$rev.test" ./journal)
done
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	for run in "$old Recover1GiB/(warm|evicted)$" "$new Recover1GiB/(warm|evicted)$" \
		"$new Recover1GiB/evicted-read$"; do
		rev=${run%% *} bench=${run#* }
		(cd "$tmp" && TMPDIR=$tmp "$tmp/$rev.test" -test.run '^$' -test.bench "$bench" -test.benchtime 1x -test.timeout 10m) |
			awk -v rev="$rev" -v r="$r" '/^BenchmarkRecover1GiB/ {for (i=2;i<=NF;i++) if ($i=="s/open" || $i=="s/read") printf "round %s %s %s %s %s\n", r, rev, $1, $(i-1), $i}'
	done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
