package datagen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// Factory is the 'datagen' connector of SQL tables (Flink's DataGen SQL
// connector): rows of random or sequence values, made up in memory.
type Factory struct{}

// TableFactory returns the 'datagen' connector of SQL tables.
func TableFactory() *Factory { return &Factory{} }

var (
	_ connector.TableSourceFactory     = (*Factory)(nil)
	_ connector.ProjectableTableSource = (*Factory)(nil)
	_ connector.DynamicOptions         = (*Factory)(nil)
)

// AllowsOption accepts the per-column keys 'fields.<column>.<option>'
// (connector.DynamicOptions); that the column exists is checked when the
// table is read.
func (*Factory) AllowsOption(key string) bool {
	rest, ok := strings.CutPrefix(key, "fields.")
	i := strings.LastIndexByte(rest, '.')
	return ok && i > 0 && slices.Contains(fieldOptions, rest[i+1:])
}

// Name returns "datagen".
func (*Factory) Name() string { return "datagen" }

// Options lists the option keys; '#' in a per-column key stands for the
// column's name ('fields.<column>.<field>' for a field of a ROW column).
func (*Factory) Options() []connector.TableOption {
	return []connector.TableOption{
		{Key: OptRowsPerSecond, Default: strconv.Itoa(DefaultRowsPerSecond), Description: "rows per second of the whole source (a rate limit, shared by its splits)"},
		{Key: OptNumberOfRows, Description: "the number of rows of the table (all splits together); not given: unbounded, unless a column is a sequence"},
		connector.ScanParallelismOption(),
		{Key: OptSeed, Description: "strom's, not Flink's: equal seeds give equal rows (default: a random seed per job start, kept in the checkpoints)"},
		{Key: "fields.#." + FieldKind, Default: "random", Description: "'random' or 'sequence'"},
		{Key: "fields.#." + FieldMin, Description: "random numbers: the smallest value (default: the type's)"},
		{Key: "fields.#." + FieldMax, Description: "random numbers: the largest value (default: the type's)"},
		{Key: "fields.#." + FieldMaxPast, Description: "random TIMESTAMP and TIMESTAMP_LTZ: a time up to this long before the job's processing time (default 0)"},
		{Key: "fields.#." + FieldLength, Description: "random strings and byte strings: the length (default 100, or the n of VARCHAR(n)); ARRAY and MAP: the size (default 3)"},
		{Key: "fields.#." + FieldVarLen, Default: "false", Description: "random VARCHAR and VARBINARY: a random length in [1, length]"},
		{Key: "fields.#." + FieldStart, Description: "sequence: the first value"},
		{Key: "fields.#." + FieldEnd, Description: "sequence: the last value (the source ends after it)"},
		{Key: "fields.#." + FieldNullRate, Default: "0", Description: "the fraction of NULL values, in [0, 1]"},
	}
}

// TableSource returns the generator of the table's rows.
func (f *Factory) TableSource(_ context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	cfg, _, err := f.config(t)
	if err != nil {
		return nil, err
	}
	return &source{cfg: cfg}, nil
}

// ProjectedTableSource returns the generator of the given columns and ROW
// fields only (connector.ProjectableTableSource); their values are those
// of the whole rows.
func (f *Factory) ProjectedTableSource(_ context.Context, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	cfg, o, err := f.config(t)
	if err != nil {
		return nil, err
	}
	out := make([][]int, len(fields))
	for i, path := range fields {
		if len(path) == 0 || path[0] < 0 || path[0] >= len(cfg.cols) {
			return nil, o.Errorf("no such column: %v", path)
		}
		typ := t.Schema.Columns[path[0]].Type
		for _, fi := range path[1:] {
			if typ.Root() != table.RootRow || fi < 0 || fi >= len(typ.Fields()) {
				return nil, o.Errorf("no such field: %v", path)
			}
			typ = typ.Fields()[fi].Type
		}
		out[i] = path
	}
	return &source{cfg: cfg, out: out}, nil
}

func (f *Factory) config(t connector.TableContext) (*config, *connector.TableOptions, error) {
	cfg, o, err := parseConfig(f, t)
	if err != nil {
		return nil, o, err
	}
	if !cfg.seedGiven {
		cfg.seed = rand.Uint64()
	}
	if len(cfg.cols) == 0 {
		return nil, o, fmt.Errorf("%w", o.Errorf("the table has no columns"))
	}
	return cfg, o, nil
}
