package streamsql_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// dedupInput writes n random rows of t (k STRING, v BIGINT, ts
// TIMESTAMP(3)): few keys (one of them NULL), times from a small range
// (ties), out of order, some far behind the watermark (late), some NULL.
func dedupInput(t *testing.T, dir string, rng *rand.Rand, n int) {
	t.Helper()
	var in strings.Builder
	for i := range n {
		k := `null`
		if j := rng.IntN(5); j > 0 {
			k = fmt.Sprintf("%q", fmt.Sprintf("k%d", j))
		}
		sec := i/3 + rng.IntN(4) // mostly rising, out of order by a few seconds
		if rng.IntN(8) == 0 {
			sec = rng.IntN(max(1, i/3)) // late: well behind the watermark
		}
		ts := fmt.Sprintf(`"2024-01-01 00:%02d:%02d"`, sec/60%60, sec%60)
		if rng.IntN(15) == 0 {
			ts = "null"
		}
		fmt.Fprintf(&in, `{"k": %s, "v": %d, "ts": %s}`+"\n", k, i, ts)
	}
	if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "input", "t.jsonl"), []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// byTable splits runCase's rows by table, dropping the row number column
// (the Rank plan's rn, always 1) and the table name, so the two plans'
// changelogs compare line by line.
func byTable(rows string) map[string][]string {
	out := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(rows), "\n") {
		if l == "" {
			continue
		}
		i := strings.Index(l, `,"op"`)
		name := strings.Trim(l[len(`{"table":`):i], `"`)
		l = "{" + l[i+1:]
		l = strings.Replace(l, `,"rn":1`, "", 1)
		out[name] = append(out[name], l)
	}
	return out
}

// perKey groups changelog lines by their "k" field, keeping each key's
// order (parallel subtasks and mini-batch bundles interleave keys).
func perKey(lines []string) map[string][]string {
	out := map[string][]string{}
	for _, l := range lines {
		i := strings.Index(l, `"k":`)
		j := strings.Index(l[i:], `,"v"`)
		out[l[i:i+j]] = append(out[l[i:i+j]], l)
	}
	return out
}

// TestDeduplicateMatchesRankPlan compares the Deduplicate plan of each
// deduplication (keep first / keep last, event and processing time)
// with the Rank plan of the same query (the row number selected keeps
// the Rank, as in Flink), on random inputs with ties, out-of-order and
// late rows, NULL keys and NULL times: the changelogs must be equal row
// for row at parallelism 1, and per key at parallelism 2 and with
// mini-batch (which orders a bundle's rows by key; by event time it
// emits every change, as Flink's default). Processing time runs on a
// manual clock (every row at the same instant: ties, so the Rank plan
// keeps the first or the last row by arrival as Deduplicate does); its
// mini-batch keep-last emits the net change of a bundle, so only the
// final rows are compared there.
func TestDeduplicateMatchesRankPlan(t *testing.T) {
	for seed := range uint64(12) {
		for _, proc := range []bool{false, true} {
			// Bundles of 7 rows, and of 64 (most of the input's rows of a
			// key in one bundle, folded in memory: ties, out-of-order and
			// late rows dropped on arrival when they cannot replace).
			for _, mb := range []int{0, 7, 64} {
				for _, par := range []int{1, 2} {
					name := fmt.Sprintf("seed%d/proctime=%t/minibatch=%d/p%d", seed, proc, mb, par)
					t.Run(name, func(t *testing.T) {
						dedupCompare(t, seed, proc, mb, par)
					})
				}
			}
		}
	}
}

func dedupCompare(t *testing.T, seed uint64, proc bool, mbSize, par int) {
	mb := mbSize > 0
	rng := rand.New(rand.NewPCG(seed, 18))
	dir := t.TempDir()
	dedupInput(t, dir, rng, 60+rng.IntN(60))
	order := "ts"
	ddl := `CREATE TABLE t (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH ('connector' = 'values');`
	if proc {
		order = "p"
		ddl = `CREATE TABLE t (k STRING, v BIGINT, ts TIMESTAMP(3), p AS PROCTIME()) WITH ('connector' = 'values');`
		if err := os.WriteFile(filepath.Join(dir, "clock"), []byte("2024-03-30T23:30:00.250Z"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var src strings.Builder
	if mb {
		fmt.Fprintf(&src, "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '1 h';\nSET 'table.exec.mini-batch.size' = '%d';\n", mbSize)
	}
	src.WriteString(ddl + "\n")
	var inserts, explains []string
	for _, dir := range []string{"ASC", "DESC"} {
		for _, plan := range []string{"dedup", "rank"} {
			tab := fmt.Sprintf("%s_%s", plan, strings.ToLower(dir))
			cols, sel := "k STRING, v BIGINT, ts TIMESTAMP(3)", "k, v, ts"
			if plan == "rank" {
				cols, sel = cols+", rn BIGINT", sel+", rn"
			}
			fmt.Fprintf(&src, "CREATE TABLE %s (%s) WITH ('connector' = 'collect');\n", tab, cols)
			q := fmt.Sprintf("INSERT INTO %s SELECT %s FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY %s %s) AS rn FROM t) WHERE rn = 1;", tab, sel, order, dir)
			inserts = append(inserts, q)
			explains = append(explains, "EXPLAIN "+q)
		}
	}
	src.WriteString(strings.Join(explains, "\n") + "\n")
	src.WriteString("EXECUTE STATEMENT SET BEGIN\n" + strings.Join(inserts, "\n") + "\nEND;\n")
	rows, text, _, err := runCase(t, dir, src.String(), par)
	if err != nil {
		t.Fatal(err)
	}
	ord := "ROWTIME"
	if proc {
		ord = "PROCTIME"
	}
	for _, want := range []string{"Deduplicate(keep=[FirstRow], key=[k], order=[" + ord + "]",
		"Deduplicate(keep=[LastRow], key=[k], order=[" + ord + "]", "Rank(rankRange=[1..1], partitionBy=[k], orderBy=[" + order + "]",
		"Rank(rankRange=[1..1], partitionBy=[k], orderBy=[" + order + " DESC]"} {
		if !strings.Contains(text, want) {
			t.Fatalf("no %s in the plans:\n%s", want, text)
		}
	}
	got := byTable(rows)
	for _, dir := range []string{"asc", "desc"} {
		d, r := got["dedup_"+dir], got["rank_"+dir]
		if len(r) == 0 {
			t.Fatalf("%s: the Rank plan emitted nothing", dir)
		}
		switch {
		case proc && mb && dir == "desc":
			// The net change per bundle: the final rows.
			if a, b := dedupFinal(t, d), dedupFinal(t, r); a != b {
				t.Errorf("%s: final rows differ:\ndedup:\n%s\nrank:\n%s", dir, a, b)
			}
		case par == 1 && !mb:
			if a, b := strings.Join(d, "\n"), strings.Join(r, "\n"); a != b {
				t.Errorf("%s: changelogs differ:\ndedup:\n%s\nrank:\n%s", dir, a, b)
			}
		default:
			pd, pr := perKey(d), perKey(r)
			if len(pd) != len(pr) {
				t.Errorf("%s: %d keys against %d", dir, len(pd), len(pr))
			}
			for k, want := range pr {
				if a, b := strings.Join(pd[k], "\n"), strings.Join(want, "\n"); a != b {
					t.Errorf("%s: key %s: changelogs differ:\ndedup:\n%s\nrank:\n%s", dir, k, a, b)
				}
			}
		}
	}
}

// dedupFinal applies a changelog (lines of byTable) and returns the rows
// left, sorted.
func dedupFinal(t *testing.T, lines []string) string {
	t.Helper()
	live := map[string]int{}
	for _, l := range lines {
		i := strings.Index(l, `"op":"`)
		op := l[i+6 : i+8]
		row := l[:i] + l[i+11:]
		switch op {
		case "+I", "+U":
			live[row]++
		default:
			if live[row] == 0 {
				t.Fatalf("%s of a row not in the result: %s", op, l)
			}
			live[row]--
		}
	}
	var out []string
	for r, n := range live {
		for range n {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
