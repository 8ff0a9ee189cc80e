// Package catalog holds what a SQL session knows by name: its tables (schema
// with computed columns and watermark, connector options), views and SET
// options. It resolves nothing and checks no types: the planner binds a
// table's computed columns and watermark when the table is created and
// stores the result here.
package catalog

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// Table is a table created by CREATE TABLE.
type Table struct {
	Name string
	// Schema is the full schema: physical, metadata and computed columns,
	// in declaration order, with Rowtime and Watermark set.
	Schema *table.Schema
	// Computed holds, per column of Schema, the expression of a computed
	// column (nil for the others).
	Computed []parser.Expr
	// Watermark is the WATERMARK FOR expression (nil for none).
	Watermark *parser.Watermark
	// OutOfOrderness is the bound the watermark expression gives (the
	// planner sets it from `col - INTERVAL ...`).
	OutOfOrderness time.Duration
	// Connector is the 'connector' option; Options the other WITH options.
	Connector string
	Options   map[string]string
	Temporary bool
	// Def is the statement that created the table.
	Def *parser.CreateTable
}

// Physical returns the schema of the columns a connector reads or writes
// (computed columns removed).
func (t *Table) Physical() *table.Schema {
	s := &table.Schema{PrimaryKey: t.Schema.PrimaryKey}
	for _, c := range t.Schema.Columns {
		if c.Computed == "" {
			s.Columns = append(s.Columns, c)
		}
	}
	return s
}

// View is a view created by CREATE VIEW.
type View struct {
	Name    string
	Columns []string // the optional column list
	Query   *parser.Query
}

// Catalog is a session's catalog. It is not safe for concurrent use.
type Catalog struct {
	tables map[string]*Table
	views  map[string]*View
	// Options are the SET options.
	Options map[string]string
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{tables: map[string]*Table{}, views: map[string]*View{}, Options: map[string]string{}}
}

// ErrExists and ErrNotFound are returned (wrapped) by the methods below.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// AddTable adds t; an existing table or view of that name is an error
// unless ifNotExists (then nothing changes and added is false).
func (c *Catalog) AddTable(t *Table, ifNotExists bool) (added bool, err error) {
	if c.exists(t.Name) {
		if ifNotExists {
			return false, nil
		}
		return false, &Error{fmt.Sprintf("table or view `%s` already exists", t.Name)}
	}
	c.tables[t.Name] = t
	return true, nil
}

// AddView adds v, as AddTable.
func (c *Catalog) AddView(v *View, ifNotExists bool) (bool, error) {
	if c.exists(v.Name) {
		if ifNotExists {
			return false, nil
		}
		return false, &Error{fmt.Sprintf("table or view `%s` already exists", v.Name)}
	}
	c.views[v.Name] = v
	return true, nil
}

func (c *Catalog) exists(name string) bool {
	_, t := c.tables[name]
	_, v := c.views[name]
	return t || v
}

// Table returns the table named exactly name.
func (c *Catalog) Table(name string) (*Table, bool) {
	t, ok := c.tables[name]
	return t, ok
}

// View returns the view named exactly name.
func (c *Catalog) View(name string) (*View, bool) {
	v, ok := c.views[name]
	return v, ok
}

// Drop removes the table or view (object "TABLE" or "VIEW") name.
func (c *Catalog) Drop(object, name string, ifExists bool) error {
	switch object {
	case "TABLE":
		if _, ok := c.tables[name]; ok {
			delete(c.tables, name)
			return nil
		}
	case "VIEW":
		if _, ok := c.views[name]; ok {
			delete(c.views, name)
			return nil
		}
	default:
		return &Error{fmt.Sprintf("DROP %s is not supported yet", object)}
	}
	if ifExists {
		return nil
	}
	msg := fmt.Sprintf("%s `%s` does not exist", strings.ToLower(object), name)
	if s := c.Suggest(name); s != "" {
		msg += fmt.Sprintf("; did you mean `%s`?", s)
	}
	return &Error{msg}
}

// Tables returns the names of the tables, sorted.
func (c *Catalog) Tables() []string {
	var ns []string
	for n := range c.tables {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Views returns the names of the views, sorted.
func (c *Catalog) Views() []string {
	var ns []string
	for n := range c.views {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Suggest returns the table or view name closest to name (edit distance at
// most 2, or equal ignoring case), "" for none.
func (c *Catalog) Suggest(name string) string {
	var all []string
	all = append(all, c.Tables()...)
	all = append(all, c.Views()...)
	return Closest(name, all)
}

// Closest returns the candidate closest to name within edit distance 2
// (case-insensitive equality counts as 0), "" for none.
func Closest(name string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := distance(strings.ToLower(name), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Describe returns DESCRIBE's text of a table: one line per column (name,
// type, nullability, computed expression), then the watermark and the
// primary key. The event-time attribute's type is marked *ROWTIME*, as
// the processing-time one's is *PROCTIME* (Flink's DESCRIBE); the name
// and type columns are as wide as their longest entry (at least 16 and 24).
func (t *Table) Describe() string {
	types := make([]string, len(t.Schema.Columns))
	nameW, typeW := 16, 24
	for i, c := range t.Schema.Columns {
		types[i] = c.Type.AsNullable().String()
		if t.Schema.Rowtime == c.Name && !strings.Contains(types[i], "*ROWTIME*") {
			types[i] += " *ROWTIME*"
		}
		nameW, typeW = max(nameW, len(c.Name)), max(typeW, len(types[i]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %-*s %-5s %s\n", nameW, "name", typeW, "type", "null", "extras")
	for i, c := range t.Schema.Columns {
		null := "true"
		if !c.Type.Nullable() {
			null = "false"
		}
		extra := ""
		switch {
		case c.Computed != "":
			extra = "AS " + c.Computed
		case c.Metadata != "":
			extra = "METADATA FROM '" + c.Metadata + "'"
		}
		if t.Schema.Rowtime == c.Name {
			extra = strings.TrimSpace(extra + " WATERMARK AS " + t.Schema.Watermark)
		}
		line := fmt.Sprintf("%-*s %-*s %-5s %s", nameW, c.Name, typeW, types[i], null, extra)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	if len(t.Schema.PrimaryKey) > 0 {
		fmt.Fprintf(&b, "PRIMARY KEY (%s) NOT ENFORCED\n", strings.Join(t.Schema.PrimaryKey, ", "))
	}
	return strings.TrimRight(b.String(), " \n") + "\n"
}

// Snapshot is the catalog's content at one time (see Catalog.Snapshot).
type Snapshot struct {
	tables  map[string]*Table
	views   map[string]*View
	options map[string]string
}

// Snapshot returns the current tables, views and SET options, for Restore.
// Tables and views are shared, not copied: nothing changes one in place
// (CREATE OR REPLACE and DROP replace or remove the entry).
func (c *Catalog) Snapshot() *Snapshot {
	return &Snapshot{tables: cloneMap(c.tables), views: cloneMap(c.views), options: cloneMap(c.Options)}
}

// Restore puts the catalog back to s: every table, view and SET option
// created, replaced, dropped, set or reset since is undone. The maps are
// refilled in place (Options stays the same map).
func (c *Catalog) Restore(s *Snapshot) {
	refill(c.tables, s.tables)
	refill(c.views, s.views)
	refill(c.Options, s.options)
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func refill[V any](dst, src map[string]V) {
	clear(dst)
	for k, v := range src {
		dst[k] = v
	}
}
