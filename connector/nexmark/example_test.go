package nexmark_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/stromio/strom/connector/nexmark"
)

// The generator as a plain function, for oracles and tests.
func ExampleGenerate() {
	events := nexmark.Generate(nexmark.GeneratorConfig{Events: 100, Seed: 1})
	var persons, auctions, bids int
	for _, ev := range events {
		switch ev.Type {
		case nexmark.TypePerson:
			persons++
		case nexmark.TypeAuction:
			auctions++
		case nexmark.TypeBid:
			bids++
		}
	}
	fmt.Println(persons, auctions, bids, events[0].Person.ID, events[0].Time())
	// Output: 2 6 92 1000 1767225600000
}

// The generator as a source, driven through the connector SPI as the
// engine drives it: read some events, checkpoint the position, resume.
func ExampleNewSource() {
	ctx := context.Background()
	src := nexmark.NewSource(nexmark.GeneratorConfig{Events: 1000, Splits: 2})
	splits, _ := src.Splits(ctx)
	r, _ := src.Open(ctx, splits[1], nil)
	buf := make([]nexmark.Event, 100)
	n, _ := r.Read(ctx, buf)
	pos := r.Position() // saved in a checkpoint
	r.Close()

	r, _ = src.Open(ctx, splits[1], pos)
	total := n
	for {
		n, err := r.Read(ctx, buf)
		total += n
		if errors.Is(err, io.EOF) {
			break
		}
	}
	fmt.Println(splits[1].ID, total)
	// Output: nexmark-1 500
}

// The interchange format.
func ExampleWriteJSONLines() {
	events := nexmark.Generate(nexmark.GeneratorConfig{Events: 5, Seed: 1})
	_, _ = nexmark.WriteJSONLines(os.Stdout, slices.Values(events[4:5]))
	ev, err := nexmark.ParseString(`{"bid":{"price":250,"auction":1000,"bidder":1001,"dateTime":1767225600002},"event_type":2,"x":[1]}`)
	fmt.Println(ev.Bid.Price, err)
	// Output:
	// {"event_type":2,"bid":{"auction":1000,"bidder":1001,"price":33323,"channel":"Facebook","url":"https://www.nexmark.com/oddx/ryvc/vzgv/item.htm?query=1","dateTime":1767225600000,"extra":"cnqdfzwtpsqkxsncgbeifjfdyajpkmfjpbylhkffemkdjvvgrdngmksizvw"}}
	// 250 <nil>
}
