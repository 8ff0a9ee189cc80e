package expr

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// The digests are the published test vectors (RFC 1321, FIPS 180-2 "abc").
func TestHashFunctions(t *testing.T) {
	runCases(t, []exprCase{
		{call("MD5", s("")), "'d41d8cd98f00b204e9800998ecf8427e'"},
		{call("MD5", s("abc")), "'900150983cd24fb0d6963f7d28e17f72'"},
		{call("SHA1", s("abc")), "'a9993e364706816aba3e25717850c26c9cd0d89d'"},
		{call("SHA224", s("abc")), "'23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7'"},
		{call("SHA256", s("abc")), "'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'"},
		{call("SHA384", s("abc")), "'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7'"},
		{call("SHA512", s("abc")), "'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'"},
		{call("SHA2", s("abc"), i(256)), "'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'"},
		{call("SHA2", s("abc"), i(224)), "'23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7'"},
		{call("SHA2", s("abc"), cA), "error: unsupported hash length 7"},
		{call("SHA2", s("abc"), cN), "NULL"},
		{call("MD5", cSN), "NULL"},
		{call("SHA256", cSN), "NULL"},
	})
	if _, err := Compile(call("SHA2", s("abc"), i(100))); err == nil {
		t.Error("SHA2 with a literal length of 100 compiles")
	}
}

func TestTruncate(t *testing.T) {
	runCases(t, []exprCase{
		{call("TRUNCATE", dec("42.324"), i(2)), "42.32"},
		{call("TRUNCATE", dec("42.324")), "42"},
		{call("TRUNCATE", dec("-42.999"), i(1)), "-42.9"},
		{call("TRUNCATE", dec("1234.5"), i(-2)), "1200"},
		{call("TRUNCATE", dec("1.5"), i(5)), "1.5"},
		{call("TRUNCATE", dbl(42.324), i(2)), "4.232E1"},
		{call("TRUNCATE", dbl(42.324)), "4.2E1"},
		{call("TRUNCATE", dbl(-0.999), i(1)), "-9E-1"},
		{call("TRUNCATE", i(-129), i(-1)), "-120"},
		{call("TRUNCATE", i(129), i(1)), "129"},
		{call("TRUNCATE", cA, cN), "NULL"},
		{call("TRUNCATE", cN), "NULL"},
	})
	for _, c := range []struct {
		e    Expr
		want string
	}{
		{call("TRUNCATE", dec("42.324"), i(2)), "DECIMAL(5, 2) NOT NULL"},
		{call("TRUNCATE", dec("42.324")), "DECIMAL(3, 0) NOT NULL"},
		{call("TRUNCATE", dbl(1), i(2)), "DOUBLE NOT NULL"},
		{call("TRUNCATE", cA, cN), "INT"},
	} {
		if got := c.e.Type().String(); got != c.want {
			t.Errorf("%s: type %s, want %s", c.e, got, c.want)
		}
	}
}

func TestUUID(t *testing.T) {
	e := call("UUID")
	if e.Type().String() != "STRING NOT NULL" {
		t.Errorf("UUID() is %s", e.Type())
	}
	p, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		v, err := p(testRow())
		if err != nil {
			t.Fatal(err)
		}
		if !v4.MatchString(v.AsString()) {
			t.Fatalf("UUID() = %s, not a version 4 UUID", v.AsString())
		}
		if seen[v.AsString()] {
			t.Fatalf("UUID() repeated %s: folded?", v.AsString())
		}
		seen[v.AsString()] = true
	}
	// Not folded inside another call either.
	p, err = Compile(call("UPPER", e))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p(testRow())
	b, _ := p(testRow())
	if a.AsString() == b.AsString() {
		t.Error("UPPER(UUID()) was folded")
	}
}

func TestStrToMap(t *testing.T) {
	runCases(t, []exprCase{
		{call("STR_TO_MAP", s("a=1,b=2,c")), "MAP['a', '1', 'b', '2', 'c', NULL]"},
		{call("STR_TO_MAP", s("a=1=2,,b=")), "MAP['a', '1=2', '', NULL, 'b', '']"},
		{call("STR_TO_MAP", s("k:v; x:y"), s(`;\s*`), s(":")), "MAP['k', 'v', 'x', 'y']"},
		{call("STR_TO_MAP", s("a=1,a=2")), "MAP['a', '2']"},
		{call("STR_TO_MAP", s("")), "MAP[]"},
		{call("STR_TO_MAP", s("a.1|b.2"), s(`\|`), s(`\.`)), "MAP['a', '1', 'b', '2']"},
		{call("STR_TO_MAP", cSN), "NULL"},
		{call("STR_TO_MAP", s("a=1"), cSN, s("=")), "NULL"},
	})
	if got := call("STR_TO_MAP", cS).Type().String(); got != "MAP<STRING, STRING> NOT NULL" {
		t.Errorf("STR_TO_MAP(s) is %s", got)
	}
	if _, err := Compile(call("STR_TO_MAP", s("a"), s("("), s("="))); err == nil {
		t.Error("an invalid delimiter pattern compiles")
	}
}

// STR_TO_MAP with delimiters from columns compiles a delimiter once, not
// for every row (it compiled both per row): its allocations per row are
// those of the constant-delimiter form. A delimiter that changes between
// rows is compiled again.
func TestStrToMapDelimiterCache(t *testing.T) {
	S := table.StringType().NotNull()
	text, ld, kd := ColumnRef(0, "t", S), ColumnRef(1, "ld", S), ColumnRef(2, "kd", S)
	dyn, err := Compile(call("STR_TO_MAP", text, ld, kd))
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := Compile(call("STR_TO_MAP", text, s(`\|`), s(":")))
	if err != nil {
		t.Fatal(err)
	}
	row := table.NewRow(table.Str("a:1|b:2|c"), table.Str(`\|`), table.Str(":"))
	eval := func(p Program, r *table.Row) string {
		v, err := p(r)
		if err != nil {
			t.Fatal(err)
		}
		return v.String()
	}
	if got, want := eval(dyn, &row), eval(fixed, &row); got != want || want != "MAP['a', '1', 'b', '2', 'c', NULL]" {
		t.Fatalf("STR_TO_MAP with column delimiters = %s, constant = %s", got, want)
	}
	dynAllocs := testing.AllocsPerRun(200, func() { _, _ = dyn(&row) })
	fixedAllocs := testing.AllocsPerRun(200, func() { _, _ = fixed(&row) })
	if dynAllocs > fixedAllocs+2 {
		t.Errorf("STR_TO_MAP with column delimiters: %.0f allocations per row, with constant ones %.0f (a regex compiled per row?)", dynAllocs, fixedAllocs)
	}
	other := table.NewRow(table.Str("a=1;b=2"), table.Str(";"), table.Str("="))
	if got := eval(dyn, &other); got != "MAP['a', '1', 'b', '2']" {
		t.Errorf("after a change of delimiters: %s", got)
	}
	if got := eval(dyn, &row); got != "MAP['a', '1', 'b', '2', 'c', NULL]" {
		t.Errorf("back to the first delimiters: %s", got)
	}
	bad := table.NewRow(table.Str("a"), table.Str("(?P<x"), table.Str("="))
	if _, err := dyn(&bad); err == nil || !strings.Contains(err.Error(), "invalid delimiter") {
		t.Errorf("an invalid delimiter: %v", err)
	}
}
