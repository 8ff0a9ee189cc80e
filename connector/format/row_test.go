package format

import (
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

func rowSchema() table.Schema {
	return table.Schema{Columns: []table.Column{
		{Name: "id", Type: table.BigIntType().NotNull()},
		{Name: "name", Type: table.StringType()},
		{Name: "price", Type: table.DecimalType(10, 2)},
		{Name: "ts", Type: table.TimestampType(3)},
		{Name: "ok", Type: table.BooleanType()},
	}}
}

func TestRowJSON(t *testing.T) {
	f := RowJSON(rowSchema(), RowJSONOptions{})
	for _, tc := range []struct{ in, want string }{
		{`{"id":1,"name":"a","price":1.5,"ts":1700000000000,"ok":true,"extra":[1,{}]}`, `+I(1, 'a', 1.50, TIMESTAMP '2023-11-14 22:13:20', TRUE)`},
		{`{"id":2,"ts":"2023-11-14T22:13:20.5Z"}`, `+I(2, NULL, NULL, TIMESTAMP '2023-11-14 22:13:20.500', NULL)`},
		{`{"ID":"3","ts":"2023-11-14 22:13:20"}`, `+I(3, NULL, NULL, TIMESTAMP '2023-11-14 22:13:20', NULL)`},
	} {
		r, err := f.Decode([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := r.String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{`{"name":"a"}`, `strom: format: json: field "id" is missing or null, but the column is NOT NULL`},
		{`{"id":null}`, `strom: format: json: field "id" is missing or null, but the column is NOT NULL`},
		{`{"id":1,`, `strom: format: json: `},
		{`{"id":"x"}`, `strom: format: json: invalid JSON row: column "id": BIGINT NOT NULL: `},
	} {
		_, err := f.Decode([]byte(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || Class(err) != ClassJSON {
			t.Errorf("%s: got %v (class %s), want prefix %q", tc.in, err, Class(err), tc.want)
		}
	}
	r := table.NewRow(table.Int(7), table.Str("x"), table.Dec(150, 2), table.TimestampMillis(1000), table.Null)
	b, err := f.Encode(r, nil)
	if err != nil || string(b) != `{"id":7,"name":"x","price":1.50,"ts":1000,"ok":null}` {
		t.Fatalf("encode: %s, %v", b, err)
	}
	r.Kind = table.UpdateAfter
	if _, err := f.Encode(r, nil); err == nil {
		t.Fatal("an update through a non-changelog format must fail")
	}
}

func TestRowJSONChangelog(t *testing.T) {
	f := RowJSON(rowSchema(), RowJSONOptions{Changelog: true})
	for _, k := range []table.RowKind{table.Insert, table.UpdateBefore, table.UpdateAfter, table.Delete} {
		r := table.Row{Kind: k, Fields: []table.Value{table.Int(1), table.Str("a"), table.Null, table.TimestampMillis(5), table.Bool(true)}}
		b, err := f.Encode(r, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		want := `x{"op":"` + k.String() + `","id":1,"name":"a","price":null,"ts":5,"ok":true}`
		if string(b) != want {
			t.Fatalf("got %s, want %s", b, want)
		}
		back, err := f.Decode(b[1:])
		if err != nil || !back.Equal(r) {
			t.Fatalf("round trip: %v %v", back, err)
		}
	}
	if _, err := f.Decode([]byte(`{"op":"+X","id":1}`)); err == nil || err.Error() != `strom: format: json: "op" is "+X", want "+I", "-U", "+U" or "-D"` {
		t.Fatal(err)
	}
	clash := RowJSON(table.Schema{Columns: []table.Column{{Name: "op", Type: table.StringType()}}}, RowJSONOptions{Changelog: true})
	if _, err := clash.Encode(table.NewRow(table.Str("x")), nil); err == nil || err.Error() != `strom: format: json: the column "op" clashes with the "op" field of the changelog` {
		t.Fatal(err)
	}
	iso := RowJSON(rowSchema(), RowJSONOptions{TimestampISO: true, TimestampT: true})
	b, err := iso.Encode(table.NewRow(table.Int(1), table.Null, table.Null, table.TimestampMillis(1500), table.Null), nil)
	if err != nil || string(b) != `{"id":1,"name":null,"price":null,"ts":"1970-01-01T00:00:01.5","ok":null}` {
		t.Fatalf("iso: %s %v", b, err)
	}
	if r, err := iso.Decode(b); err != nil || r.Fields[3].String() != table.TimestampMillis(1500).String() {
		t.Fatalf("iso back: %v %v", r, err)
	}
}

// TestRowTimestampText: Flink's json (SQL and ISO-8601) and csv formats
// write a timestamp with as many fraction digits as its value needs,
// whatever the precision, and the json format a TIMESTAMP_LTZ with 'Z'.
func TestRowTimestampText(t *testing.T) {
	s := table.Schema{Columns: []table.Column{{Name: "a", Type: table.TimestampType(3)}, {Name: "b", Type: table.TimestampType(9)}, {Name: "c", Type: table.TimestampLTZType(6)}}}
	r := table.NewRow(table.TimestampMillis(1_577_836_800_000), table.Timestamp(1_577_836_800_120, 3), table.Timestamp(1_577_836_800_005, 0))
	csv, err := RowCSV(s, RowCSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    Format[table.Row]
		want string
	}{
		{RowJSON(s, RowJSONOptions{TimestampISO: true}), `{"a":"2020-01-01 00:00:00","b":"2020-01-01 00:00:00.120000003","c":"2020-01-01 00:00:00.005Z"}`},
		{RowJSON(s, RowJSONOptions{TimestampISO: true, TimestampT: true}), `{"a":"2020-01-01T00:00:00","b":"2020-01-01T00:00:00.120000003","c":"2020-01-01T00:00:00.005Z"}`},
		{RowJSON(s, RowJSONOptions{}), `{"a":1577836800000,"b":1577836800120.000003,"c":1577836800005}`},
		{csv, `2020-01-01 00:00:00,2020-01-01 00:00:00.120000003,2020-01-01 00:00:00.005`},
	} {
		b, err := c.f.Encode(r, nil)
		if err != nil || string(b) != c.want {
			t.Errorf("got %s %v, want %s", b, err, c.want)
			continue
		}
		back, err := c.f.Decode(b)
		if err != nil {
			t.Errorf("%s: decode: %v", b, err)
			continue
		}
		for i := range r.Fields {
			if back.Fields[i].String() != r.Fields[i].String() {
				t.Errorf("%s: field %d back %v, want %v", b, i, back.Fields[i], r.Fields[i])
			}
		}
	}
}

func TestRowCSV(t *testing.T) {
	f, err := RowCSV(rowSchema(), RowCSVOptions{Comma: ';'})
	if err != nil {
		t.Fatal(err)
	}
	r := table.NewRow(table.Int(7), table.Str("a;b \"c\""), table.Dec(-150, 2), table.Timestamp(1500, 7), table.Bool(false))
	b, err := f.Encode(r, nil)
	if err != nil || string(b) != `7;"a;b ""c""";-1.50;1970-01-01 00:00:01.500000007;false` {
		t.Fatalf("encode: %s %v", b, err)
	}
	back, err := f.Decode(append(b, '\n'))
	if err != nil || !back.Equal(r) {
		t.Fatalf("decode: %v %v", back, err)
	}
	nulls, err := f.Decode([]byte("8;;;;"))
	if err != nil || nulls.String() != `+I(8, '', NULL, NULL, NULL)` {
		t.Fatalf("nulls: %v %v", nulls, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"1;2", `strom: format: csv: record has 2 fields, want 5 (id, name, price, ts, ok)`},
		{";a;1;2;true", `strom: format: csv: field "id" (column 1) is null, but the column is NOT NULL`},
		{"x;a;1;2;true", `strom: format: csv: field "id" (column 1): "x" is not a BIGINT`},
		{"1;a;1;2;maybe", `strom: format: csv: field "ok" (column 5): "maybe" is not a BOOLEAN`},
	} {
		_, err := f.Decode([]byte(tc.in))
		if err == nil || err.Error() != tc.want || Class(err) != ClassCSV {
			t.Errorf("%s: got %v, want %s", tc.in, err, tc.want)
		}
	}
	if _, err := RowCSV(table.Schema{Columns: []table.Column{{Name: "a", Type: table.ArrayType(table.IntType())}}}, RowCSVOptions{}); err == nil ||
		err.Error() != `strom: format: csv: column "a": type ARRAY<INT> is not supported by the csv format` {
		t.Fatal(err)
	}
}

func TestRowRaw(t *testing.T) {
	f, err := RowRaw(table.Schema{Columns: []table.Column{{Name: "line", Type: table.StringType()}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Decode([]byte("héllo"))
	if err != nil || r.Fields[0].AsString() != "héllo" {
		t.Fatal(r, err)
	}
	if _, err := f.Decode([]byte{0xff}); Class(err) != ClassRaw {
		t.Fatal(err)
	}
	b, _ := f.Encode(r, nil)
	if string(b) != "héllo" {
		t.Fatal(string(b))
	}
	if _, err := RowRaw(rowSchema()); err == nil || err.Error() != "strom: format: raw: the raw format needs exactly one physical column, the table has 5" {
		t.Fatal(err)
	}
}

func FuzzRowJSONDecode(f *testing.F) {
	for _, s := range []string{`{"id":1,"name":"a","price":1.5,"ts":1700000000000,"ok":true}`, `{"id":"3","ts":"2023-11-14T22:13:20.5Z"}`,
		`{"op":"-U","id":1}`, `{"id":1,"ts":1e400}`, `[`, `{"id":1,"name":"\ud800"}`, `null`, `{"id":1,"x":{"b":[[[[]]]]}}`,
		`{"id":1,"price":99999999999999999999}`, `{"id":1,"ts":"-1.5"}`} {
		f.Add([]byte(s))
	}
	formats := []Format[table.Row]{RowJSON(rowSchema(), RowJSONOptions{}), RowJSON(rowSchema(), RowJSONOptions{Changelog: true})}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, j := range formats {
			r, err := j.Decode(b)
			if err != nil {
				checkClass(t, err, ClassJSON)
				continue
			}
			enc, err := j.Encode(r, nil)
			if err != nil {
				if r.Kind != table.Insert {
					continue
				}
				t.Fatalf("%v: %v", r, err)
			}
			r2, err := j.Decode(enc)
			if err != nil || !r2.Equal(r) {
				t.Fatalf("round trip of %s: %v -> %s -> %v, %v", b, r, enc, r2, err)
			}
		}
	})
}

func TestRowAvro(t *testing.T) {
	s := table.Schema{Columns: []table.Column{
		{Name: "id", Type: table.BigIntType().NotNull()},
		{Name: "n", Type: table.IntType()},
		{Name: "name", Type: table.StringType()},
		{Name: "price", Type: table.DecimalType(10, 2)},
		{Name: "ts", Type: table.TimestampType(3)},
		{Name: "d", Type: table.DateType()},
		{Name: "ok", Type: table.BooleanType().NotNull()},
		{Name: "f", Type: table.DoubleType()},
		{Name: "b", Type: table.BytesType()},
		{Name: "tm", Type: table.TimeType(0)},
	}}
	f, err := RowAvro(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []table.Row{
		table.NewRow(table.Int(1), table.Int(-5), table.Str("x"), table.Dec(-12345, 2), table.TimestampMillis(1700000000123), table.Date(19000), table.Bool(true), table.Float(1.5), table.Bytes([]byte{0, 1}), table.Time(3600000)),
		table.NewRow(table.Int(2), table.Null, table.Null, table.Null, table.Null, table.Null, table.Bool(false), table.Null, table.Null, table.Null),
	} {
		b, err := f.Encode(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := f.Decode(b)
		if err != nil || !back.Equal(r) {
			t.Fatalf("round trip of %s: %s, %v", r, back, err)
		}
	}
	if _, err := f.Decode([]byte{0x02}); Class(err) != ClassAvro {
		t.Fatal(err)
	}
	if _, err := RowAvro(table.Schema{Columns: []table.Column{{Name: "a", Type: table.ArrayType(table.IntType())}}}); err == nil ||
		err.Error() != `strom: format: avro: column "a": type ARRAY<INT> is not supported by the avro row format yet` {
		t.Fatal(err)
	}
}

func FuzzRowCSVDecode(f *testing.F) {
	for _, s := range []string{"7;\"a;b \"\"c\"\"\";-1.50;1970-01-01 00:00:01.5;false", "8;;;;", "1;2", "x;a;1;2;true", "1;\"\n\";1;1;TRUE\r\n", "1;a;1e3;-62135596800000;false"} {
		f.Add([]byte(s))
	}
	c, err := RowCSV(rowSchema(), RowCSVOptions{Comma: ';', NullLiteral: `\N`})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := c.Decode(b)
		if err != nil {
			checkClass(t, err, ClassCSV)
			return
		}
		enc, err := c.Encode(r, nil)
		if err != nil {
			t.Fatalf("%v: %v", r, err)
		}
		r2, err := c.Decode(enc)
		if err != nil || !r2.Equal(r) {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", b, r, enc, r2, err)
		}
	})
}

// TestRowCSVNarrowQuoting encodes through NarrowEncoder (the filesystem
// sink's, which leaves the partition columns out) fields that need
// quoting in the middle of a record: each field's text is written in
// place and quoted afterwards, also when the delimiter occurs in the text
// of a number or a timestamp.
func TestRowCSVNarrowQuoting(t *testing.T) {
	all := rowSchema()
	all.Columns = append(all.Columns, table.Column{Name: "part", Type: table.StringType(), Computed: "(partition)"})
	phys, _ := Physical(all)
	for _, tc := range []struct {
		comma rune
		row   table.Row
		want  string
	}{
		{',', table.NewRow(table.Int(-7), table.Str(" lead"), table.Dec(150, 2), table.Timestamp(1500, 0), table.Bool(true), table.Str("p")),
			`-7," lead",1.50,1970-01-01 00:00:01.5,true`},
		{',', table.NewRow(table.Int(1), table.Str("a,\"b\"\nc"), table.Null, table.Null, table.Bool(false), table.Str("p")),
			"1,\"a,\"\"b\"\"\nc\",,,false"},
		{'-', table.NewRow(table.Int(-7), table.Str("x"), table.Dec(-150, 2), table.Timestamp(1500, 0), table.Bool(true), table.Str("p")),
			`"-7"-x-"-1.50"-"1970-01-01 00:00:01.5"-true`},
		{'.', table.NewRow(table.Int(3), table.Str(""), table.Dec(150, 2), table.Null, table.Null, table.Str("p")),
			`3.."1.50"..`},
		{'§', table.NewRow(table.Int(3), table.Str("a§b\n"), table.Dec(150, 2), table.Null, table.Bool(true), table.Str("p")),
			"3§\"a§b\n\"§1.50§§true"},
		{'§', table.NewRow(table.Int(3), table.Str("a\"b"), table.Dec(150, 2), table.Null, table.Bool(true), table.Str("p")),
			"3§\"a\"\"b\"§1.50§§true"},
	} {
		f, err := RowCSV(phys, RowCSVOptions{Comma: tc.comma})
		if err != nil {
			t.Fatal(err)
		}
		enc := NarrowEncoder(f, all)
		b, err := enc.Encode(tc.row, []byte("prefix|"))
		if err != nil || string(b) != "prefix|"+tc.want {
			t.Errorf("comma %q: got %q %v, want %q", tc.comma, b, err, tc.want)
		}
		// The same as the encoder of the physical row.
		fs := tc.row.Fields[:len(tc.row.Fields)-1]
		if d, err := f.Encode(table.NewRow(fs...), nil); err != nil || string(d) != tc.want {
			t.Errorf("comma %q: direct %q %v", tc.comma, d, err)
		}
	}
}
