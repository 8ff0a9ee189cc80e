package format

import (
	"strings"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// The row formats by name, for the 'format' option of SQL tables.
const (
	RowFormatJSON = "json"
	RowFormatCSV  = "csv"
	RowFormatRaw  = "raw"
	// RowFormatAvro is Avro binary with the schema of AvroSchemaOf.
	RowFormatAvro = "avro"
	// RowFormatAvroConfluent is Avro in the Confluent wire format through
	// the schema registry at 'avro-confluent.url'.
	RowFormatAvroConfluent = "avro-confluent"
)

// The option keys of the row formats (after the prefix of RowFormatOptions:
// "" for 'format', "key." or "value." for a Kafka key or value format).
const (
	OptJSONTimestampStandard = "json.timestamp-format.standard"
	OptCSVFieldDelimiter     = "csv.field-delimiter"
	OptCSVNullLiteral        = "csv.null-literal"
	OptAvroConfluentURL      = "avro-confluent.url"
	OptAvroConfluentSubject  = "avro-confluent.subject"
)

// RowFormatOptions documents the options of the row formats, for the
// Options of a TableFactory. prefix is put before each key ("" or "key.").
func RowFormatOptions(prefix string) []connector.TableOption {
	return []connector.TableOption{
		{Key: prefix + OptJSONTimestampStandard, Default: "EPOCH-MILLIS",
			Description: "json: how TIMESTAMP columns are written: 'EPOCH-MILLIS' (a number, the Nexmark interchange format; strom's default), 'SQL' (\"yyyy-MM-dd HH:mm:ss.SSS\") or 'ISO-8601' (\"yyyy-MM-ddTHH:mm:ss.SSS\"); all three are read"},
		{Key: prefix + OptCSVFieldDelimiter, Default: ",", Description: "csv: the field delimiter, one character"},
		{Key: prefix + OptCSVNullLiteral, Description: "csv: the text of NULL (default: an empty field)"},
	}
}

// RowFormatRegistryOptions documents the options of avro-confluent, for the
// connectors that offer it (Kafka).
func RowFormatRegistryOptions(prefix string) []connector.TableOption {
	return []connector.TableOption{
		{Key: prefix + OptAvroConfluentURL, Description: "avro-confluent: the URL of the schema registry (http or https)"},
		{Key: prefix + OptAvroConfluentSubject, Description: "avro-confluent: the subject (default '<topic>-value', '<topic>-key' for the key)"},
	}
}

// RowFormatSpec is what NewRowFormatFor needs beyond the options.
type RowFormatSpec struct {
	// Prefix of the format's option keys ("", "key.", "value.").
	Prefix string
	// Changelog: the json format carries the row kind ("op").
	Changelog bool
	// Subject is the default avro-confluent subject ("" : avro-confluent
	// is not offered).
	Subject string
}

// NewRowFormat returns the row format name ("json", "csv", "raw") for
// schema, configured by the options of RowFormatOptions(prefix) in o.
// changelog makes the json format carry the row kind ("op"); csv and raw
// cannot, and say so.
func NewRowFormat(name string, schema table.Schema, o *connector.TableOptions, prefix string, changelog bool) (Format[table.Row], error) {
	return NewRowFormatFor(name, schema, o, RowFormatSpec{Prefix: prefix, Changelog: changelog})
}

// NewRowFormatFor is NewRowFormat that also offers avro-confluent when
// spec.Subject is set (its registry client is built from the
// 'avro-confluent.url' option).
func NewRowFormatFor(name string, schema table.Schema, o *connector.TableOptions, spec RowFormatSpec) (Format[table.Row], error) {
	prefix, changelog := spec.Prefix, spec.Changelog
	switch name {
	case RowFormatAvro, RowFormatAvroConfluent:
		if changelog {
			return nil, o.Errorf("format '%s' cannot write updates (rows of kind -U, +U, -D): use 'json', which writes the \"op\" field", name)
		}
		if name == RowFormatAvro {
			f, err := RowAvro(schema)
			if err != nil {
				return nil, o.Errorf("%v", err)
			}
			return f, nil
		}
		if spec.Subject == "" {
			break
		}
		url := o.Get(prefix + OptAvroConfluentURL)
		if url == "" {
			return nil, o.Errorf("format 'avro-confluent' needs '%s'", prefix+OptAvroConfluentURL)
		}
		if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			return nil, o.Errorf("option '%s' is '%s', want an http:// or https:// URL", prefix+OptAvroConfluentURL, url)
		}
		cl, err := sr.NewClient(sr.URLs(url))
		if err != nil {
			return nil, o.Errorf("schema registry %s: %v", url, err)
		}
		subject := o.Get(prefix + OptAvroConfluentSubject)
		if subject == "" {
			subject = spec.Subject
		}
		f, err := RowAvroRegistry(schema, cl, subject)
		if err != nil {
			return nil, o.Errorf("%v", err)
		}
		return f, nil
	case RowFormatJSON:
		std, err := o.Enum(prefix+OptJSONTimestampStandard, "EPOCH-MILLIS", "SQL", "ISO-8601")
		if err != nil {
			return nil, err
		}
		if changelog && schema.Index("op") >= 0 {
			return nil, o.Errorf("the column \"op\" clashes with the \"op\" field that the json format writes for updates: rename the column")
		}
		return RowJSON(schema, RowJSONOptions{Changelog: changelog, TimestampISO: std == "SQL" || std == "ISO-8601", TimestampT: std == "ISO-8601"}), nil
	case RowFormatCSV, RowFormatRaw:
		if changelog {
			return nil, o.Errorf("format '%s' cannot write updates (rows of kind -U, +U, -D): use 'json', which writes the \"op\" field", name)
		}
		if name == RowFormatRaw {
			f, err := RowRaw(schema)
			if err != nil {
				return nil, o.Errorf("%v", err)
			}
			return f, nil
		}
		co := RowCSVOptions{NullLiteral: o.Get(prefix + OptCSVNullLiteral)}
		if d := o.Get(prefix + OptCSVFieldDelimiter); d != "" {
			r, n := utf8.DecodeRuneInString(d)
			if n != len(d) {
				return nil, o.Errorf("option '%s' is '%s', want one character", prefix+OptCSVFieldDelimiter, d)
			}
			co.Comma = r
		}
		f, err := RowCSV(schema, co)
		if err != nil {
			return nil, o.Errorf("%v", err)
		}
		return f, nil
	}
	if spec.Subject != "" {
		return nil, o.Errorf("unknown format '%s' (want 'json', 'csv', 'raw', 'avro' or 'avro-confluent')", name)
	}
	return nil, o.Errorf("unknown format '%s' (want 'json', 'csv', 'raw' or 'avro')", name)
}

// WidenDecoder returns a decoder of rows of all the columns of s: d decodes
// the physical columns (Physical(s)), the other columns are NULL in the
// rows it returns (the SQL layer computes computed columns, a connector
// fills its metadata columns). It returns d itself when every column is
// physical.
func WidenDecoder(d Decoder[table.Row], s table.Schema) Decoder[table.Row] {
	_, idx := Physical(s)
	if len(idx) == len(s.Columns) {
		return d
	}
	return widen{d: d, idx: idx, n: len(s.Columns)}
}

type widen struct {
	d   Decoder[table.Row]
	idx []int
	n   int
}

func (w widen) Decode(b []byte) (table.Row, error) {
	r, err := w.d.Decode(b)
	if err != nil {
		return r, err
	}
	fs := make([]table.Value, w.n)
	for i, j := range w.idx {
		fs[j] = r.Fields[i]
	}
	return table.Row{Kind: r.Kind, Fields: fs}, nil
}

// NarrowEncoder returns an encoder of rows of all the columns of s that
// writes their physical columns through e (which encodes Physical(s)). It
// returns e itself when every column is physical.
func NarrowEncoder(e Encoder[table.Row], s table.Schema) Encoder[table.Row] {
	_, idx := Physical(s)
	if len(idx) == len(s.Columns) {
		return e
	}
	return narrow{e: e, idx: idx, n: len(s.Columns)}
}

type narrow struct {
	e   Encoder[table.Row]
	idx []int
	n   int
}

func (n narrow) Encode(r table.Row, dst []byte) ([]byte, error) {
	if len(r.Fields) != n.n {
		return dst, newError(ClassOther, nil, "row has %d fields, the table %d columns", len(r.Fields), n.n)
	}
	if c, ok := n.e.(*rowCSV); ok {
		return c.encode(r, n.idx, dst) // no narrowed copy of the row
	}
	fs := make([]table.Value, len(n.idx))
	for i, j := range n.idx {
		fs[i] = r.Fields[j]
	}
	return n.e.Encode(table.Row{Kind: r.Kind, Fields: fs}, dst)
}
