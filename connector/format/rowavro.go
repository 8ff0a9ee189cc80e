package format

import (
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/stromio/strom/table"
	"github.com/twmb/franz-go/pkg/sr"
)

// AvroSchemaOf returns the Avro schema (JSON text) of the rows of s, as
// Flink's avro format derives it: a record named "record" in namespace
// "org.apache.flink.avro.generated" with one field per column; a nullable
// column is the union ["null", T] with default null. Types: BOOLEAN
// boolean, TINYINT/SMALLINT/INT int, BIGINT long, FLOAT float, DOUBLE
// double, CHAR/VARCHAR string, BINARY/VARBINARY bytes, DECIMAL(p,s) bytes
// with logical type decimal, DATE int/date, TIME int/time-millis,
// TIMESTAMP(_LTZ) long/timestamp-millis. ARRAY, MAP and ROW columns are not
// supported yet (an error naming the column).
func AvroSchemaOf(s table.Schema) (string, error) {
	fields := make([]map[string]any, 0, len(s.Columns))
	for _, c := range s.Columns {
		var t any
		switch c.Type.Root() {
		case table.RootBoolean:
			t = "boolean"
		case table.RootTinyInt, table.RootSmallInt, table.RootInt:
			t = "int"
		case table.RootBigInt:
			t = "long"
		case table.RootFloat:
			t = "float"
		case table.RootDouble:
			t = "double"
		case table.RootChar, table.RootVarChar:
			t = "string"
		case table.RootBinary, table.RootVarBinary:
			t = "bytes"
		case table.RootDecimal:
			t = map[string]any{"type": "bytes", "logicalType": "decimal", "precision": c.Type.Precision(), "scale": c.Type.Scale()}
		case table.RootDate:
			t = map[string]any{"type": "int", "logicalType": "date"}
		case table.RootTime:
			t = map[string]any{"type": "int", "logicalType": "time-millis"}
		case table.RootTimestamp, table.RootTimestampLTZ:
			t = map[string]any{"type": "long", "logicalType": "timestamp-millis"}
		default:
			return "", fmt.Errorf("strom: format: avro: column %q: type %s is not supported by the avro row format yet", c.Name, c.Type)
		}
		f := map[string]any{"name": c.Name, "type": t}
		if c.Type.Nullable() {
			f["type"] = []any{"null", t}
			f["default"] = nil
		}
		fields = append(fields, f)
	}
	b, err := json.Marshal(map[string]any{"type": "record", "name": "record", "namespace": "org.apache.flink.avro.generated", "fields": fields})
	return string(b), err
}

// RowAvro is Avro binary (no header) of the rows of schema, with the schema
// of AvroSchemaOf. Rows must be inserts. Errors are *Error of class "avro".
func RowAvro(schema table.Schema) (Format[table.Row], error) {
	text, err := AvroSchemaOf(schema)
	if err != nil {
		return nil, err
	}
	f, err := newAvroFormat[map[string]any](AvroOptions{Schema: text})
	if err != nil {
		return nil, err
	}
	return &rowAvro{schema: schema, f: f}, nil
}

// RowAvroRegistry is RowAvro in the Confluent wire format through a
// schema registry (AvroRegistry): Encode registers the schema under
// subject (Flink's avro-confluent uses "<topic>-value" and "<topic>-key"),
// Decode reads records of any writer schema the registry resolves to it.
func RowAvroRegistry(schema table.Schema, client *sr.Client, subject string) (Format[table.Row], error) {
	text, err := AvroSchemaOf(schema)
	if err != nil {
		return nil, err
	}
	f, err := AvroRegistry[map[string]any](client, subject, AvroOptions{Schema: text})
	if err != nil {
		return nil, err
	}
	return &rowAvro{schema: schema, f: f}, nil
}

type rowAvro struct {
	schema table.Schema
	f      Format[map[string]any]
}

func (a *rowAvro) Encode(r table.Row, dst []byte) ([]byte, error) {
	if r.Kind != table.Insert {
		return dst, newError(ClassAvro, nil, "cannot write a %s row: the avro format has no row kind (use json for updating results)", r.Kind)
	}
	if len(r.Fields) != len(a.schema.Columns) {
		return dst, newError(ClassAvro, nil, "row has %d fields, the schema %d columns", len(r.Fields), len(a.schema.Columns))
	}
	m := make(map[string]any, len(r.Fields))
	for i, c := range a.schema.Columns {
		v := r.Fields[i]
		if v.IsNull() {
			m[c.Name] = nil
			continue
		}
		switch c.Type.Root() {
		case table.RootBoolean:
			m[c.Name] = v.AsBool()
		case table.RootTinyInt, table.RootSmallInt, table.RootInt:
			m[c.Name] = int(v.AsInt())
		case table.RootBigInt:
			m[c.Name] = v.AsInt()
		case table.RootFloat:
			m[c.Name] = float32(v.AsFloat())
		case table.RootDouble:
			m[c.Name] = v.AsFloat()
		case table.RootChar, table.RootVarChar:
			m[c.Name] = v.AsString()
		case table.RootBinary, table.RootVarBinary:
			m[c.Name] = v.AsBytes()
		case table.RootDecimal:
			d := v.AsDecimal().Rescale(c.Type.Scale())
			m[c.Name] = new(big.Rat).SetFrac(d.Unscaled(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale())), nil))
		case table.RootDate:
			m[c.Name] = time.UnixMilli(int64(v.AsDate()) * 86_400_000).UTC()
		case table.RootTime:
			m[c.Name] = time.Duration(v.AsTime()) * time.Millisecond
		case table.RootTimestamp, table.RootTimestampLTZ:
			ms, _ := v.AsTimestamp()
			m[c.Name] = time.UnixMilli(ms).UTC()
		}
	}
	return a.f.Encode(m, dst)
}

func (a *rowAvro) Decode(b []byte) (table.Row, error) {
	m, err := a.f.Decode(b)
	if err != nil {
		return table.Row{}, err
	}
	fs := make([]table.Value, len(a.schema.Columns))
	for i, c := range a.schema.Columns {
		x := m[c.Name]
		if x == nil {
			if !c.Type.Nullable() {
				return table.Row{}, newError(ClassAvro, nil, "field %q is missing or null, but the column is NOT NULL", c.Name)
			}
			continue
		}
		v, ok := avroValue(x, c.Type)
		if !ok {
			return table.Row{}, newError(ClassAvro, nil, "field %q: %T does not fit %s", c.Name, x, c.Type)
		}
		fs[i] = v
	}
	return table.Row{Fields: fs}, nil
}

func avroValue(x any, t table.Type) (table.Value, bool) {
	switch v := x.(type) {
	case bool:
		return table.Bool(v), t.Root() == table.RootBoolean
	case int:
		return table.Int(int64(v)), t.IsInteger()
	case int32:
		return table.Int(int64(v)), t.IsInteger()
	case int64:
		if t.IsTimestamp() {
			return table.TimestampMillis(v), true
		}
		return table.Int(v), t.IsInteger()
	case float32:
		return table.Float(float64(v)), t.Root() == table.RootFloat || t.Root() == table.RootDouble
	case float64:
		return table.Float(v), t.Root() == table.RootFloat || t.Root() == table.RootDouble
	case string:
		return table.Str(v), t.IsString()
	case []byte:
		return table.Bytes(v), t.IsBinary()
	case *big.Rat:
		if t.Root() != table.RootDecimal {
			return table.Null, false
		}
		num := new(big.Int).Mul(v.Num(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale())), nil))
		num.Quo(num, v.Denom())
		d, err := table.NewDecimalBig(num, t.Scale()).ToType(t.Precision(), t.Scale())
		return table.DecimalValue(d), err == nil
	case time.Time:
		switch {
		case t.IsTimestamp():
			return table.TimestampMillis(v.UnixMilli()), true
		case t.Root() == table.RootDate:
			return table.Date(int32(v.Unix() / 86_400)), true
		}
	case time.Duration:
		return table.Time(int32(v / time.Millisecond)), t.Root() == table.RootTime
	}
	return table.Null, false
}
