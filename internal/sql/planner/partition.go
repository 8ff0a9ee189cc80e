package planner

import (
	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/parser"
)

// checkPartitionBy checks the columns of CREATE TABLE ... PARTITIONED BY:
// distinct physical columns of the table. Whether the connector can
// partition is the factory's to say (connector.TableContext.PartitionKeys:
// the filesystem sink writes one directory per partition, the others
// refuse).
func checkPartitionBy(ct *parser.CreateTable, t *catalog.Table) error {
	seen := map[string]bool{}
	for _, k := range ct.PartitionBy {
		i := t.Schema.Index(k.Name)
		if i < 0 {
			return errAt(k, "PARTITIONED BY names `%s`, which is not a column of `%s`", k.Name, t.Name)
		}
		if !t.Schema.Columns[i].IsPhysical() {
			return errAt(k, "PARTITIONED BY names `%s`, which is not a physical column of `%s`", k.Name, t.Name)
		}
		if seen[k.Name] {
			return errAt(k, "PARTITIONED BY names `%s` twice", k.Name)
		}
		seen[k.Name] = true
	}
	return nil
}

// partitionKeys are the PARTITIONED BY columns of t (nil for none).
func partitionKeys(t *catalog.Table) []string {
	if t.Def == nil {
		return nil
	}
	var ks []string
	for _, k := range t.Def.PartitionBy {
		ks = append(ks, k.Name)
	}
	return ks
}
