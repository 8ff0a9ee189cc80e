package nexmark

import (
	"context"
	"slices"
	"testing"

	"github.com/stromio/strom/connector"
)

// TestTableUniqueKeys checks the unique keys the connector states against
// its rows: with the DDL's schema the keys are person.id among event_type
// 0 and auction.id among event_type 1, and on several seeds, split counts
// and proportions no two rows of the tag share the key (and none is
// NULL); a schema whose auction ROW lacks id states only the person key,
// and one without event_type none.
func TestTableUniqueKeys(t *testing.T) {
	ctx := context.Background()
	f := TableFactory()
	want := []connector.UniqueKey{{Paths: [][]int{{1, 0}}, Tag: 0, TagValue: 0}, {Paths: [][]int{{2, 0}}, Tag: 0, TagValue: 1}}
	same := func(a, b connector.UniqueKey) bool {
		return a.Tag == b.Tag && a.TagValue == b.TagValue && slices.EqualFunc(a.Paths, b.Paths, slices.Equal)
	}
	for _, opts := range []map[string]string{
		{"events.num": "20000", "seed": "3"},
		{"events.num": "20000", "seed": "9", "splits": "4"},
		{"events.num": "9000", "splits": "3", "person.proportion": "5", "auction.proportion": "7", "bid.proportion": "2"},
	} {
		tc := connector.TableContext{Name: "nexmark", Schema: ddlSchema(t), Options: opts}
		keys := f.UniqueKeys(tc)
		if !slices.EqualFunc(keys, want, same) {
			t.Fatalf("unique keys %+v, want %+v", keys, want)
		}
		src, err := f.TableSource(ctx, tc)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := readAllTimestamped(t, src)
		for _, k := range keys {
			seen := map[int64]bool{}
			for _, r := range rows {
				if r.Fields[k.Tag].AsInt() != k.TagValue {
					continue
				}
				v := r.Fields[k.Paths[0][0]].Elems()[k.Paths[0][1]]
				if v.IsNull() || seen[v.AsInt()] {
					t.Fatalf("%v: tag %d: id %v twice (or NULL)", opts, k.TagValue, v)
				}
				seen[v.AsInt()] = true
			}
			if len(seen) == 0 {
				t.Fatalf("%v: no row of tag %d", opts, k.TagValue)
			}
		}
	}
	s := ddlSchema(t)
	s.Columns[2].Type = mustType(t, "ROW<seller BIGINT, category BIGINT>")
	if keys := f.UniqueKeys(connector.TableContext{Name: "nexmark", Schema: s}); !slices.EqualFunc(keys, want[:1], same) {
		t.Errorf("without auction.id: %+v", keys)
	}
	s = ddlSchema(t)
	s.Columns = s.Columns[1:]
	if keys := f.UniqueKeys(connector.TableContext{Name: "nexmark", Schema: s}); keys != nil {
		t.Errorf("without event_type: %+v", keys)
	}
}
