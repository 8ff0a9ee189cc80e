package parser

import "testing"

func TestRelocate(t *testing.T) {
	st, err := Parse("CREATE TABLE t (a INT,\n  b AS a + CAST(a AS BIGINT),\n  ts TIMESTAMP(3),\n  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,\n  PRIMARY KEY (a) NOT ENFORCED) WITH ('connector' = 'x') LIKE s (EXCLUDING ALL)")
	if err != nil {
		t.Fatal(err)
	}
	ct := st.(*CreateTable)
	at := Pos{Offset: 7, Line: 3, Col: 5}
	Relocate(ct, at)
	add := ct.Columns[1].Computed.(*Binary)
	for _, n := range []Node{ct, ct.Name, ct.Name.Parts[0], ct.Columns[0], ct.Columns[0].Type, ct.Columns[1],
		add, add.L, add.R, add.R.(*Cast).Type, ct.Watermarks[0], ct.Watermarks[0].Expr,
		ct.PrimaryKey, ct.PrimaryKey.Columns[0], ct.Options[0], ct.Like, ct.Like.Source, ct.Like.Options[0]} {
		if n.Pos() != at {
			t.Errorf("%T %s at %+v after Relocate, want %+v", n, n, n.Pos(), at)
		}
	}
}
