package table

import (
	"fmt"
	"strings"
)

// RowKind is the change a row carries in a changelog (Flink's RowKind).
type RowKind uint8

// The row kinds. The zero RowKind is Insert.
const (
	Insert       RowKind = iota // +I
	UpdateBefore                // -U: retracts the previous row of an update
	UpdateAfter                 // +U: the new row of an update
	Delete                      // -D
	numRowKinds
)

var rowKindShort = [numRowKinds]string{"+I", "-U", "+U", "-D"}

// String returns the short form "+I", "-U", "+U" or "-D": the value of the
// "op" field of changelog result rows in the Nexmark spec (§3.3), as Flink
// prints a changelog.
func (k RowKind) String() string {
	if k < numRowKinds {
		return rowKindShort[k]
	}
	return fmt.Sprintf("RowKind(%d)", uint8(k))
}

// ParseRowKind parses the short form of String.
func ParseRowKind(s string) (RowKind, bool) {
	for i, n := range rowKindShort {
		if s == n {
			return RowKind(i), true
		}
	}
	return 0, false
}

// IsAccumulate reports whether k adds to a result (+I, +U).
func (k RowKind) IsAccumulate() bool { return k == Insert || k == UpdateAfter }

// IsRetract reports whether k takes back from a result (-U, -D).
func (k RowKind) IsRetract() bool { return k == UpdateBefore || k == Delete }

// Row is one row of a changelog: its kind and its field values, in the order
// of the columns of its schema.
type Row struct {
	Kind   RowKind
	Fields []Value
}

// NewRow returns an insert row of the given fields (held, not copied).
func NewRow(fields ...Value) Row { return Row{Fields: fields} }

// String returns the kind and the fields as SQL literals: "+I(1, 'a')".
func (r Row) String() string {
	var b []byte
	b = append(b, r.Kind.String()...)
	b = append(b, '(')
	for i, v := range r.Fields {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = v.AppendSQL(b)
	}
	return string(append(b, ')'))
}

// Equal reports whether r and s have the same kind and Equal fields.
func (r Row) Equal(s Row) bool {
	if r.Kind != s.Kind || len(r.Fields) != len(s.Fields) {
		return false
	}
	for i := range r.Fields {
		if !r.Fields[i].Equal(s.Fields[i]) {
			return false
		}
	}
	return true
}

// Column is one column of a Schema.
type Column struct {
	Name string
	Type Type
	// Computed is the SQL text of a computed column's expression (AS ...),
	// empty for a physical column.
	Computed string
	// Metadata is the metadata key of a METADATA column ("" for others; the
	// column name when declared without FROM).
	Metadata string
	// Virtual marks a METADATA VIRTUAL column (read only, not written).
	Virtual bool
	Comment string
}

// IsPhysical reports whether the column is read from the data itself.
func (c Column) IsPhysical() bool { return c.Computed == "" && c.Metadata == "" }

// Schema is the schema of a table or of a query's result.
//
// Names: SQL identifiers are case-sensitive in Flink (its default lexical
// policy keeps the case of quoted and unquoted identifiers alike), so
// [Schema.Index] matches exactly; [Schema.IndexFold] is the
// case-insensitive lookup, for error hints and for formats whose field names
// are not under the user's control.
type Schema struct {
	Columns []Column
	// Rowtime is the name of the event-time attribute column (declared by a
	// WATERMARK), "" for none.
	Rowtime string
	// Watermark is the SQL text of the watermark expression.
	Watermark string
	// PrimaryKey is the names of the primary key columns (NOT ENFORCED, as
	// in Flink), nil for none.
	PrimaryKey []string
}

// NewSchema returns a schema of physical columns.
func NewSchema(cols ...Column) *Schema { return &Schema{Columns: cols} }

// Len returns the number of columns.
func (s *Schema) Len() int { return len(s.Columns) }

// Index returns the position of the column named exactly name, or -1.
func (s *Schema) Index(name string) int {
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// IndexFold returns the position of the first column whose name equals name
// case-insensitively (Unicode simple folding), or -1.
func (s *Schema) IndexFold(name string) int {
	for i := range s.Columns {
		if strings.EqualFold(s.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// Column returns the column named exactly name.
func (s *Schema) Column(name string) (Column, bool) {
	if i := s.Index(name); i >= 0 {
		return s.Columns[i], true
	}
	return Column{}, false
}

// Names returns the column names in order.
func (s *Schema) Names() []string {
	ns := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		ns[i] = c.Name
	}
	return ns
}

// Types returns the column types in order.
func (s *Schema) Types() []Type {
	ts := make([]Type, len(s.Columns))
	for i, c := range s.Columns {
		ts[i] = c.Type
	}
	return ts
}

// RowType returns the schema as a ROW type.
func (s *Schema) RowType() Type {
	fs := make([]Field, len(s.Columns))
	for i, c := range s.Columns {
		fs[i] = Field{Name: c.Name, Type: c.Type}
	}
	return RowType(fs...)
}

// PrimaryKeyIndexes returns the positions of the primary key columns.
func (s *Schema) PrimaryKeyIndexes() []int {
	idx := make([]int, 0, len(s.PrimaryKey))
	for _, n := range s.PrimaryKey {
		idx = append(idx, s.Index(n))
	}
	return idx
}

// Validate checks that column names are unique and non-empty, that the
// rowtime and primary key columns exist, that the rowtime column is a
// TIMESTAMP(p <= 3) or TIMESTAMP_LTZ(p <= 3) (as Flink requires), and that
// primary key columns are NOT NULL.
func (s *Schema) Validate() error {
	seen := make(map[string]bool, len(s.Columns))
	for _, c := range s.Columns {
		if c.Name == "" {
			return fmt.Errorf("table: schema: a column has no name")
		}
		if seen[c.Name] {
			return fmt.Errorf("table: schema: duplicate column %q", c.Name)
		}
		seen[c.Name] = true
	}
	if s.Rowtime != "" {
		c, ok := s.Column(s.Rowtime)
		if !ok {
			return fmt.Errorf("table: schema: rowtime column %q does not exist", s.Rowtime)
		}
		if !c.Type.IsTimestamp() || c.Type.Precision() > 3 {
			return fmt.Errorf("table: schema: rowtime column %q must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), not %s",
				s.Rowtime, c.Type)
		}
	}
	for _, n := range s.PrimaryKey {
		c, ok := s.Column(n)
		if !ok {
			return fmt.Errorf("table: schema: primary key column %q does not exist", n)
		}
		if c.Type.Nullable() {
			return fmt.Errorf("table: schema: primary key column %q must be NOT NULL", n)
		}
	}
	return nil
}

// String returns the schema in the form of a CREATE TABLE column list.
func (s *Schema) String() string {
	var b strings.Builder
	b.WriteString("(\n")
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  `%s` ", strings.ReplaceAll(c.Name, "`", "``"))
		switch {
		case c.Computed != "":
			fmt.Fprintf(&b, "AS %s", c.Computed)
		default:
			t := c.Type
			if c.Name == s.Rowtime {
				t = t.WithTimeAttr(Rowtime)
			}
			b.WriteString(t.String())
			if c.Metadata != "" {
				fmt.Fprintf(&b, " METADATA FROM '%s'", c.Metadata)
				if c.Virtual {
					b.WriteString(" VIRTUAL")
				}
			}
		}
	}
	if s.Rowtime != "" && s.Watermark != "" {
		fmt.Fprintf(&b, ",\n  WATERMARK FOR `%s` AS %s", s.Rowtime, s.Watermark)
	}
	if len(s.PrimaryKey) > 0 {
		fmt.Fprintf(&b, ",\n  PRIMARY KEY (`%s`) NOT ENFORCED", strings.Join(s.PrimaryKey, "`, `"))
	}
	b.WriteString("\n)")
	return b.String()
}
