package streamsql_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestReviewUDFNotShared: a user-defined function called twice with the
// same arguments in one Calc (filter and projections) is called at every
// occurrence (it may be non-deterministic), also nested in a shared
// built-in call.
func TestReviewUDFNotShared(t *testing.T) {
	var calls atomic.Int64
	s := streamsql.NewSession(streamsql.Options{Parallelism: 2, Factories: []connector.TableFactory{datagen.TableFactory()}})
	s.RegisterScalar("tick", table.BigIntType(), []table.Type{table.StringType()}, func(args []table.Value) (table.Value, error) {
		return table.Int(calls.Add(1)), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, same := 0, 0
	job, _, err := s.Query(ctx, `CREATE TABLE g (id BIGINT, s STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '500', 'seed' = '3',
	'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '500', 'fields.s.length' = '4');
	SELECT tick(s) AS a, tick(s) AS b, UPPER(CAST(tick(s) AS STRING)) AS c, UPPER(CAST(tick(s) AS STRING)) AS d FROM g WHERE tick(s) > 0;`,
		func(r table.Row) error {
			rows++
			if r.Fields[0].AsInt() == r.Fields[1].AsInt() || r.Fields[2].AsString() == r.Fields[3].AsString() {
				same++
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	if rows != 500 || same != 0 || calls.Load() != 2500 {
		t.Fatalf("rows %d, rows with equal UDF results %d, calls %d (want 500, 0, 2500)", rows, same, calls.Load())
	}
}
