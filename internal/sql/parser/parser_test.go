package parser

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// checkGolden compares got with the file at path (or rewrites it with -update).
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test -update after checking the change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func pretty(err error, src string) string {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Pretty(src)
	}
	return err.Error()
}

// roundTrip checks parse(print(parse(src))) == parse(src) for a script
// and returns the canonical print.
func roundTrip(t *testing.T, src string) (*Script, string) {
	t.Helper()
	s, err := ParseScript(src)
	if err != nil {
		t.Fatalf("parse: %s", pretty(err, src))
	}
	out := s.String()
	s2, err := ParseScript(out)
	if err != nil {
		t.Fatalf("parse of the printed script: %s\nprinted:\n%s", pretty(err, out), out)
	}
	if d1, d2 := Dump(s), Dump(s2); d1 != d2 {
		t.Fatalf("round trip changed the tree\nprinted:\n%s\nfirst:\n%s\nsecond:\n%s", out, d1, d2)
	}
	if out2 := s2.String(); out2 != out {
		t.Fatalf("printing is not stable:\n%s\n%s", out, out2)
	}
	return s, out
}

// nexmarkSQL is the spec's SQL text of the Nexmark queries: one copy, in
// internal/nexmark/sql (embedded there for `strom nexmark bench --sql`);
// the parser's golden dumps of them stay in testdata/nexmark.
const nexmarkSQL = "../../nexmark/sql"

func TestNexmarkQueries(t *testing.T) {
	for q := 0; q <= 22; q++ {
		if _, err := os.Stat(fmt.Sprintf("%s/q%d.sql", nexmarkSQL, q)); err != nil {
			t.Errorf("query q%d is missing: %v", q, err)
		}
	}
	files, _ := filepath.Glob(nexmarkSQL + "/*.sql")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src := readFile(t, f)
			s, out := roundTrip(t, src)
			if len(s.Stmts) == 0 {
				t.Fatal("no statements")
			}
			checkGolden(t, filepath.Join("testdata/nexmark", strings.TrimSuffix(filepath.Base(f), ".sql")+".golden"), out+"\n")
		})
	}
}

func TestParseGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/parse/*.sql")
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, out := roundTrip(t, readFile(t, f))
			checkGolden(t, strings.TrimSuffix(f, ".sql")+".golden", "-- canonical\n"+out+"\n-- tree\n"+Dump(s))
		})
	}
}

// errorCases splits testdata/errors/cases.sql at its "-- case: name" lines.
func errorCases(t testing.TB) (names, srcs []string) {
	text := readFile(t, "testdata/errors/cases.sql")
	re := regexp.MustCompile(`(?m)^-- case: (.*)\n`)
	locs := re.FindAllStringSubmatchIndex(text, -1)
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		names = append(names, text[loc[2]:loc[3]])
		srcs = append(srcs, text[loc[1]:end])
	}
	return names, srcs
}

func TestErrorMessages(t *testing.T) {
	names, srcs := errorCases(t)
	if len(names) < 20 {
		t.Fatalf("only %d error cases", len(names))
	}
	var b strings.Builder
	for i, src := range srcs {
		_, err := Parse(src)
		if err == nil {
			t.Errorf("case %q parsed without error", names[i])
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("case %q: error %T is not *Error", names[i], err)
			continue
		}
		if pe.Line < 1 || pe.Col < 1 || pe.Offset < 0 || pe.Offset > len(src) {
			t.Errorf("case %q: bad position %+v", names[i], pe)
		}
		fmt.Fprintf(&b, "== %s\n%s\n\n", names[i], pe.Pretty(src))
	}
	checkGolden(t, "testdata/errors/cases.golden", b.String())
}

func TestErrorFormat(t *testing.T) {
	src := "SELECT *\nFROM TABLE(\n    TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND\nFROM bid"
	_, err := Parse(src)
	want := `line 4, column 1: expected ")" to close the argument list of TUMBLE opened at line 3, column 11, found "FROM"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	pe := err.(*Error)
	if pe.Line != 4 || pe.Col != 1 || pe.Offset != strings.LastIndex(src, "FROM") {
		t.Errorf("position %+v", pe)
	}
	wantPretty := want + "\n  FROM bid\n  ^"
	if got := pe.Pretty(src); got != wantPretty {
		t.Errorf("Pretty:\n%s\nwant:\n%s", got, wantPretty)
	}
}

// sexpr renders an expression fully parenthesised, to test precedence.
func sexpr(e Expr) string {
	switch e := e.(type) {
	case *Binary:
		return "(" + e.Op + " " + sexpr(e.L) + " " + sexpr(e.R) + ")"
	case *Unary:
		return "(" + e.Op + " " + sexpr(e.X) + ")"
	case *IsExpr:
		not := ""
		if e.Not {
			not = "NOT "
		}
		return "(IS " + not + e.What + " " + sexpr(e.X) + ")"
	case *IsDistinct:
		return "(DISTINCT " + sexpr(e.X) + " " + sexpr(e.Y) + ")"
	case *Between:
		if e.Not {
			return "(NOT BETWEEN " + sexpr(e.X) + " " + sexpr(e.Lo) + " " + sexpr(e.Hi) + ")"
		}
		return "(BETWEEN " + sexpr(e.X) + " " + sexpr(e.Lo) + " " + sexpr(e.Hi) + ")"
	case *InList:
		parts := []string{"IN", sexpr(e.X)}
		for _, x := range e.List {
			parts = append(parts, sexpr(x))
		}
		return "(" + strings.Join(parts, " ") + ")"
	case *Like:
		return "(LIKE " + sexpr(e.X) + " " + sexpr(e.Pattern) + ")"
	case *Index:
		return "(INDEX " + sexpr(e.X) + " " + sexpr(e.I) + ")"
	case *FieldAccess:
		return "(FIELD " + sexpr(e.X) + " " + e.Field.Name + ")"
	}
	return e.String()
}

func TestExprPrecedence(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a + b * c", "(+ a (* b c))"},
		{"a * b + c", "(+ (* a b) c)"},
		{"a - b - c", "(- (- a b) c)"},
		{"a || b || c", "(|| (|| a b) c)"},
		{"a + b || c", "(+ a (|| b c))"},
		{"a OR b AND c", "(OR a (AND b c))"},
		{"a AND b OR c", "(OR (AND a b) c)"},
		{"NOT a AND b", "(AND (NOT a) b)"},
		{"NOT a = b", "(NOT (= a b))"},
		{"NOT a IS NULL", "(NOT (IS NULL a))"},
		{"a = b IS NULL", "(IS NULL (= a b))"},
		{"a IS NOT NULL AND b", "(AND (IS NOT NULL a) b)"},
		{"-a * b", "(* (- a) b)"},
		{"-a[1]", "(- (INDEX a 1))"},
		{"a + b BETWEEN 1 AND 2 + 3", "(BETWEEN (+ a b) 1 (+ 2 3))"},
		{"a BETWEEN 1 AND 2 AND c", "(AND (BETWEEN a 1 2) c)"},
		{"a NOT BETWEEN 1 AND 2 OR c", "(OR (NOT BETWEEN a 1 2) c)"},
		{"a = 1 AND b IN (1, 2)", "(AND (= a 1) (IN b 1 2))"},
		{"a LIKE 'x' || 'y'", "(LIKE a (|| 'x' 'y'))"},
		{"a < b = c", "(= (< a b) c)"},
		{"a IS DISTINCT FROM b + 1 AND c", "(AND (DISTINCT a (+ b 1)) c)"},
		{"f(x).y[2].z", "(FIELD (INDEX (FIELD f(x) y) 2) z)"},
		{"a.b.c", "a.b.c"},
		{"(a + b) * c", "(* (+ a b) c)"},
		{"a - -b", "(- a (- b))"},
		{"a != b", "(<> a b)"},
	}
	for _, c := range cases {
		e, err := ParseExpr(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := sexpr(e); got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
		e2, err := ParseExpr(e.String())
		if err != nil || Dump(e2) != Dump(e) {
			t.Errorf("%s: printed as %s, which does not read back (%v)", c.in, e, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := []string{
		"SELECT " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000),
		"SELECT " + strings.Repeat("- ", 5000) + "1",
		"SELECT " + strings.Repeat("NOT ", 5000) + "TRUE",
		strings.Repeat("SELECT * FROM (", 3000) + "SELECT 1" + strings.Repeat(")", 3000),
		"SELECT * FROM " + strings.Repeat("(", 5000) + "t" + strings.Repeat(")", 5000),
		"SELECT CAST(a AS " + strings.Repeat("ARRAY<", 5000) + "INT" + strings.Repeat(">", 5000) + ")",
		"SELECT * FROM t MATCH_RECOGNIZE (PATTERN (" + strings.Repeat("(", 5000) + "A" + strings.Repeat(")", 5000) + ") DEFINE A AS TRUE)",
		"SELECT 1 " + strings.Repeat("UNION SELECT 1 ", 1) + strings.Repeat("UNION (SELECT 1 ", 3000) + strings.Repeat(")", 3000),
		"SELECT a FROM t GROUP BY " + strings.Repeat("ROLLUP (", 5000) + "a" + strings.Repeat(")", 5000),
		"SELECT " + strings.Repeat("CASE WHEN ", 5000),
		"SELECT " + strings.Repeat("f(", 5000),
		"SELECT " + strings.Repeat("ARRAY[", 5000),
		strings.Repeat("EXPLAIN ", 5000) + "SELECT 1",
	}
	for _, src := range deep {
		_, err := Parse(src)
		if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("%.40s...: got %v, want the nesting error", src, err)
		}
	}
	// just below the limit parses
	ok := "SELECT " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300)
	if _, err := Parse(ok); err != nil {
		t.Errorf("300 levels: %v", err)
	}
	long := "SELECT " + strings.Repeat("a + ", 20000) + "a"
	if _, err := Parse(long); err != nil {
		t.Errorf("a long flat expression: %v", err)
	}
}

func TestPositions(t *testing.T) {
	src := "SELECT a,\n  b + 1 AS c\nFROM  `t t` x\nWHERE é = 'ü' AND d"
	stmt, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	sel := stmt.(*QueryStmt).Query.Body.(*Select)
	check := func(what string, n Node, line, col int, text string) {
		t.Helper()
		p := n.Pos()
		if p.Line != line || p.Col != col || !strings.HasPrefix(src[p.Offset:], text) {
			t.Errorf("%s at %+v, want line %d col %d at %q", what, p, line, col, text)
		}
	}
	check("select", sel, 1, 1, "SELECT")
	check("item a", sel.Items[0].Expr, 1, 8, "a")
	check("b + 1", sel.Items[1].Expr, 2, 3, "b + 1")
	check("1", sel.Items[1].Expr.(*Binary).R, 2, 7, "1")
	check("alias c", sel.Items[1].Alias, 2, 12, "c")
	check("table", sel.From, 3, 7, "`t t`")
	check("table alias", sel.From.(*TableName).Alias, 3, 13, "x")
	and := sel.Where.(*Binary)
	check("é", and.L.(*Binary).L, 4, 7, "é")
	check("'ü'", and.L.(*Binary).R, 4, 11, "'ü'")
	check("d", and.R, 4, 19, "d")
}

func TestParseTable(t *testing.T) {
	cases := []struct {
		in   string
		want string // canonical print; "" means the same as in
	}{
		{"select a from t", "SELECT a FROM t"},
		{"SELECT `select`, `a``b` FROM `from`", ""},
		{"SELECT `value`, key, `day` FROM t", ""},
		{"SELECT value, day FROM t", "SELECT `value`, `day` FROM t"},
		{"SELECT a AS `CURRENT_DATE`, CURRENT_DATE FROM t", ""},
		{"SELECT COUNT(*), count(DISTINCT a) FROM t", ""},
		{"SELECT ARRAY_AGG(a), array_agg(DISTINCT a ignore nulls), ARRAY_AGG(ALL a RESPECT NULLS) FILTER (WHERE a > 1) FROM t",
			"SELECT ARRAY_AGG(a), array_agg(DISTINCT a IGNORE NULLS), ARRAY_AGG(ALL a RESPECT NULLS) FILTER (WHERE a > 1) FROM t"},
		{"SELECT ignore, respect FROM t", ""},
		{"SELECT * FROM t WHERE a <> b AND c != d", "SELECT * FROM t WHERE a <> b AND c <> d"},
		{"SELECT * FROM a JOIN b ON TRUE, c", ""},
		{"SELECT * FROM (a, b) JOIN c ON TRUE", ""},
		{"SELECT * FROM a, (b, c)", ""},
		{"SELECT * FROM a LEFT OUTER JOIN b ON TRUE", ""},
		{"SELECT a FROM t LIMIT 10 OFFSET 5", ""},
		{"SELECT a FROM t FETCH NEXT 3 ROWS ONLY", "SELECT a FROM t LIMIT 3"},
		{"SELECT a FROM t OFFSET 1 ROW", "SELECT a FROM t OFFSET 1"},
		{"SELECT ((SELECT 1))", "SELECT (SELECT 1)"},
		{"SELECT x IN (SELECT 1 UNION SELECT 2) FROM t", ""},
		{"SELECT a FROM t MINUS SELECT a FROM u", "SELECT a FROM t EXCEPT SELECT a FROM u"},
		{"SELECT (a).f, (a[1]).f, (1).f, a[1][2]", "SELECT (a).f, a[1].f, (1).f, a[1][2]"},
		{"SELECT -(-1), -(1 + 2), NOT NOT a, a - (b - c), (a - b) - c", "SELECT - -1, -(1 + 2), NOT NOT a, a - (b - c), a - b - c"},
		{"SELECT (a = b) = c, a = (b = c), (a IS NULL) IS NULL", "SELECT a = b = c, a = (b = c), a IS NULL IS NULL"},
		{"SELECT (a BETWEEN 1 AND 2) BETWEEN (b OR c) AND d", "SELECT a BETWEEN 1 AND 2 BETWEEN (b OR c) AND d"},
		{"SELECT `trim`(x), trim(x), `EXTRACT`(a)", ""},
		{"CREATE TABLE t (a INTEGER, b DEC(5), c NUMERIC(5, 1), d CHARACTER VARYING(3)) WITH ()",
			"CREATE TABLE t (a INT, b DECIMAL(5), c DECIMAL(5, 1), d VARCHAR(3)) WITH ()"},
		{"create temporary table t (a int) with ('k' = 'it''s')", "CREATE TEMPORARY TABLE t (a INT) WITH ('k' = 'it''s')"},
		{"SELECT * FROM TABLE(TUMBLE(TABLE bid PARTITION BY a ORDER BY ts DESC, DESCRIPTOR(ts), INTERVAL '1' SECOND))",
			"SELECT * FROM TABLE(TUMBLE(TABLE bid PARTITION BY a ORDER BY (ts DESC), DESCRIPTOR(ts), INTERVAL '1' SECOND))"},
		{"SELECT INTERVAL '1:30' HOUR TO MINUTE, INTERVAL 5 DAYS", "SELECT INTERVAL '1:30' HOUR TO MINUTE, INTERVAL '5' DAY"},
		{"SELECT f(a => 1, b => TABLE t)", ""},
		{"SELECT f((DESCRIPTOR(a)), DESCRIPTOR(b)), DESCRIPTOR(c)", ""},
		{"SELECT JSON_OBJECT(KEY (k IS JSON) VALUE 1, KEY (a || b) VALUE (c IS JSON))",
			"SELECT JSON_OBJECT(KEY (k IS JSON) VALUE 1, KEY (a || b) VALUE c IS JSON)"},
		{"SELECT FLOOR((INTERVAL '1' DAY) TO HOUR), CEIL(INTERVAL '1' DAY TO HOUR TO SECOND)", ""},
		{"SELECT COUNT(A.*), count(`x`.y.*), COUNT(*) FROM t", "SELECT COUNT(A.*), count(x.y.*), COUNT(*) FROM t"},
		{"SELECT a FROM t GROUP BY (rollup(a)), (cube(b)), `rollup`(c), ROLLUP (d)", "SELECT a FROM t GROUP BY (rollup(a)), (cube(b)), (rollup(c)), ROLLUP (d)"},
		{"SELECT * FROM t MATCH_RECOGNIZE (MEASURES `final` AS f, FINAL final AS g, RUNNING x AS h PATTERN (A) DEFINE A AS TRUE)",
			"SELECT * FROM t MATCH_RECOGNIZE (MEASURES final AS f, FINAL final AS g, RUNNING x AS h PATTERN (A) DEFINE A AS TRUE)"},
		{"SELECT CAST(a AS `STRING`), CAST(b AS `int`.x), CAST(c AS STRING)", ""},
		{"SELECT SUM(a) OVER (ROWS BETWEEN `unbounded` PRECEDING AND `current` FOLLOWING)",
			"SELECT SUM(a) OVER (ROWS BETWEEN (unbounded) PRECEDING AND (`current`) FOLLOWING)"},
		{"SELECT * FROM t MATCH_RECOGNIZE (MEASURES `final` IS NULL AS f AFTER MATCH SKIP TO `last` PATTERN (A) DEFINE A AS TRUE)",
			"SELECT * FROM t MATCH_RECOGNIZE (MEASURES (final IS NULL) AS f AFTER MATCH SKIP TO `last` PATTERN (A) DEFINE A AS TRUE)"},
		{"SELECT f(DESCRIPTOR() % 0, DESCRIPTOR(a) + 1, x => (DESCRIPTOR(b)), y => DESCRIPTOR(c, d))", ""},
		{"CREATE TABLE t (a ROW<>, b ROW(), WATERMARK FOR a AS a)", "CREATE TABLE t (a ROW<>, b ROW<>, WATERMARK FOR a AS a)"},
		{"SELECT ARRAY(1, 2), MAP(1, 2), ROW()", ""},
		{"SELECT CAST(x AS my.custom_type), CAST(y AS INTERVAL DAY TO SECOND), CAST(z AS MULTISET<INT NOT NULL> NULL)", ""},
	}
	for _, c := range cases {
		s, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %s", c.in, pretty(err, c.in))
			continue
		}
		want := c.want
		if want == "" {
			want = c.in
		}
		if got := s.String(); got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, want)
		}
		s2, err := Parse(s.String())
		if err != nil || Dump(s2) != Dump(s) {
			t.Errorf("%s: does not round-trip (%v)", c.in, err)
		}
	}
}

func TestParseQueryAndType(t *testing.T) {
	q, err := ParseQuery("WITH x AS (SELECT 1) SELECT * FROM x ORDER BY 1;")
	if err != nil || len(q.With) != 1 || q.OrderBy == nil {
		t.Fatalf("ParseQuery: %v %v", q, err)
	}
	if _, err := ParseQuery("INSERT INTO t SELECT 1"); err == nil {
		t.Error("ParseQuery accepted an INSERT")
	}
	typ, err := ParseType("ROW<a ARRAY<MAP<STRING, DECIMAL(10, 2)>>, b TIMESTAMP_LTZ(3)>")
	if err != nil {
		t.Fatal(err)
	}
	if got := typ.String(); got != "ROW<a ARRAY<MAP<STRING, DECIMAL(10, 2)>>, b TIMESTAMP_LTZ(3)>" {
		t.Errorf("type printed as %s", got)
	}
	if _, err := ParseExpr("a +"); err == nil {
		t.Error("ParseExpr accepted a +")
	}
}

func BenchmarkParseNexmark(b *testing.B) {
	// the largest query file
	files, _ := filepath.Glob(nexmarkSQL + "/q*.sql")
	var src string
	for _, f := range files {
		if s := readFile(b, f); len(s) > len(src) {
			src = s
		}
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScript(src); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryNodeHasAPosition walks the trees of all test inputs and checks
// that each node's position is set and points into the source.
func TestEveryNodeHasAPosition(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.sql")
	for _, f := range files {
		if strings.Contains(f, "errors") {
			continue
		}
		src := readFile(t, f)
		s, err := ParseScript(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		n := 0
		walkNodes(reflect.ValueOf(s), func(nd Node) {
			n++
			p := nd.Pos()
			if p.Line < 1 || p.Col < 1 || p.Offset < 0 || p.Offset >= len(src) {
				t.Errorf("%s: %T %q has no position (%+v)", f, nd, nd.String(), p)
			}
		})
		if n == 0 {
			t.Errorf("%s: no nodes", f)
		}
	}
}

var nodeType = reflect.TypeOf((*Node)(nil)).Elem()

func walkNodes(v reflect.Value, fn func(Node)) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			walkNodes(v.Elem(), fn)
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type().Implements(nodeType) {
			fn(v.Interface().(Node))
		}
		walkNodes(v.Elem(), fn)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkNodes(v.Field(i), fn)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkNodes(v.Index(i), fn)
		}
	}
}

func TestScript(t *testing.T) {
	cases := []struct {
		src   string
		stmts int
	}{
		{"", 0},
		{"  -- only a comment\n/* and a block */ ;; ;", 0},
		{"SELECT 1", 1},
		{"SELECT 1;", 1},
		{";SELECT 1;;SELECT 2", 2},
		{"BEGIN STATEMENT SET; INSERT INTO a SELECT 1; END; SHOW TABLES", 2},
		{"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2 END", 1},
	}
	for _, c := range cases {
		s, err := ParseScript(c.src)
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if len(s.Stmts) != c.stmts {
			t.Errorf("%q: %d statements, want %d", c.src, len(s.Stmts), c.stmts)
		}
	}
	s, err := ParseScript("BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;")
	if err != nil {
		t.Fatal(err)
	}
	ss := s.Stmts[0].(*StatementSet)
	if len(ss.Inserts) != 2 || ss.Execute || ss.Inserts[1].Pos().Line != 3 {
		t.Errorf("statement set %s: %d inserts", ss, len(ss.Inserts))
	}
	if _, err := ParseScript("SELECT 1; SELECT"); err == nil || !strings.Contains(err.Error(), "line 1, column 17") {
		t.Errorf("error in the second statement: %v", err)
	}
}
