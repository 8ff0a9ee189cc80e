package expr

import (
	"strconv"
	"syscall"
	"testing"

	"github.com/stromio/strom/table"
)

// q21Exprs are Nexmark q21's filter and channel id over (url, channel).
func q21Exprs() (filter, id Expr) {
	u := ColumnRef(0, "url", table.StringType())
	ch := ColumnRef(1, "channel", table.StringType())
	extract := func() Expr { return call("REGEXP_EXTRACT", u, s("(&|^)channel_id=([^&]*)"), i(2)) }
	lower := func() Expr { return call("LOWER", ch) }
	var whens []When
	var ks []Expr
	for j, k := range []string{"apple", "google", "facebook", "baidu"} {
		whens = append(whens, When{Cond: call("=", lower(), s(k)), Then: s(strconv.Itoa(j))})
		ks = append(ks, s(k))
	}
	filter = must(NewOr(NewIsNull(extract(), true), must(NewIn(lower(), ks, false))))
	return filter, must(NewCase(whens, extract()))
}

// q21Rows are bids as the Nexmark generator makes them: half of a hot
// channel, the others of channel-N with (9 in 10) a channel_id.
func q21Rows() []table.Row {
	hot := []string{"Google", "Facebook", "Baidu", "Apple"}
	var rows []table.Row
	for n := range 4096 {
		url := "https://www.nexmark.com/abc/defgh/ijkl/item.htm?query=1"
		ch := hot[n%4]
		if n%2 == 1 {
			ch = "channel-" + strconv.Itoa(n*7)
			if n%10 != 3 {
				url += "&channel_id=" + strconv.Itoa(n*131)
			}
		}
		rows = append(rows, table.NewRow(table.Str(url), table.Str(ch)))
	}
	return rows
}

// BenchmarkSharedQ21: q21's Calc per row (filter, then the channel id of
// the rows kept), compiled together as the planner does.
func BenchmarkSharedQ21(b *testing.B) {
	f, id := q21Exprs()
	sh := NewShared([]Expr{f, id})
	pred := must2(sh.CompilePredicate(f))
	prog := must2(sh.Compile(id))
	rows := q21Rows()
	row := new(table.Row)
	kept := 0
	cpu0 := cpuNanos()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		*row = rows[n%len(rows)]
		sh.Next()
		ok, err := pred(row)
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			continue
		}
		if _, err := prog(row); err != nil {
			b.Fatal(err)
		}
		kept++
	}
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuNanos is the process's CPU time (user + system): on a shared machine
// it moves less than the wall time of ns/op.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
