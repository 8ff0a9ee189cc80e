package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ8: the distinct (id, name, 10 s window) of persons joined with
// the distinct (seller, window) of auctions on id = seller and window.
func oracleQ8(events []nexmark.Event, _ Config) ([]any, error) {
	const size = 10_000
	type person struct {
		id    int64
		name  string
		start int64
	}
	type seller struct{ id, start int64 }
	persons := map[person]bool{}
	sellers := map[seller]bool{}
	for _, e := range events {
		if p := e.Person; p != nil {
			persons[person{p.ID, p.Name, p.DateTime - oracleMod(p.DateTime, size)}] = true
		}
		if a := e.Auction; a != nil {
			sellers[seller{a.Seller, a.DateTime - oracleMod(a.DateTime, size)}] = true
		}
	}
	var out []any
	for p := range persons {
		if sellers[seller{p.id, p.start}] {
			out = append(out, Q8Row{ID: p.id, Name: p.name, WindowStart: p.start})
		}
	}
	return out, nil
}
