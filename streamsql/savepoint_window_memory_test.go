package streamsql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestWindowsFromMemoryMatchStateAcrossSavepoint runs a q5-shaped
// statement set (a HOP count per key, the MAX count per window, their
// window join) over rows of several keys, some late, read one at a time
// (the watermark follows every row) twice: without checkpoints, where the
// windows fire from memory (the sliced aggregation's
// buffer, the windowed MAX's accumulators, the join's rows), and with
// checkpoints, the job stopped with a savepoint halfway and restored from
// it (the savepoint's barrier writes the sliced aggregation's buffer
// into the snapshot and folds the windowed MAX's and the join's into
// keyed state and timers; the restored operators find them there when
// they open). Both give the same rows.
func TestWindowsFromMemoryMatchStateAcrossSavepoint(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 9))
	// The watermark is not in a snapshot (as in Flink: a restored job
	// starts without one), so the rows after the savepoint are not late
	// for the windows fired before it: none earlier than the last before
	// it (which then is the first watermark of the restored job).
	var rows []string
	const half = 30
	ts, floor := int64(0), int64(0)
	for i := range 2 * half {
		if i == half {
			floor = ts
		}
		ts += int64(rng.IntN(700))
		at := ts
		if rng.IntN(5) == 0 {
			at = max(ts-int64(rng.IntN(5000)), floor) // late for some or all of its windows
		}
		rows = append(rows, fmt.Sprintf(`{"k": "%c", "ts": %d}`, 'a'+rng.IntN(5), at))
	}
	// z far ahead fires every window of the rows above in the unbounded
	// runs; its own windows are left out of the comparison.
	rows = append(rows, fmt.Sprintf(`{"k": "z", "ts": %d}`, ts+60000))
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hop := `TABLE(HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '6' SECOND))`
	script := `
		CREATE TABLE t (k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
		CREATE TABLE seen (k STRING, n BIGINT) WITH ('connector' = 'collect');
		CREATE TABLE wins (k STRING, ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
		CREATE TABLE top (k STRING, ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
		EXECUTE STATEMENT SET BEGIN
		INSERT INTO seen SELECT k, COUNT(*) FROM t GROUP BY k;
		INSERT INTO wins SELECT k, window_start, COUNT(*) FROM ` + hop + ` GROUP BY k, window_start, window_end;
		INSERT INTO top SELECT C.k, C.starttime, C.num
		FROM (SELECT k, COUNT(*) AS num, window_start AS starttime, window_end AS endtime FROM ` + hop + ` GROUP BY k, window_start, window_end) C
		JOIN (SELECT MAX(num) AS maxn, starttime, endtime FROM (
			SELECT COUNT(*) AS num, window_start AS starttime, window_end AS endtime FROM ` + hop + ` GROUP BY k, window_start, window_end)
			GROUP BY starttime, endtime) M
		ON C.starttime = M.starttime AND C.endtime = M.endtime
		WHERE C.num >= M.maxn;
		END;`
	// result is what the window sinks received, z's rows left out, sorted.
	result := func(col *collectFactory) (wins, top []string) {
		col.mu.Lock()
		defer col.mu.Unlock()
		for name, dst := range map[string]*[]string{"wins": &wins, "top": &top} {
			for _, r := range col.rows[name] {
				if r.Fields[0].String() != "'z'" {
					*dst = append(*dst, r.String())
				}
			}
			slices.Sort(*dst)
		}
		return wins, top
	}
	newCol := func() *collectFactory {
		return &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Without checkpoints: from memory; unbounded, as the runs below.
	write(rows)
	mem := newCol()
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{openOneValues{openValues{valuesFactory{dir: dir}}}, mem}})
	job, _, err := s.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	// The windows of the rows before z have all fired once z's watermark
	// passed them (z's never do): the reference is the same rows read to
	// their end, where every window fires.
	ref := newCol()
	{
		rs := streamsql.NewSession(streamsql.Options{Parallelism: 1,
			Factories: []connector.TableFactory{boundedOneValues{valuesFactory{dir: dir}}, ref}})
		rjob, _, err := rs.Submit(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		if err := rjob.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	refWins, refTop := result(ref)
	if len(refWins) == 0 || len(refTop) == 0 {
		t.Fatalf("no window rows: %v %v", refWins, refTop)
	}
	waitFor := func(col *collectFactory, what string) {
		for {
			w, tp := result(col)
			if len(w) >= len(refWins) && len(tp) >= len(refTop) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: %d window rows and %d top rows, want %d and %d", what, len(w), len(tp), len(refWins), len(refTop))
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	waitFor(mem, "from memory")
	job.Cancel()
	_ = job.Wait()
	memWins, memTop := result(mem)
	if !slices.Equal(memWins, refWins) || !slices.Equal(memTop, refTop) {
		t.Fatalf("from memory:\n%v\n%v\nbounded run:\n%v\n%v", memWins, memTop, refWins, refTop)
	}

	// With checkpoints: through state; stopped with a savepoint after
	// half the rows, restored with all of them.
	seenRows := func(n int) int { // GROUP BY k changelog rows of the first n rows
		keys := map[string]bool{}
		c := 0
		for _, r := range rows[:n] {
			k := r[:13]
			if keys[k] {
				c += 2 // -U, +U
			} else {
				keys[k], c = true, c+1
			}
		}
		return c
	}
	write(rows[:half])
	first := newCol()
	s = streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: time.Hour},
		Factories:   []connector.TableFactory{openOneValues{openValues{valuesFactory{dir: dir}}}, first}})
	job, _, err = s.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	for {
		first.mu.Lock()
		n := len(first.rows["seen"])
		first.mu.Unlock()
		if n >= seenRows(half) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d rows of seen, want %d", n, seenRows(half))
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := job.Savepoint(ctx, filepath.Join(dir, "sp"), true); err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("wait: %v", err)
	}
	write(rows)
	second := newCol()
	s = streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: time.Hour, FromSavepoint: filepath.Join(dir, "sp")},
		Factories:   []connector.TableFactory{openOneValues{openValues{valuesFactory{dir: dir}}}, second}})
	job, _, err = s.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	// Both runs' rows together.
	both := newCol()
	for {
		both.mu.Lock()
		both.rows = map[string][]table.Row{}
		for _, c := range []*collectFactory{first, second} {
			c.mu.Lock()
			for _, n := range []string{"wins", "top"} {
				both.rows[n] = append(both.rows[n], c.rows[n]...)
			}
			c.mu.Unlock()
		}
		both.mu.Unlock()
		w, tp := result(both)
		if len(w) >= len(refWins) && len(tp) >= len(refTop) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("through state: %d window rows and %d top rows, want %d and %d", len(w), len(tp), len(refWins), len(refTop))
		case <-time.After(10 * time.Millisecond):
		}
	}
	job.Cancel()
	_ = job.Wait()
	stWins, stTop := result(both)
	if !slices.Equal(stWins, refWins) || !slices.Equal(stTop, refTop) {
		t.Fatalf("through state and a savepoint:\n%v\n%v\nbounded run:\n%v\n%v", stWins, stTop, refWins, refTop)
	}
}

// boundedOneValues is the values connector read one row at a time, to the
// end.
type boundedOneValues struct{ valuesFactory }

func (f boundedOneValues) TableSource(ctx context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	src, err := f.valuesFactory.TableSource(ctx, t)
	if err != nil {
		return nil, err
	}
	return oneRowSource{src}, nil
}

// TestCheckpointsKeepUIDs: the operators and UIDs of Nexmark q5 and q8
// (sliced aggregations, a MAX per window, window joins) are the same with
// checkpoints on and off: the memory path is inside the operators'
// functions, so the plan never depends on the checkpoint options.
func TestCheckpointsKeepUIDs(t *testing.T) {
	src, err := os.ReadFile("../internal/nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	ddl := strings.Replace(string(src), "'100000000'", "'1000'", 1)
	for _, q := range []string{"q5", "q8"} {
		text, err := os.ReadFile("../internal/nexmark/sql/" + q + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		uids := func(ck *stream.CheckpointOptions) []string {
			sess := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
				Factories: []connector.TableFactory{nexgen.TableFactory(), builtin.BlackholeFactory()}})
			job, _, err := sess.Submit(context.Background(), ddl+string(text))
			if err != nil {
				t.Fatal(err)
			}
			if err := job.Wait(); err != nil {
				t.Fatal(err)
			}
			var us []string
			for _, v := range job.View() {
				for _, o := range v.Operators {
					us = append(us, o.UID)
				}
			}
			slices.Sort(us)
			return us
		}
		mem := uids(nil)
		st := uids(&stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Hour})
		if len(mem) == 0 || !slices.Equal(mem, st) {
			t.Errorf("%s: UIDs without checkpoints %v, with %v", q, mem, st)
		}
	}
}
