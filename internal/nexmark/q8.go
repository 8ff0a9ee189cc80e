package nexmark

import (
	"time"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q8Row is a q8 result row: a person who registered and opened an auction
// in the same 10 s tumbling window.
type Q8Row struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	WindowStart int64  `json:"window_start"`
}

func init() {
	Register(&Query{
		Name:    "q8",
		Columns: []string{"id", "name", "window_start"},
		Build:   buildQ8,
		Oracle:  oracleQ8,
	})
}

// q8Person is what the window join keeps of a person (state of struct
// types is JSON; persons are 2% of the events).
type q8Person struct {
	ID   int64  `json:"i"`
	Name string `json:"n"`
}

// buildQ8: persons grouped by (id, name) and auctions grouped by seller in
// TUMBLE(10 s), joined on id = seller and the same window. A window coGroup
// keyed by the person id does it in one operator: when the window ends it
// has the key's persons and sellers' auctions of that window, and emits
// each distinct (id, name) if there was at least one auction (the GROUP BYs
// make both sides distinct). Late records are dropped, as Flink's window
// aggregations drop them.
func buildQ8(events stream.Stream[nexmark.Event], _ Config) Output {
	persons := stream.Map(Persons(events), func(p *nexmark.Person) q8Person {
		return q8Person{ID: p.ID, Name: p.Name}
	}).Name("q8-person")
	sellers := stream.Map(Auctions(events), func(a *nexmark.Auction) int64 { return a.Seller }).Name("q8-seller")
	rows := stream.WindowCoGroup(
		stream.KeyBy(persons, func(p q8Person) int64 { return p.ID }),
		stream.KeyBy(sellers, func(s int64) int64 { return s }),
		stream.TumblingEventTimeWindows(10*time.Second),
		func(id int64, w stream.Window, ps []q8Person, sellers []int64, out stream.Emitter[Q8Row]) {
			if len(sellers) == 0 {
				return
			}
		next:
			for i, p := range ps {
				for _, q := range ps[:i] {
					if q.Name == p.Name {
						continue next
					}
				}
				out.Emit(Q8Row{ID: id, Name: p.Name, WindowStart: w.Start})
			}
		}).Name("q8-join")
	return Out(rows)
}
