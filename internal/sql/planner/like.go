package planner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/parser"
)

// likeFeatures are the features of a LIKE clause with Flink's default
// merging strategy of each (no options: INCLUDING ALL OVERWRITING OPTIONS).
var likeDefaults = map[string]string{
	"CONSTRAINTS": "INCLUDING",
	"GENERATED":   "INCLUDING",
	"METADATA":    "INCLUDING",
	"OPTIONS":     "OVERWRITING",
	"PARTITIONS":  "INCLUDING",
	"WATERMARKS":  "INCLUDING",
}

// likeStrategies returns the merging strategy of every feature: Flink's
// defaults, then ALL (wherever it is in the list), then the other options.
func likeStrategies(opts []*parser.LikeOption) map[string]string {
	s := map[string]string{}
	for f, d := range likeDefaults {
		s[f] = d
	}
	for _, o := range opts {
		if o.Feature == "ALL" {
			for f := range likeDefaults {
				s[f] = o.Strategy
			}
		}
	}
	for _, o := range opts {
		if o.Feature != "ALL" {
			s[o.Feature] = o.Strategy
		}
	}
	return s
}

// likeCopy records what a CREATE TABLE ... LIKE took from its source table,
// so that an error about a copied part names where it came from.
type likeCopy struct {
	source string
	copied map[parser.Node]bool
}

// wrap adds to err, about node n, that n was copied from the source table.
func (lc *likeCopy) wrap(n parser.Node, err error) error {
	if lc == nil || err == nil || !lc.copied[n] {
		return err
	}
	var pe *Error
	if errors.As(err, &pe) {
		return &Error{Line: pe.Line, Col: pe.Col, Msg: fmt.Sprintf("%s (in `%s`, which LIKE copied from `%s`)", pe.Msg, n, lc.source)}
	}
	return err
}

// mergeLike resolves CREATE TABLE ... LIKE source into the plain CREATE
// TABLE it stands for, as Flink's MergeTableLikeUtil does: the source's
// physical columns always, its computed columns (GENERATED), metadata
// columns (METADATA), watermark (WATERMARKS), primary key (CONSTRAINTS),
// PARTITIONED BY (PARTITIONS) and WITH options (OPTIONS) by their merging
// strategy, then the statement's own. The parts copied from the source are
// relocated to the LIKE clause (errors about them point there).
func (p *Planner) mergeLike(ct *parser.CreateTable) (*parser.CreateTable, *likeCopy, error) {
	l := ct.Like
	if len(l.Source.Parts) > 1 {
		return nil, nil, errAt(l.Source, "qualified table names (catalog.db.table) are not supported yet")
	}
	name := l.Source.Parts[0].Name
	src, ok := p.Cat.Table(name)
	if !ok {
		if _, isView := p.Cat.View(name); isView {
			return nil, nil, errAt(l.Source, "`%s` is a view: LIKE copies the definition of a table", name)
		}
		msg := fmt.Sprintf("unknown table `%s` after LIKE", name)
		if s := p.Cat.Suggest(name); s != "" {
			msg += fmt.Sprintf("; did you mean `%s`?", s)
		}
		return nil, nil, errAt(l.Source, "%s", msg)
	}
	// A copy of the source's definition (the catalog's stays as it is).
	st, err := parser.Parse(src.Def.String())
	if err != nil {
		return nil, nil, fmt.Errorf("strom: internal error: the definition of `%s` does not parse back: %v", name, err)
	}
	cp := st.(*parser.CreateTable)
	parser.Relocate(cp, l.Pos())
	lc := &likeCopy{source: name, copied: map[parser.Node]bool{}}
	strat := likeStrategies(l.Options)

	m := &parser.CreateTable{Temporary: ct.Temporary, IfNotExists: ct.IfNotExists, Name: ct.Name, Comment: ct.Comment}
	m.At = ct.At

	// Columns: the source's first, in its order; a column of the
	// statement replaces one of the same name in its place (computed over
	// computed with OVERWRITING GENERATED, metadata over metadata with
	// OVERWRITING METADATA), else it is appended.
	pk := map[string]bool{}
	for _, k := range src.Schema.PrimaryKey {
		pk[k] = true
	}
	index := map[string]int{}
	for _, c := range cp.Columns {
		if c.Computed != nil && strat["GENERATED"] == "EXCLUDING" || c.Metadata && strat["METADATA"] == "EXCLUDING" {
			continue
		}
		c.PrimaryKey = false
		if pk[c.Name.Name] && c.Type != nil {
			// The source's key columns are NOT NULL (as Flink's
			// resolved schema has them), with or without its key.
			c.Type.NotNull, c.Type.Null = true, false
		}
		index[c.Name.Name] = len(m.Columns)
		m.Columns = append(m.Columns, c)
		lc.copied[c] = true
	}
	seen := map[string]bool{}
	for _, c := range ct.Columns {
		n := c.Name.Name
		if seen[n] {
			return nil, nil, errAt(c, "duplicate column `%s`", n)
		}
		seen[n] = true
		i, exists := index[n]
		if !exists {
			m.Columns = append(m.Columns, c)
			continue
		}
		old := m.Columns[i]
		switch {
		case c.Computed == nil && !c.Metadata:
			return nil, nil, errAt(c.Name, "column `%s` is already a %s column of `%s` (the table of LIKE): the columns of LIKE's table cannot be redefined; give this column another name", n, columnKind(old), name)
		case c.Computed != nil && old.Computed == nil:
			return nil, nil, errAt(c.Name, "column `%s` is already a %s column of `%s` (the table of LIKE): a computed column can replace only a computed column; give this column another name", n, columnKind(old), name)
		case c.Computed != nil && strat["GENERATED"] != "OVERWRITING":
			return nil, nil, errAt(c.Name, "`%s` (the table of LIKE) has a computed column `%s` already: add OVERWRITING GENERATED to the LIKE options to replace it, or EXCLUDING GENERATED to leave out the computed columns of `%s`", name, n, name)
		case c.Metadata && !old.Metadata:
			return nil, nil, errAt(c.Name, "column `%s` is already a %s column of `%s` (the table of LIKE): a metadata column can replace only a metadata column; give this column another name", n, columnKind(old), name)
		case c.Metadata && strat["METADATA"] != "OVERWRITING":
			return nil, nil, errAt(c.Name, "`%s` (the table of LIKE) has a metadata column `%s` already: add OVERWRITING METADATA to the LIKE options to replace it, or EXCLUDING METADATA to leave out the metadata columns of `%s`", name, n, name)
		}
		m.Columns[i] = c
	}

	// Watermark: the source's unless EXCLUDING; one of the statement for
	// the same column replaces it only with OVERWRITING WATERMARKS.
	var srcWM *parser.Watermark
	if strat["WATERMARKS"] != "EXCLUDING" && len(cp.Watermarks) > 0 {
		srcWM = cp.Watermarks[0]
	}
	for _, w := range ct.Watermarks {
		switch {
		case srcWM == nil:
			m.Watermarks = append(m.Watermarks, w)
		case formatName(w.Column) == formatName(srcWM.Column):
			if strat["WATERMARKS"] != "OVERWRITING" {
				return nil, nil, errAt(w, "`%s` (the table of LIKE) has a WATERMARK FOR %s already: add OVERWRITING WATERMARKS to the LIKE options to replace it, or EXCLUDING WATERMARKS", name, formatName(w.Column))
			}
			srcWM = nil
			m.Watermarks = append(m.Watermarks, w)
		default:
			return nil, nil, errAt(w, "`%s` (the table of LIKE) has a WATERMARK FOR %s and a table has at most one: add EXCLUDING WATERMARKS to the LIKE options to define this one instead", name, formatName(srcWM.Column))
		}
	}
	if srcWM != nil {
		col := formatName(srcWM.Column)
		if colDef(m, col) == nil {
			c := colDef(cp, col)
			return nil, nil, errAt(l, "the WATERMARK of `%s` is FOR `%s`, a %s column that the LIKE options leave out: add EXCLUDING WATERMARKS or INCLUDING %s to the LIKE options", name, col, columnKind(c), likeFeatureOf(c))
		}
		m.Watermarks = append([]*parser.Watermark{srcWM}, m.Watermarks...)
		lc.copied[srcWM] = true
	}

	// Primary key: the source's with INCLUDING CONSTRAINTS (the default),
	// and then the statement may not define one.
	var derivedPK parser.Node
	if ct.PrimaryKey != nil {
		derivedPK = ct.PrimaryKey
	}
	for _, c := range ct.Columns {
		if c.PrimaryKey && derivedPK == nil {
			derivedPK = c
		}
	}
	m.PrimaryKey = ct.PrimaryKey
	if strat["CONSTRAINTS"] == "INCLUDING" && len(src.Schema.PrimaryKey) > 0 {
		if derivedPK != nil {
			return nil, nil, errAt(derivedPK, "`%s` (the table of LIKE) has a primary key already (%s): add EXCLUDING CONSTRAINTS to the LIKE options to define this one instead", name, strings.Join(src.Schema.PrimaryKey, ", "))
		}
		key := &parser.PrimaryKey{NotEnforced: true}
		if cp.PrimaryKey != nil {
			key.Name = cp.PrimaryKey.Name
		}
		for _, k := range src.Schema.PrimaryKey {
			key.Columns = append(key.Columns, &parser.Ident{Name: k, Quoted: true})
		}
		parser.Relocate(key, l.Pos())
		m.PrimaryKey = key
		lc.copied[key] = true
	}

	// PARTITIONED BY: one list; both tables' with INCLUDING PARTITIONS
	// (the default) is an error. EXCLUDING PARTITIONS leaves the source's
	// out (as Flink's documentation says; FLINK-37941).
	switch {
	case len(ct.PartitionBy) > 0 && len(cp.PartitionBy) > 0 && strat["PARTITIONS"] != "EXCLUDING":
		return nil, nil, errAt(ct.PartitionBy[0], "`%s` (the table of LIKE) is partitioned already (PARTITIONED BY (%s)): add EXCLUDING PARTITIONS to the LIKE options to partition this table otherwise", name, identNames(cp.PartitionBy))
	case len(ct.PartitionBy) > 0:
		m.PartitionBy = ct.PartitionBy
	case strat["PARTITIONS"] != "EXCLUDING":
		m.PartitionBy = cp.PartitionBy
		for _, k := range cp.PartitionBy {
			lc.copied[k] = true
		}
	}

	// WITH options: the source's unless EXCLUDING; a key of the statement
	// that the source has too replaces it with OVERWRITING OPTIONS (the
	// default) and is an error with INCLUDING.
	at := map[string]int{}
	if strat["OPTIONS"] != "EXCLUDING" {
		for _, o := range cp.Options {
			at[o.Key] = len(m.Options)
			m.Options = append(m.Options, o)
			lc.copied[o] = true
		}
	}
	for _, o := range ct.Options {
		if i, ok := at[o.Key]; ok {
			if strat["OPTIONS"] != "OVERWRITING" {
				return nil, nil, errAt(o, "`%s` (the table of LIKE) sets '%s' already (to '%s'): add OVERWRITING OPTIONS to the LIKE options to replace it, or EXCLUDING OPTIONS to leave out the options of `%s`", name, o.Key, m.Options[i].Value, name)
			}
			m.Options[i] = o
			delete(at, o.Key)
			continue
		}
		m.Options = append(m.Options, o)
	}
	return m, lc, nil
}

// columnKind names the kind of a column definition.
func columnKind(c *parser.ColumnDef) string {
	switch {
	case c == nil:
		return "missing"
	case c.Computed != nil:
		return "computed"
	case c.Metadata:
		return "metadata"
	}
	return "physical"
}

// likeFeatureOf is the LIKE feature that copies a column of its kind.
func likeFeatureOf(c *parser.ColumnDef) string {
	if c != nil && c.Metadata {
		return "METADATA"
	}
	return "GENERATED"
}

func colDef(ct *parser.CreateTable, name string) *parser.ColumnDef {
	for _, c := range ct.Columns {
		if c.Name.Name == name {
			return c
		}
	}
	return nil
}

func formatName(q *parser.QName) string {
	var ns []string
	for _, p := range q.Parts {
		ns = append(ns, p.Name)
	}
	return strings.Join(ns, ".")
}

func identNames(ids []*parser.Ident) string {
	var ns []string
	for _, id := range ids {
		ns = append(ns, id.Name)
	}
	return strings.Join(ns, ", ")
}
