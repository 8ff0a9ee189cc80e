package table

import (
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestRowKind(t *testing.T) {
	for k, s := range map[RowKind]string{Insert: "+I", UpdateBefore: "-U", UpdateAfter: "+U", Delete: "-D"} {
		if k.String() != s {
			t.Errorf("%d: %s", k, k)
		}
		if p, ok := ParseRowKind(s); !ok || p != k {
			t.Errorf("ParseRowKind(%s)", s)
		}
	}
	if !UpdateAfter.IsAccumulate() || !Delete.IsRetract() || Insert.IsRetract() {
		t.Error("accumulate/retract")
	}
	if got := (Row{Kind: Delete, Fields: []Value{Int(1), Str("a")}}).String(); got != "-D(1, 'a')" {
		t.Error(got)
	}
}

func TestSchema(t *testing.T) {
	s := &Schema{
		Columns: []Column{
			{Name: "id", Type: BigIntType().NotNull()},
			{Name: "ts", Type: TimestampType(3)},
			{Name: "Name", Type: StringType()},
			{Name: "part", Type: IntType(), Metadata: "partition", Virtual: true},
			{Name: "total", Type: DecimalType(10, 2), Computed: "price * qty"},
		},
		Rowtime: "ts", Watermark: "ts - INTERVAL '5' SECOND", PrimaryKey: []string{"id"},
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Index("name") != -1 || s.Index("Name") != 2 || s.IndexFold("NAME") != 2 {
		t.Error("lookup")
	}
	if !strings.Contains(s.String(), "`ts` TIMESTAMP(3) *ROWTIME*") || !strings.Contains(s.String(), "PRIMARY KEY (`id`) NOT ENFORCED") {
		t.Error(s.String())
	}
	for _, bad := range []*Schema{
		{Columns: []Column{{Name: "a", Type: IntType()}, {Name: "a", Type: IntType()}}},
		{Columns: []Column{{Name: "a", Type: IntType()}}, Rowtime: "a"},
		{Columns: []Column{{Name: "a", Type: TimestampType(6)}}, Rowtime: "a"},
		{Columns: []Column{{Name: "a", Type: IntType()}}, PrimaryKey: []string{"a"}},
		{Columns: []Column{{Name: "a", Type: IntType()}}, PrimaryKey: []string{"b"}},
	} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%v) passed", bad)
		}
	}
}

func TestCivilDays(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		days := rapid.Int64Range(-3_000_000, 3_000_000).Draw(t, "days")
		want := time.Unix(days*86400, 0).UTC()
		y, m, d := CivilFromDays(days)
		if y != want.Year() || m != int(want.Month()) || d != want.Day() {
			t.Fatalf("CivilFromDays(%d) = %d-%d-%d, want %s", days, y, m, d, want)
		}
		if DaysFromCivil(y, m, d) != days {
			t.Fatal("DaysFromCivil")
		}
		ms := days*86_400_000 + rapid.Int64Range(0, 86_399_999).Draw(t, "ms")
		text := string(AppendTimestamp(nil, ms, 0, 3))
		if y >= 0 && y <= 9999 {
			if got := time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000"); got != text {
				t.Fatalf("AppendTimestamp = %s, want %s", text, got)
			}
			back, _, err := ParseTimestamp(text)
			if err != nil || back != ms {
				t.Fatalf("ParseTimestamp(%s) = %d, %v", text, back, err)
			}
		}
	})
}

func TestParseTimeErrors(t *testing.T) {
	for _, s := range []string{"", "2024-13-01", "2024-02-30", "24-01-01", "2024-01-01x"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q)", s)
		}
	}
	for _, s := range []string{"24:00:00", "12:60", "1:2:3", "12:00:00."} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q)", s)
		}
	}
	if ms, err := ParseTime("01:02:03.4567"); err != nil || ms != 3723456 {
		t.Errorf("ParseTime = %d, %v", ms, err)
	}
	if ms, ns, err := ParseTimestamp("1970-01-01 00:00:00.000000001"); err != nil || ms != 0 || ns != 1 {
		t.Errorf("ParseTimestamp = %d %d %v", ms, ns, err)
	}
}
