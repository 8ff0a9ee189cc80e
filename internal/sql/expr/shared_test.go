package expr

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// sharedCase is the expressions TestSharedMatchesCompile compiles
// together: over u (a URL-like text), ch (a channel), n (a number as text,
// or not one) and v (a VARCHAR(1) column, cast to STRING at every use).
func sharedExprs() (filters, exprs []Expr) {
	u := ColumnRef(0, "u", table.StringType())
	ch := ColumnRef(1, "ch", table.StringType())
	n := ColumnRef(2, "n", table.StringType())
	v := ColumnRef(3, "v", table.VarCharType(1))
	extract := func() Expr { return call("REGEXP_EXTRACT", u, s("(&|^)channel_id=([^&]*)"), i(2)) }
	lower := func() Expr { return call("LOWER", ch) }
	// CAST(n AS INT) + 1 fails for an n that is not a number: only rows
	// that reach it may raise the error.
	plus := func() Expr { return call("+", cast(n, table.IntType()), i(1)) }
	filters = []Expr{
		must(NewOr(NewIsNull(extract(), true), must(NewIn(lower(), []Expr{s("apple"), s("google")}, false)))),
	}
	for _, d := range []string{"/", "//", "é", "a"} {
		for k := range int64(6) {
			exprs = append(exprs, call("SPLIT_INDEX", u, s(d), i(k)))
		}
	}
	exprs = append(exprs,
		call("SPLIT_INDEX", v, s("/"), i(0)), call("SPLIT_INDEX", v, s("/"), i(1)),
		call("SPLIT_INDEX", u, s("/"), i(-1)), call("SPLIT_INDEX", u, s(""), i(1)),
		must(NewCase([]When{
			{Cond: call("=", lower(), s("apple")), Then: s("0")},
			{Cond: call("=", lower(), s("google")), Then: s("1")},
			{Cond: call("=", ch, s("num")), Then: cast(plus(), table.StringType())},
		}, extract())),
		must(NewCase([]When{{Cond: NewIsNull(ch, false), Then: plus()}}, i(-1))),
		must(NewCase([]When{{Cond: call("=", ch, s("num")), Then: call("*", plus(), i(2))}}, i(0))),
		call("||", lower(), s("-")),
		call("UPPER", lower()),
		call("CONCAT", call("UPPER", lower()), extract()),
		must(NewCoalesce(extract(), lower())),
	)
	return filters, exprs
}

func sharedRows(rnd *rand.Rand, k int) []table.Row {
	pieces := []string{"/", "//", "a", "bc", "é", "\xa9", "channel_id=", "&", "7", "", "https:", "www.nexmark.com"}
	text := func() table.Value {
		if rnd.IntN(12) == 0 {
			return table.Null
		}
		var sb strings.Builder
		for range rnd.IntN(9) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		return table.Str(sb.String())
	}
	channels := []table.Value{table.Null, table.Str("Apple"), table.Str("apple"), table.Str("GOOGLE"), table.Str("num"),
		table.Str("channel-12"), table.Str(""), table.Str("\u212Apple"), table.Str("Ä")}
	nums := []table.Value{table.Null, table.Str("12"), table.Str("x"), table.Str(""), table.Str("-3")}
	rows := make([]table.Row, k)
	for j := range rows {
		rows[j] = table.NewRow(text(), channels[rnd.IntN(len(channels))], nums[rnd.IntN(len(nums))], text())
	}
	rows = append(rows, table.NewRow(table.Str("https://www.nexmark.com/abc/de_f/ghi/item.htm?query=1&channel_id=77"),
		table.Str("channel-3"), table.Str("4"), table.Str("/")))
	return rows
}

// TestSharedMatchesCompile: the programs of a Shared (a repeated call
// evaluated once per row, SPLIT_INDEX of one text one scan) give, for
// every row, the values and errors of Compile's, whatever order and subset
// of the expressions a row evaluates (a CASE branch not taken raises no
// error of a shared call in it; a value computed for one row is not read
// for the next, which reuses the same *table.Row).
func TestSharedMatchesCompile(t *testing.T) {
	filters, exprs := sharedExprs()
	sh := NewShared(append(append([]Expr(nil), filters...), exprs...))
	if !sh.Needed() {
		t.Fatal("nothing shared")
	}
	var got, want []Program
	var gotPred, wantPred []func(*table.Row) (bool, error)
	for _, f := range filters {
		gotPred = append(gotPred, must2(sh.CompilePredicate(f)))
		wantPred = append(wantPred, must2(CompilePredicate(f)))
	}
	for _, e := range exprs {
		got = append(got, must2(sh.Compile(e)))
		want = append(want, must2(Compile(e)))
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	row := new(table.Row)
	errs, nulls := 0, 0
	for _, r := range sharedRows(rnd, 4000) {
		*row = r
		sh.Next()
		skip := rnd.IntN(3) == 0 // a row that evaluates about half of them
		sharedProgs{exprs, filters, got, want, gotPred, wantPred}.check(t, rnd, row, r, func() bool { return skip && rnd.IntN(2) == 0 }, &errs, &nulls)
	}
	if errs == 0 || nulls == 0 {
		t.Fatalf("the rows raised %d errors and gave %d NULLs: the test does not reach those cases", errs, nulls)
	}
}

// TestSharedSplitScan: the shared scan gives splitField's field for
// every index of a group, over texts with delimiters at both ends, runs
// of them, multi-byte delimiters and invalid UTF-8.
func TestSharedSplitScan(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, d := range []string{"/", "//", "é", "ab"} {
		for range 2000 {
			var sb strings.Builder
			for range rnd.IntN(8) {
				sb.WriteString([]string{"/", "//", "a", "b", "é", "\xc3", "x"}[rnd.IntN(7)])
			}
			checkSplitGroup(t, sb.String(), d)
		}
	}
}

func checkSplitGroup(t *testing.T, text, d string) {
	t.Helper()
	u := ColumnRef(0, "u", table.StringType())
	var es []Expr
	for k := range int64(7) {
		es = append(es, call("SPLIT_INDEX", u, s(d), i(k)))
	}
	sh := NewShared(es)
	row := table.NewRow(table.Str(text))
	sh.Next()
	for k, e := range es {
		p := must2(sh.Compile(e))
		v, err := p(&row)
		want := splitField(text, d, int64(k))
		if err != nil || !v.Equal(want) || v.IsNull() != want.IsNull() {
			t.Fatalf("SPLIT_INDEX(%q, %q, %d) = %v, %v; want %v", text, d, k, v, err, want)
		}
	}
}

// FuzzSharedSplit: the shared scan against splitField.
func FuzzSharedSplit(f *testing.F) {
	f.Add("https://www.nexmark.com/abc/de_f/ghi/item.htm", "/")
	f.Add("//a//", "//")
	f.Add("é\xc3é", "é")
	f.Fuzz(func(t *testing.T, text, d string) {
		if d == "" {
			return // the whitespace split: not shared
		}
		checkSplitGroup(t, text, d)
	})
}

// TestSharedNotShared: volatile calls are never shared (two UUID() of a
// row differ), nor are user-defined ones; a single occurrence is not.
func TestSharedNotShared(t *testing.T) {
	r1, r2 := call("UUID"), call("UUID")
	sh := NewShared([]Expr{r1, r2})
	if sh.Needed() {
		t.Fatal("two UUID() calls are shared")
	}
	if k := memoKey(r1.(*Call)); k != "" {
		t.Fatalf("UUID() has the key %q", k)
	}
	one := NewShared([]Expr{call("LOWER", ColumnRef(0, "a", table.StringType()))})
	if one.Needed() {
		t.Fatal("a single call is shared")
	}
	// Columns of one name at two positions are two expressions.
	a0, a1 := call("LOWER", ColumnRef(0, "a", table.StringType())), call("LOWER", ColumnRef(1, "a", table.StringType()))
	two := NewShared([]Expr{a0, a1})
	if two.Needed() {
		t.Fatal("LOWER of two columns named alike is shared")
	}
	row := table.NewRow(table.Str("X"), table.Str("Y"))
	two.Next()
	v0, v1 := must2(two.Compile(a0)), must2(two.Compile(a1))
	if x, _ := v0(&row); x.AsString() != "x" {
		t.Fatal(x)
	}
	if y, _ := v1(&row); y.AsString() != "y" {
		t.Fatal(y)
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLowerCase: a CASE of LOWER(x) = 'k' conditions over one x
// (lowerCase: x scanned once) picks the branch strings.ToLower(x) == k
// picks, first match first, a NULL x the ELSE, and raises an error of a
// branch only when it is taken; for ASCII and non-ASCII x (the Kelvin sign
// lowers to 'k'), invalid UTF-8, and a constant with an upper-case letter
// (never matched).
func TestLowerCase(t *testing.T) {
	x := ColumnRef(0, "x", table.VarCharType(1)) // cast to STRING, as Nexmark's
	n := ColumnRef(1, "n", table.StringType())
	ks := []string{"apple", "kiwi", "Upper", "é", "apple", "ä"}
	thens := []Expr{s("0"), cast(n, table.IntType()), s("2"), s("3"), s("4"), n}
	var whens []When
	for j, k := range ks {
		l := call("LOWER", x)
		cond := call("=", l, s(k))
		if j%2 == 1 {
			cond = call("=", s(k), l)
		}
		whens = append(whens, When{Cond: cond, Then: cast(thens[j], table.StringType())})
	}
	els := call("+", cast(n, table.IntType()), i(1))
	ce := must(NewCase(whens, cast(els, table.StringType())))
	p := must2(Compile(ce))
	var thenP []Program
	for _, th := range thens {
		thenP = append(thenP, must2(Compile(cast(th, table.StringType()))))
	}
	elseP := must2(Compile(cast(els, table.StringType())))
	xs := []table.Value{table.Null, table.Str("APPLE"), table.Str("Apple"), table.Str("\u212Aiwi"), table.Str("KIWI"),
		table.Str("upper"), table.Str("Upper"), table.Str("É"), table.Str("é"), table.Str("\xff"), table.Str(""),
		table.Str("Ä"), table.Str("channel-7"), table.Str("apples")}
	ns := []table.Value{table.Null, table.Str("5"), table.Str("five")}
	for _, xv := range xs {
		for _, nv := range ns {
			r := table.NewRow(xv, nv)
			got, gotErr := p(&r)
			want, wantErr := elseP(&r)
			if !xv.IsNull() {
				l := strings.ToLower(xv.AsString())
				for j, k := range ks {
					if l == k {
						want, wantErr = thenP[j](&r)
						break
					}
				}
			}
			if !got.Equal(want) || got.IsNull() != want.IsNull() || (gotErr == nil) != (wantErr == nil) {
				t.Errorf("x=%v n=%v: %v, %v; want %v, %v", xv, nv, got, gotErr, want, wantErr)
			}
		}
	}
}

// TestCheapFirst: AND/OR of operands that raise no error are evaluated
// cheap ones first and give SQL's three-valued result of the written
// operands; with an operand that may fail the written order is kept, so
// the error of a row whose later operand is decisive is still raised.
func TestCheapFirst(t *testing.T) {
	u := ColumnRef(0, "u", table.StringType())
	ch := ColumnRef(1, "ch", table.StringType())
	n := ColumnRef(2, "n", table.StringType())
	extract := call("REGEXP_EXTRACT", u, s("(&|^)channel_id=([^&]*)"), i(2))
	operands := []Expr{
		NewIsNull(extract, true),
		must(NewIn(call("LOWER", ch), []Expr{s("apple"), s("google")}, false)),
		call("=", call("SPLIT_INDEX", u, s("/"), i(1)), s("a")),
		call("<>", ch, s("num")),
		call("REGEXP", u, ch), // NULL for a NULL pattern, no error for an invalid one
	}
	if got := cheapFirst(operands); got[0] != operands[3] || got[1] != operands[1] || got[4] != operands[2] {
		t.Fatalf("cheapFirst order: %v", got)
	}
	var progs []Program
	for _, o := range operands {
		progs = append(progs, must2(Compile(o)))
	}
	rnd := rand.New(rand.NewPCG(9, 10))
	rows := sharedRows(rnd, 2000)
	for _, or := range []bool{true, false} {
		for range 30 {
			k := 2 + rnd.IntN(len(operands)-1)
			pick := rnd.Perm(len(operands))[:k]
			var args []Expr
			for _, j := range pick {
				args = append(args, operands[j])
			}
			l := &Logic{Or: or, Args: args}
			p := must2(Compile(l))
			for _, r := range rows {
				got, err := p(&r)
				if err != nil {
					t.Fatal(err)
				}
				// Three-valued AND/OR of the operands' values.
				sawNull, want := false, table.Bool(!or)
				for _, j := range pick {
					v, err := progs[j](&r)
					if err != nil {
						t.Fatal(err)
					}
					if v.IsNull() {
						sawNull = true
					} else if v.AsBool() == or {
						want = table.Bool(or)
						sawNull = false
						break
					}
				}
				if sawNull {
					want = table.Null
				}
				if !got.Equal(want) || got.IsNull() != want.IsNull() {
					t.Fatalf("%v over %v: %v, want %v", l, r.Fields, got, want)
				}
			}
		}
	}
	fails := call(">", call("+", cast(n, table.IntType()), i(1)), i(0))
	args := []Expr{fails, operands[1]}
	if got := cheapFirst(args); got[0] != fails {
		t.Fatal("an operand that may fail was moved")
	}
	p := must2(Compile(&Logic{Or: true, Args: args}))
	r := table.NewRow(table.Str(""), table.Str("apple"), table.Str("x"))
	if _, err := p(&r); err == nil {
		t.Fatal("CAST('x' AS INT) + 1 > 0 OR TRUE: no error")
	}
}

// TestPredicateMatchesValue: a filter of an OR or an IS [NOT] NULL
// (operands as filters, no BOOLEAN values) keeps the rows where the
// expression is TRUE and raises the errors the expression raises, for
// operands that may fail (kept in order) or not (cheap ones first).
func TestPredicateMatchesValue(t *testing.T) {
	u := ColumnRef(0, "u", table.StringType())
	ch := ColumnRef(1, "ch", table.StringType())
	n := ColumnRef(2, "n", table.StringType())
	extract := call("REGEXP_EXTRACT", u, s("(&|^)channel_id=([^&]*)"), i(2))
	fails := call(">", call("+", cast(n, table.IntType()), i(1)), i(3))
	in := must(NewIn(call("LOWER", ch), []Expr{s("apple"), s("google")}, false))
	notNull := NewIsNull(extract, true)
	nullCh := NewIsNull(ch, false)
	preds := []Expr{
		must(NewOr(notNull, in)),
		must(NewOr(in, notNull, nullCh)),
		must(NewOr(fails, in)),
		must(NewOr(in, fails)),
		must(NewOr(nullCh, must(NewAnd(in, fails)), notNull)),
		must(NewOr(must(NewOr(fails, nullCh)), call("=", ch, s("num")))),
		NewIsNull(call("+", cast(n, table.IntType()), i(1)), false),
		NewIsNull(extract, false),
	}
	rnd := rand.New(rand.NewPCG(11, 12))
	rows := sharedRows(rnd, 3000)
	for _, e := range preds {
		p := must2(CompilePredicate(e))
		v := must2(Compile(e))
		kept := 0
		for _, r := range rows {
			got, gotErr := p(&r)
			want, wantErr := v(&r)
			if (gotErr == nil) != (wantErr == nil) || (wantErr == nil && got != (!want.IsNull() && want.AsBool())) {
				t.Fatalf("%v over %v: %v, %v; the value %v, %v", e, r.Fields, got, gotErr, want, wantErr)
			}
			if got {
				kept++
			}
		}
		if kept == 0 || kept == len(rows) {
			t.Fatalf("%v keeps %d of %d rows: the test does not tell", e, kept, len(rows))
		}
	}
}

// TestSharedLowerGroup: the sites matching LOWER(x) against constants
// (IN, NOT IN, = either side, a CASE of them) of one x share the match
// (lowerGroup) and give, for every row, Compile's values and errors:
// constant sets that overlap and repeat, constants no lower-cased text
// equals, non-ASCII and invalid UTF-8 x (the Kelvin sign lowers to 'k'),
// NULL x, and an x that fails (its error raised by every site a row
// reaches, and only by those), in any order and subset per row.
func TestSharedLowerGroup(t *testing.T) {
	ch := ColumnRef(0, "ch", table.StringType())
	n := ColumnRef(1, "n", table.StringType())
	xe := cast(cast(n, table.IntType()), table.StringType()) // fails for an n that is not a number
	lower := func(x Expr) Expr { return call("LOWER", x) }
	strs := func(ks ...string) []Expr {
		var es []Expr
		for _, k := range ks {
			es = append(es, s(k))
		}
		return es
	}
	lowerCaseOf := func(x Expr, els Expr, ks ...string) Expr {
		var whens []When
		for j, k := range ks {
			cond := call("=", lower(x), s(k))
			if j%2 == 1 {
				cond = call("=", s(k), lower(x))
			}
			whens = append(whens, When{Cond: cond, Then: s(fmt.Sprint(j))})
		}
		return must(NewCase(whens, els))
	}
	filters := []Expr{
		must(NewOr(must(NewIn(lower(ch), strs("apple", "google", "kiwi"), false)), call("=", lower(xe), s("12")))),
		must(NewIn(lower(ch), strs("ä", "é", "apple"), true)),
	}
	exprs := []Expr{
		must(NewIn(lower(ch), strs("apple", "google", "kiwi"), false)),
		must(NewIn(lower(ch), strs("ä", "é", "apple"), true)),
		call("=", s("google"), lower(ch)),
		call("=", lower(ch), s("Upper")),
		lowerCaseOf(ch, cast(call("+", cast(n, table.IntType()), i(1)), table.StringType()), "google", "é", "google", "kiwi", "ä"),
		lowerCaseOf(ch, ch, "apple"),
		lowerCaseOf(xe, ch, "12", "-3", "12"),
		must(NewIn(lower(xe), strs("12", "x"), false)),
		call("=", lower(xe), s("-3")),
	}
	sh := NewShared(append(append([]Expr(nil), filters...), exprs...))
	var gotPred, wantPred []func(*table.Row) (bool, error)
	var got, want []Program
	for _, f := range filters {
		gotPred = append(gotPred, must2(sh.CompilePredicate(f)))
		wantPred = append(wantPred, must2(CompilePredicate(f)))
	}
	for _, e := range exprs {
		got = append(got, must2(sh.Compile(e)))
		want = append(want, must2(Compile(e)))
	}
	for _, x := range []Expr{ch, xe} {
		if g := sh.lowers[argKey(x)]; g == nil || g.x == nil {
			t.Fatalf("the sites of %v share no match", x)
		}
	}
	chs := []table.Value{table.Null, table.Str("Apple"), table.Str("APPLE"), table.Str("apple"), table.Str("GOOGLE"),
		table.Str("\u212Aiwi"), table.Str("KIWI"), table.Str("Ä"), table.Str("ä"), table.Str("É"), table.Str("\xff"),
		table.Str(""), table.Str("upper"), table.Str("Upper"), table.Str("channel-12"), table.Str("apples")}
	ns := []table.Value{table.Null, table.Str("12"), table.Str("-3"), table.Str("x"), table.Str("")}
	rnd := rand.New(rand.NewPCG(7, 8))
	row := new(table.Row)
	errs, nulls := 0, 0
	for range 6000 {
		r := table.NewRow(chs[rnd.IntN(len(chs))], ns[rnd.IntN(len(ns))])
		*row = r
		sh.Next()
		skip := rnd.IntN(3) == 0
		sharedProgs{exprs, filters, got, want, gotPred, wantPred}.check(t, rnd, row, r, func() bool { return skip && rnd.IntN(2) == 0 }, &errs, &nulls)
	}
	if errs == 0 || nulls == 0 {
		t.Fatalf("the rows raised %d errors and gave %d NULLs: the test does not reach those cases", errs, nulls)
	}
}

// sharedProgs are one Calc's expressions and filters compiled through a
// Shared (got, gotP) and each on its own (want, wantP).
type sharedProgs struct {
	exprs, filters []Expr
	got, want      []Program
	gotP, wantP    []func(*table.Row) (bool, error)
}

// check evaluates the programs over row r, the shared ones through row
// (which holds r; Shared.Next already called), in a random order, each
// skipped when skip says so, and fails t where a shared program's value,
// NULL-ness or error text differs from its own. errs and nulls, when not
// nil, count the errors and NULLs of the expressions.
func (p sharedProgs) check(t *testing.T, rnd *rand.Rand, row *table.Row, r table.Row, skip func() bool, errs, nulls *int) {
	t.Helper()
	for _, j := range rnd.Perm(len(p.exprs) + len(p.filters)) {
		if skip() {
			continue
		}
		if j >= len(p.exprs) {
			j -= len(p.exprs)
			a, errA := p.gotP[j](row)
			b, errB := p.wantP[j](&r)
			if a != b || fmt.Sprint(errA) != fmt.Sprint(errB) {
				t.Fatalf("filter %v over %v: %v, %v; want %v, %v", p.filters[j], r.Fields, a, errA, b, errB)
			}
			continue
		}
		a, errA := p.got[j](row)
		b, errB := p.want[j](&r)
		if !a.Equal(b) || a.IsNull() != b.IsNull() || fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("%v over %v: %v, %v; want %v, %v", p.exprs[j], r.Fields, a, errA, b, errB)
		}
		if errs != nil && errB != nil {
			*errs++
		}
		if nulls != nil && b.IsNull() {
			*nulls++
		}
	}
}
