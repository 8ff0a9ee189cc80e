package nexmark

import "github.com/stromio/strom/connector/nexmark"

// oracleQ3: the inner join of category-10 auctions with persons in OR, ID
// or CA on seller = id, every matching pair once.
func oracleQ3(events []nexmark.Event, _ Config) ([]any, error) {
	sellers := map[int64][]*nexmark.Person{}
	var auctions []*nexmark.Auction
	for _, e := range events {
		switch {
		case e.Person != nil:
			switch e.Person.State {
			case "OR", "ID", "CA":
				sellers[e.Person.ID] = append(sellers[e.Person.ID], e.Person)
			}
		case e.Auction != nil:
			if e.Auction.Category == 10 {
				auctions = append(auctions, e.Auction)
			}
		}
	}
	var out []any
	for _, a := range auctions {
		for _, p := range sellers[a.Seller] {
			out = append(out, Q3Row{Name: p.Name, City: p.City, State: p.State, ID: a.ID})
		}
	}
	return out, nil
}
