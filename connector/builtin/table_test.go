package builtin

import (
	"bytes"
	"context"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

func schema() table.Schema {
	return table.Schema{Columns: []table.Column{{Name: "a", Type: table.IntType()}, {Name: "b", Type: table.StringType()}}}
}

func TestPrint(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts map[string]string
		par  int
		want string
	}{
		{nil, 1, "+I[1, x]\n-U[2, NULL]\n"},
		{nil, 2, "1> +I[1, x]\n1> -U[2, NULL]\n"},
		{map[string]string{"print-identifier": "out"}, 1, "out> +I[1, x]\nout> -U[2, NULL]\n"},
		{map[string]string{"print-identifier": "out", "standard-error": "false"}, 3, "out:1> +I[1, x]\nout:1> -U[2, NULL]\n"},
	} {
		var buf bytes.Buffer
		s, err := PrintFactory(&buf).TableSink(ctx, connector.TableContext{Name: "p", Schema: schema(), Options: tc.opts}, true)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := s.Open(ctx, connector.SinkInfo{Subtask: 1, Parallelism: tc.par})
		_ = w.Write(table.NewRow(table.Int(1), table.Str("x")), 0)
		_ = w.Write(table.Row{Kind: table.UpdateBefore, Fields: []table.Value{table.Int(2), table.Null}}, 0)
		_ = w.Close()
		if buf.String() != tc.want {
			t.Errorf("%v: got %q, want %q", tc.opts, buf.String(), tc.want)
		}
	}
	_, err := TableFactory().TableSink(ctx, connector.TableContext{Name: "p", Options: map[string]string{"standard-error": "yes"}}, false)
	if err == nil || err.Error() != `strom: table "p": connector 'print': option 'standard-error' is 'yes', want one of 'true', 'false'` {
		t.Fatal(err)
	}
	_, err = TableFactory().TableSink(ctx, connector.TableContext{Name: "p", Options: map[string]string{"sink.parallelism": "0"}}, false)
	if err == nil || err.Error() != `strom: table "p": connector 'print': option 'sink.parallelism' is '0', want an integer in [1, 32768]` {
		t.Fatal(err)
	}
	_, err = TableFactory().TableSink(ctx, connector.TableContext{Name: "p", Options: map[string]string{"parallelism": "2"}}, false)
	if err == nil || err.Error() != `strom: table "p": connector 'print': unknown option 'parallelism' (allowed: 'print-identifier', 'sink.parallelism', 'standard-error')` {
		t.Fatal(err)
	}
}

func TestBlackhole(t *testing.T) {
	ctx := context.Background()
	f := BlackholeFactory()
	s, err := f.TableSink(ctx, connector.TableContext{Name: "b", Schema: schema()}, true)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := s.Open(ctx, connector.SinkInfo{Parallelism: 1})
	for range 3000 {
		_ = w.Write(table.NewRow(table.Int(1), table.Null), 0)
	}
	_ = w.Close()
	if f.Count() != 3000 {
		t.Fatal(f.Count())
	}
	if _, err := f.TableSink(ctx, connector.TableContext{Name: "b", Options: map[string]string{"x": "1"}}, false); err == nil ||
		err.Error() != `strom: table "b": connector 'blackhole': unknown option 'x' (allowed: 'sink.parallelism')` {
		t.Fatal(err)
	}
}
