#!/usr/bin/env bash
# The SQL versions of the Nexmark queries that have a published Flink figure
# (the Nexmark spec, ../shared/nexmark/SPEC.md from the checkout root, §4: q0-q2, q5, q7, q8, q11, q4, q9, q20) against those figures.
# Each query runs --runs times (default 3) through
#
#   strom nexmark bench --sql --json --queries Q --events N
#
# (one process per run, the generator inside the measure as in the spec's
# figures), the runs of the queries interleaved; the table gives the median
# and the range of events per CPU second of the process, the three Flink
# rows of SPEC.md §4, and the median over the best of them.
#
#   scripts/sql-vs-flink.sh                      # 3 runs of 2,000,000 events
#   RUNS=5 EVENTS=3000000 scripts/sql-vs-flink.sh
#   QUERIES=q4,q9 scripts/sql-vs-flink.sh
#
# The runs are kept in .bench/sql-vs-flink-<UTC time>.jsonl (git-ignored),
# the table in the .txt next to it. Only the Flink figures below are
# written in this file; every strom figure comes from the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
events=${EVENTS:-2000000}
queries=${QUERIES:-q0,q1,q2,q5,q7,q8,q11,q4,q9,q20}
mkdir -p .bench
go build -o .bench/strom ./cmd/strom
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=.bench/sql-vs-flink-$stamp
: >"$out.jsonl"
echo "start $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)" >"$out.txt"
for run in $(seq "$runs"); do
	for q in ${queries//,/ }; do
		echo "run $run/$runs: $q" >&2
		.bench/strom nexmark bench --sql --json --queries "$q" --events "$events" >>"$out.jsonl"
	done
done
echo "end   $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out.txt"

# Published Flink per-core events/s, SPEC.md §4 ("Published throughput"),
# rows Flink 1.13 (nexmark repo V1, 8 slots), Flink 2.x (nexmark repo V2)
# and Flink on 16 cores (Feldera's table). q0-q2 are published as one range
# per row; each of q0, q1, q2 is given the top of that range (the figure
# most favourable to Flink).
flink='q0 175000 414000 195000
q1 175000 414000 195000
q2 175000 414000 195000
q5 22000 75000 41000
q7 12000 23000 18000
q8 146000 162000 131000
q11 40000 46000 34000
q4 34000 28000 31000
q9 14000 14000 13000
q20 19000 18000 17000'

{
	echo "strom nexmark bench --sql, $events events per run, $runs runs per query, parallelism 1"
	echo
	awk -v queries="$queries" -v flink="$flink" '
	function human(x) { return x >= 1e6 ? sprintf("%.2f M", x/1e6) : sprintf("%.0f K", x/1e3) }
	BEGIN {
		n = split(flink, lines, "\n")
		for (i = 1; i <= n; i++) { split(lines[i], f, " "); f13[f[1]] = f[2]; f2[f[1]] = f[3]; f16[f[1]] = f[4] }
	}
	{
		match($0, /"query":"[^"]*"/); q = substr($0, RSTART + 9, RLENGTH - 10)
		match($0, /"events_per_core_second":[0-9.e+]*/); v = substr($0, RSTART + 25, RLENGTH - 25) + 0
		cnt[q]++; val[q, cnt[q]] = v
	}
	END {
		print "| query | SQL events/s/core (median; range) | Flink 1.13 | Flink 2.x | Flink 16-core | SQL / best Flink |"
		print "|---|---|---|---|---|---|"
		nq = split(queries, qs, ",")
		for (k = 1; k <= nq; k++) {
			q = qs[k]; m = cnt[q]
			if (m == 0) { printf "| %s | no run |  |  |  |  |\n", q; continue }
			for (i = 1; i <= m; i++) s[i] = val[q, i]
			for (i = 2; i <= m; i++) { x = s[i]; for (j = i - 1; j >= 1 && s[j] > x; j--) s[j+1] = s[j]; s[j+1] = x }
			med = (m % 2) ? s[(m+1)/2] : (s[m/2] + s[m/2+1]) / 2
			best = f13[q]; if (f2[q] > best) best = f2[q]; if (f16[q] > best) best = f16[q]
			ratio = best > 0 ? sprintf("%.1f", med / best) : "-"
			printf "| %s | %s (%s-%s) | %s | %s | %s | %s |\n", q, human(med), human(s[1]), human(s[m]), human(f13[q]), human(f2[q]), human(f16[q]), ratio
		}
	}' "$out.jsonl"
	echo
	echo "Flink: published per-core figures of SPEC.md §4 (other hardware, other setups; q0-q2 the top of the published range)."
} | tee -a "$out.txt"
echo "saved: $out.jsonl $out.txt" >&2
