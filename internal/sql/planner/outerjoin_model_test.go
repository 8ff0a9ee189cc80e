package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// joinModel is the regular join's changelog as Flink's
// StreamingJoinOperator defines it, over plain Go slices: each side's rows
// per key in arrival order with their number of partners (outer sides),
// an accumulation pairs with the other side's rows the condition accepts
// (and retracts the NULL-padded rows of partners that had none), a
// retraction removes the first equal row of its side (none: nothing) and
// retracts its pairs (and brings back the padded rows of partners it was
// the last of). A NULL key matches nothing: an inner side's row is dropped,
// an outer side's is padded.
type joinModel struct {
	nl, nr                int
	leftOuter, rightOuter bool
	cond                  func(l, r []table.Value) bool
	rows                  [2]map[string][]*modelEntry // [0] left, [1] right
	out                   []string
}

type modelEntry struct {
	fields []table.Value
	assoc  int
}

func (m *joinModel) pair(l, r []table.Value, kind table.RowKind) {
	fs := make([]table.Value, m.nl+m.nr)
	copy(fs, l)
	copy(fs[m.nl:], r)
	m.out = append(m.out, table.Row{Kind: kind, Fields: fs}.String())
}

func (m *joinModel) apply(v table.Row, left bool) {
	me, them := 0, 1
	inOuter, otherOuter := m.leftOuter, m.rightOuter
	if !left {
		me, them = 1, 0
		inOuter, otherOuter = m.rightOuter, m.leftOuter
	}
	null := v.Fields[0].IsNull()
	if null && !inOuter {
		return
	}
	key := v.Fields[0].String()
	if null {
		key = "NULL" + fmt.Sprint(me) // a key of its own side
	}
	// The pair of this row (mine) and another side's row, left first.
	emit := func(mine, other []table.Value, kind table.RowKind) {
		if left {
			m.pair(mine, other, kind)
		} else {
			m.pair(other, mine, kind)
		}
	}
	var matches []*modelEntry
	for _, o := range m.rows[them][key] {
		l, r := v.Fields, o.fields
		if !left {
			l, r = r, l
		}
		if m.cond == nil || m.cond(l, r) {
			matches = append(matches, o)
		}
	}
	if !v.Kind.IsRetract() {
		if otherOuter {
			for _, o := range matches {
				if o.assoc == 0 {
					emit(nil, o.fields, table.Delete)
				}
				o.assoc++
			}
		}
		if len(matches) == 0 && inOuter {
			emit(v.Fields, nil, table.Insert)
		}
		for _, o := range matches {
			emit(v.Fields, o.fields, table.Insert)
		}
		m.rows[me][key] = append(m.rows[me][key], &modelEntry{fields: v.Fields, assoc: len(matches)})
		return
	}
	found := slices.IndexFunc(m.rows[me][key], func(e *modelEntry) bool {
		return table.Row{Fields: e.fields}.String() == table.Row{Fields: v.Fields}.String()
	})
	if found < 0 {
		return
	}
	m.rows[me][key] = slices.Delete(m.rows[me][key], found, found+1)
	if len(matches) == 0 {
		if inOuter {
			emit(v.Fields, nil, table.Delete)
		}
		return
	}
	for _, o := range matches {
		emit(v.Fields, o.fields, table.Delete)
	}
	if otherOuter {
		for _, o := range matches {
			if o.assoc == 1 {
				emit(nil, o.fields, table.Insert)
			}
			o.assoc--
		}
	}
}

// TestRegularJoinMatchesModel drives the regular join (regularJoinFn:
// inner, LEFT, RIGHT and FULL; with and without a condition; with and
// without state TTL) with random rows of both sides (duplicates, NULL
// keys, short, inline-sized and long strings, retractions of rows seen,
// retracted already or never seen, -U and -D, +U and +I) and checkpoints
// and restores in between, and compares its changelog with joinModel's.
// The inner join's accumulation carves its pairs from blocks and reuses
// the slot of a pair its condition rejects (pairSlot); the condition
// rejects about a third of the pairs here.
func TestRegularJoinMatchesModel(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.BigIntType(), table.StringType()}
	codec := table.NewRowCodecTypes(types...)
	long := strings.Repeat("x", 300)
	cond := func(l, r []table.Value) bool { return l[1].AsInt() <= r[1].AsInt() }
	key := func(side byte) func(table.Row) string {
		return func(r table.Row) string {
			if r.Fields[0].IsNull() {
				return "N" + string(side) // joinKeyOf: a NULL key is a key of its own side
			}
			return r.Fields[0].String()
		}
	}
	hasNull := func(r table.Row) bool { return r.Fields[0].IsNull() }
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var ops []ckOp
		var seen [2][]table.Row
		for i := range 250 {
			left := rng.IntN(2) == 0
			side := 1
			if left {
				side = 0
			}
			var r table.Row
			switch x := rng.IntN(20); {
			case x < 11 || len(seen[side]) == 0:
				k := table.Int(int64(rng.IntN(4)))
				if rng.IntN(8) == 0 {
					k = table.Value{}
				}
				s := []string{"a", "bb", "ccc-dddd-eeee", long}[rng.IntN(4)]
				r = table.NewRow(k, table.Int(int64(rng.IntN(4))), table.Str(s))
				r.Kind = []table.RowKind{table.Insert, table.UpdateAfter}[rng.IntN(2)]
				seen[side] = append(seen[side], r)
			case x < 18:
				r = seen[side][rng.IntN(len(seen[side]))]
				r.Kind = []table.RowKind{table.Delete, table.UpdateBefore}[rng.IntN(2)]
			default:
				r = table.NewRow(table.Int(9), table.Int(0), table.Str("never"))
				r.Kind = table.Delete
			}
			ops = append(ops, ckOp{kind: 0, ts: int64(i), row: r, left: left})
			if rng.IntN(25) == 0 {
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
			}
		}
		for _, kind := range []string{"INNER", "LEFT", "RIGHT", "FULL"} {
			for _, withCond := range []bool{false, true} {
				for _, ttl := range []time.Duration{0, time.Hour} {
					m := &joinModel{nl: 3, nr: 3, leftOuter: kind == "LEFT" || kind == "FULL", rightOuter: kind == "RIGHT" || kind == "FULL",
						rows: [2]map[string][]*modelEntry{{}, {}}}
					if withCond {
						m.cond = cond
					}
					for _, o := range ops {
						if o.kind == 0 {
							m.apply(o.row, o.left)
						}
					}
					got := runCoKeysWithCheckpoints(t, ops, key('L'), key('R'), true, func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
						f := &regularJoinFn{lc: codec, rc: codec, nl: 3, nr: 3, opts: ttlOptsOf(ttl),
							leftOuter: m.leftOuter, rightOuter: m.rightOuter, lnull: hasNull, rnull: hasNull}
						if withCond {
							f.cond = func(r *table.Row) (bool, error) { return cond(r.Fields[:3], r.Fields[3:]), nil }
						}
						return f
					})
					for i, line := range got {
						_, got[i], _ = strings.Cut(line, " ") // the timestamp
					}
					if !slices.Equal(got, m.out) {
						t.Fatalf("seed %d, %s JOIN, condition %v, TTL %v:\n got %d rows %v\nwant %d rows %v",
							seed, kind, withCond, ttl, len(got), got, len(m.out), m.out)
					}
				}
			}
		}
	}
}
