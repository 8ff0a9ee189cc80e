package planner_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/sql/planner"
	"github.com/stromio/strom/streamsql"
)

// lockedBuf is the print sink's output (its subtasks write under the
// connector's lock; read after the job).
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestRowPoolsSameResults runs Nexmark q9 (JoinRank) and q4 (JoinAgg and
// a mini-batch aggregation) over the nexmark generator (random auctions
// and bids, one event per millisecond: no ties on a bid's time) with the
// pre-filters' Calcs building their rows in arrays the join's subtask
// gives back (rowpool.go) and without (a fresh array per row, the
// general path), at parallelism 1 and 2 and with a checkpoint interval
// (barriers between batches), and compares the final results (the
// changelogs applied): equal, and with the pool arrays were given back.
// A row recycled while the join still held it would change a kept or
// pending pair and the results (under -race: a write racing a read).
func TestRowPoolsSameResults(t *testing.T) {
	ddl, err := os.ReadFile("../../nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer planner.NoRowPoolHook()
	const events = 30000
	script := strings.Replace(string(ddl), "'100000000'", "'30000'", 1)
	script = strings.ReplaceAll(script, "'10000000'", "'1000'")
	for _, q := range []string{"q9", "q4"} {
		text, err := os.ReadFile("../../nexmark/sql/" + q + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		sql := strings.Replace(string(text), "'blackhole'", "'print'", 1)
		for _, par := range []int{1, 2} {
			var res [2][]string
			for k, on := range []bool{false, true} {
				recycled := planner.UseRowPools(on)
				out := &lockedBuf{}
				sess := streamsql.NewSession(streamsql.Options{Parallelism: par,
					Factories: []connector.TableFactory{nexgen.TableFactory(), builtin.PrintFactory(out)}})
				set := "SET 'execution.checkpointing.interval' = '50ms';\nSET 'state.checkpoints.dir' = '" + t.TempDir() + "';\n"
				if q == "q4" {
					set += "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '2 s';\nSET 'table.exec.mini-batch.size' = '5000';\n"
				}
				job, _, err := sess.Submit(context.Background(), set+script+"\n"+sql)
				if err != nil {
					t.Fatal(err)
				}
				if err := job.Wait(); err != nil {
					t.Fatal(err)
				}
				res[k] = applyPrinted(t, out.b.String())
				if n := recycled(); (n > 0) != on {
					t.Fatalf("%s at parallelism %d, pools %v: %d arrays given back", q, par, on, n)
				}
			}
			if len(res[0]) == 0 {
				t.Fatalf("%s: no rows", q)
			}
			if !slices.Equal(res[0], res[1]) {
				t.Fatalf("%s at parallelism %d: %d rows without the pools, %d with; first differences:\n%s", q, par, len(res[0]), len(res[1]), firstDiff(res[0], res[1]))
			}
		}
	}
}

// applyPrinted applies the print sink's changelog ("0> +I[...]",
// "-U[...]", ...: the subtask, the rows' kinds, then their values) and returns the rows left,
// sorted.
func applyPrinted(t *testing.T, s string) []string {
	t.Helper()
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if i := strings.Index(l, "> "); i >= 0 && i < 4 {
			l = l[i+2:] // the subtask's prefix
		}
		if len(l) < 2 {
			continue
		}
		k, v := l[:2], l[2:]
		switch k {
		case "+I", "+U":
			count[v]++
		case "-U", "-D":
			count[v]--
		default:
			t.Fatalf("printed line %q", l)
		}
	}
	var out []string
	for v, n := range count {
		if n < 0 {
			t.Fatalf("retracted more than inserted: %s", v)
		}
		for range n {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func firstDiff(a, b []string) string {
	var d []string
	for i := 0; i < max(len(a), len(b)) && len(d) < 6; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			d = append(d, "- "+x+"\n+ "+y)
		}
	}
	return strings.Join(d, "\n")
}
