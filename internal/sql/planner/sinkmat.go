package planner

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// The SinkMaterializer (Flink's SinkUpsertMaterializer) keeps the changes
// of one primary key in order before a sink with a primary key.
//
// A sink with a primary key applies rows by key (+I/+U put the row, -U/-D
// delete the key), so the order of a key's changes matters. The rows of a
// key reach the sink in order only when they all come from one subtask of
// the step before: when the last keyed step (a group aggregation or a
// Top-N) is keyed by columns that are all sink key columns, or the input
// is a changelog scan whose primary key is within the sink key (its
// changes of a key come in order, as Flink assumes). Otherwise (a join
// keyed by other columns, a union) the -D of a key's old row and the +I
// of its new row may come from two subtasks (or two paths) and arrive in
// either order, and the key can end deleted or with its old row; and
// where the sink key is not unique in the input (GROUP BY oid, cust into
// a table keyed by oid) the -D of one row deletes a key that has others.
//
// The rule (table.exec.sink.upsert-materialize, Flink's option):
//   - 'AUTO' (the default): added when the query is updating, the sink
//     table has a primary key and the input is not keyed within it
//     (keyedWithin): its last keyed step is not keyed by sink key columns
//     only, or the sink key is not unique in its output. As Flink's rule
//     (the input's upsert key is not within the sink's primary key), it
//     does not look at the parallelism: at parallelism 1 a union still
//     reorders a key's changes, and a sink key that is not unique in the
//     query deletes a key that still has rows. It errs on the side of
//     adding it.
//   - 'FORCE': added for every updating query into a table with a
//     primary key.
//   - 'NONE': never.
//
// The operator is keyed by the sink's primary key and runs at the sink's
// parallelism; the sink reads it forward. For each key it keeps the rows
// received (in arrival order) and emits the key's current row, the last
// one: on +I/+U it appends the row and emits it (+I when the key had no
// row, else +U); on -U/-D it removes the first equal row: when it was the
// last one, it emits the new last row as +U, or -D when no row is left;
// otherwise nothing. A -U/-D of a key with no rows kept is emitted as -D.
// When the input has an upsert key (upsertKey), rows are the same when
// their upsert keys are equal (a +I/+U replaces its row), else when they
// are equal. Its output is an upsert changelog (+I, +U, -D).
const optUpsertMaterialize = "table.exec.sink.upsert-materialize"

// materializeKeys returns the input columns of the sink's primary key when
// the sink needs a SinkMaterializer (nil otherwise).
func (p *Planner) materializeKeys(s *Sink) ([]int, error) {
	mode := "AUTO"
	if v, ok := p.Cat.Options[optUpsertMaterialize]; ok {
		mode = strings.ToUpper(strings.TrimSpace(v))
	}
	switch mode {
	case "AUTO", "FORCE", "NONE":
	default:
		return nil, &Error{Line: s.Pos.Line, Col: s.Pos.Col, Msg: fmt.Sprintf("option '%s' is '%s': it takes 'NONE', 'AUTO' or 'FORCE'", optUpsertMaterialize, p.Cat.Options[optUpsertMaterialize])}
	}
	if mode == "NONE" || !s.Updating() || len(s.Table.Schema.PrimaryKey) == 0 {
		return nil, nil
	}
	var keys []int
	within := map[int]bool{}
	for _, k := range s.Table.Schema.PrimaryKey {
		i := s.Table.Physical().Index(k)
		if i < 0 || i >= len(s.In.Cols()) {
			return nil, &Error{Line: s.Pos.Line, Col: s.Pos.Col, Msg: fmt.Sprintf("primary key column `%s` of `%s` is not an input column of its sink", k, s.Table.Name)}
		}
		keys = append(keys, i)
		within[i] = true
	}
	if mode == "FORCE" {
		return keys, nil
	}
	if p.keyedWithin(s.In, within) {
		return nil, nil
	}
	return keys, nil
}

// keyedWithin reports whether the rows of n that agree on the columns of
// within all come from one subtask of n's last keyed step, in the order
// that step emitted them, and whether those columns are unique in n's
// output: that step is a group aggregation or a (non-window) Top-N
// keeping one row per key, keyed by columns that reach n's output
// unchanged into columns of within; only Calcs are between it and n.
func (p *Planner) keyedWithin(n Node, within map[int]bool) bool {
	switch x := n.(type) {
	case *Calc:
		in := map[int]bool{}
		for i, e := range x.Exprs {
			if c, ok := e.(*expr.Column); ok && within[i] {
				in[c.Index] = true
			}
		}
		return p.keyedWithin(x.In, in)
	case *GroupAgg:
		// Its output starts with its keys; no keys: one subtask.
		for i := range x.Keys {
			if !within[i] {
				return false
			}
		}
		return true
	case *Scan:
		// A changelog source whose primary key is within: its
		// changes of a key come in order (as Flink assumes: the
		// scan's upsert key is its primary key). Not at a
		// 'scan.parallelism' other than the job's: the edge to the
		// Calc after it rebalances.
		if p.scanRebalanced(x) {
			return false
		}
		pk := x.Table.Schema.PrimaryKey
		for _, k := range pk {
			if i := x.Table.Physical().Index(k); i < 0 || !within[i] {
				return false
			}
		}
		return len(pk) > 0
	case *TopN:
		if x.WindowEnd >= 0 {
			return false
		}
		// Its output is its input's columns, then the row number. The
		// sink key is unique in its output when it keeps one row per
		// partition (ROW_NUMBER, N = 1) or the row number is a sink key
		// column; RANK and DENSE_RANK can keep ties.
		if x.Func != RowNumber || (x.N != 1 && !within[len(x.In.Cols())]) {
			return false
		}
		// A partition column may be a copy of a key column (the Calc
		// below it computes the partition expressions).
		return colsWithin(x.In, x.Partition, within)
	case *Deduplicate:
		// One row per key (its output is its input's columns).
		return colsWithin(x.In, x.Keys, within)
	}
	return false
}

// colsWithin reports whether each of in's columns cols is in within or a
// copy of one that is (sameCol).
func colsWithin(in Node, cols []int, within map[int]bool) bool {
	for _, k := range cols {
		ok := within[k]
		for w := range within {
			ok = ok || sameCol(in, w, k)
		}
		if !ok {
			return false
		}
	}
	return true
}

// sameCol reports whether columns a and b of n are copies of one column
// of a Calc's input.
func sameCol(n Node, a, b int) bool {
	c, ok := n.(*Calc)
	if !ok || a >= len(c.Exprs) || b >= len(c.Exprs) {
		return false
	}
	ca, okA := c.Exprs[a].(*expr.Column)
	cb, okB := c.Exprs[b].(*expr.Column)
	return okA && okB && (ca.Index == cb.Index || sameCol(c.In, ca.Index, cb.Index))
}

// The materializer's state, per key: a version byte (1), the number of
// rows and each row's RowCodec encoding (as encodeRows lays them out, the
// Top-N's state), then a CRC-32C of all that.
const matStateVersion = 1

var errMatState = errors.New("planner: corrupt sink materializer state")

func encodeMatState(rows [][]byte) []byte {
	b := []byte{matStateVersion}
	b = binary.AppendUvarint(b, uint64(len(rows)))
	for _, r := range rows {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeMatState(b []byte) ([][]byte, error) {
	if len(b) < 5 || b[0] != matStateVersion {
		return nil, errMatState
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, errMatState
	}
	body = body[1:]
	n, k := binary.Uvarint(body)
	if k <= 0 || n > uint64(len(body)) {
		return nil, errMatState
	}
	body = body[k:]
	rows := make([][]byte, 0, n)
	for range n {
		l, k := binary.Uvarint(body)
		if k <= 0 || l > uint64(len(body)-k) {
			return nil, errMatState
		}
		rows = append(rows, body[k:k+int(l)])
		body = body[k+int(l):]
	}
	if len(body) != 0 {
		return nil, errMatState
	}
	return rows, nil
}

// scanRebalanced reports whether the changes of a scan may reach the
// operators after it out of order: at a 'scan.parallelism' other than the
// job's the edge to the Calc after it rebalances (or the option is bad).
func (p *Planner) scanRebalanced(x *Scan) bool {
	sp, err := connector.ScanParallelism(x.Table.Options)
	return err != nil || (sp > 0 && sp != p.JobParallelism() && (&translator{p: p}).scansInParallel(x.Table))
}

// upsertKey returns columns of n whose values identify a row across its
// changes (Flink's upsert key: a row's -U/-D carries the values of its
// +I/+U there), or nil when none is known: a group aggregation's keys, a
// changelog scan's primary key, a deduplication's partition (ROW_NUMBER,
// N = 1), through Calcs that keep them. Only where a key's changes reach
// the materializer in the order they were made: comparing by the upsert
// key, a late -U of an old version would remove the key's current row.
func (p *Planner) upsertKey(n Node) []int {
	switch x := n.(type) {
	case *Calc:
		in := p.upsertKey(x.In)
		if in == nil {
			return nil
		}
		var out []int
		for _, k := range in {
			j := -1
			for i, e := range x.Exprs {
				if c, ok := e.(*expr.Column); ok && c.Index == k {
					j = i
					break
				}
			}
			if j < 0 {
				return nil
			}
			out = append(out, j)
		}
		return out
	case *GroupAgg:
		// Its output starts with its keys.
		var out []int
		for i := range x.Keys {
			out = append(out, i)
		}
		return out
	case *Scan:
		if p.scanRebalanced(x) {
			return nil
		}
		var out []int
		for _, k := range x.Table.Schema.PrimaryKey {
			i := x.Table.Physical().Index(k)
			if i < 0 {
				return nil
			}
			out = append(out, i)
		}
		return out
	case *TopN:
		if x.WindowEnd < 0 && x.Func == RowNumber && x.N == 1 {
			return append([]int(nil), x.Partition...)
		}
	case *Deduplicate:
		return append([]int(nil), x.Keys...)
	}
	return nil
}

// matStep applies a change of kind to the rows kept for a key (e: the
// changed row's encoding) and returns the rows kept after it and what to
// emit: the row at emit (len(rows): the changed row itself, when it is
// deleted; -1: nothing) as kind. same reports whether a kept row is the
// changed row: nil compares whole rows; with an upsert key it compares
// that key (a non-deterministic column then does not hide a row), and a
// +I/+U replaces the kept row of its upsert key (Flink's addRow).
func matStep(rows [][]byte, kind table.RowKind, e []byte, same func(kept []byte) bool) ([][]byte, int, table.RowKind) {
	out := table.UpdateAfter
	if len(rows) == 0 {
		out = table.Insert
	}
	if same == nil {
		same = func(kept []byte) bool { return bytes.Equal(kept, e) }
	} else if kind.IsAccumulate() {
		// The row moves to the end: it is the key's current row.
		for i := range rows {
			if same(rows[i]) {
				rows = append(rows[:i:i], rows[i+1:]...)
				break
			}
		}
	}
	if kind.IsAccumulate() {
		rows = append(rows, e)
		return rows, len(rows) - 1, out
	}
	i := 0
	for i < len(rows) && !same(rows[i]) {
		i++
	}
	if i == len(rows) {
		if len(rows) == 0 {
			// No row kept for the key (expired by the state TTL,
			// a savepoint taken before the operator was there, or
			// a row that differs from the one kept, as a
			// non-deterministic column does): the key's row, if
			// the sink has one, is deleted.
			return rows, 0, table.Delete
		}
		// Not among the key's rows: nothing to take back.
		return rows, -1, kind
	}
	last := i == len(rows)-1
	rows = append(rows[:i:i], rows[i+1:]...)
	switch {
	case len(rows) == 0:
		// The changed row itself goes out, as the -D. With an upsert
		// key its other columns may differ from the kept row's; a
		// keyed sink deletes by key.
		return rows, 0, table.Delete
	case last:
		return rows, len(rows) - 1, table.UpdateAfter
	}
	return rows, -1, kind
}

// sinkMaterializer is the operator's function (see above). Rows are kept
// and compared as their RowCodec encodings (equal rows encode equally);
// with an upsert key (uk non-nil: its columns' key function) a kept row
// is the changed row when their upsert keys are equal.
func sinkMaterializer(rc *table.RowCodec, uk func(table.Row) string, ttl []stream.StateOption) func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
	return func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		var st *stream.ValueState[[]byte]
		decode := func(b []byte, kind table.RowKind) (table.Row, error) {
			r, err := rc.Decode(b)
			r.Kind = kind
			return r, err
		}
		return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
			OnOpen: func(ctx *stream.OpenContext) error {
				st = stream.NewValueState[[]byte](ctx, "rows", ttl...)
				return nil
			},
			OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
				var rows [][]byte
				if b, ok := st.Get(); ok {
					var err error
					if rows, err = decodeMatState(b); err != nil {
						return err
					}
				}
				e, err := rc.AppendRow(nil, table.Row{Fields: r.Fields})
				if err != nil {
					return err
				}
				var same func([]byte) bool
				var decErr error
				if uk != nil {
					want := uk(r)
					same = func(kept []byte) bool {
						k, err := rc.Decode(kept)
						if err != nil {
							decErr = err
							return false
						}
						return uk(k) == want
					}
				}
				rows, emit, kind := matStep(rows, r.Kind, e, same)
				if decErr != nil {
					return decErr
				}
				if len(rows) == 0 {
					st.Clear()
				} else {
					st.Set(encodeMatState(rows))
				}
				switch {
				case emit < 0:
				case emit == len(rows) || r.Kind.IsAccumulate(): // the row r
					out.Emit(table.Row{Kind: kind, Fields: r.Fields})
				default:
					cur, err := decode(rows[emit], kind)
					if err != nil {
						return err
					}
					out.Emit(cur)
				}
				return nil
			},
		}
	}
}

// materialize adds the SinkMaterializer of sink i (table name) over in,
// keyed by the sink key columns keys of n, at parallelism par.
func (tr *translator) materialize(i int, name string, n Node, in stream.Stream[table.Row], keys []int, par int) (stream.Stream[table.Row], error) {
	ttl, err := tr.ttlOpts() // table.exec.state.ttl
	if err != nil {
		return in, err
	}
	keyFn, _ := keyOf(n, keys)
	var uk func(table.Row) string
	kind := ttlUIDKind("materializer", ttl)
	sig := fmt.Sprintf("%s keys=%s rows=%s", kind, keySig(n, keys), typesOf(n.Cols())) // signature.go
	if u := tr.p.upsertKey(n); len(u) > 0 {
		uk, _ = keyOf(n, u)
		sig += " upsert-key=" + keySig(n, u)
	}
	m := stream.KeyedProcess(stream.KeyBy(in, keyFn), sinkMaterializer(rowCodecOf(n), uk, ttl)).
		Name("sink-materializer:" + name).UID(fmt.Sprintf("sql-sink-%d-%s-%s", i, name, kind)).StateSignature(sig)
	return m.SetParallelism(par), nil
}
