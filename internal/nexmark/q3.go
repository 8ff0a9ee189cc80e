package nexmark

import (
	"encoding/binary"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q3Row is a q3 result row: a seller in OR, ID or CA and one of their
// auctions in category 10.
type Q3Row struct {
	Name  string `json:"name"`
	City  string `json:"city"`
	State string `json:"state"`
	ID    int64  `json:"id"`
}

func init() {
	Register(&Query{
		Name:    "q3",
		Columns: []string{"name", "city", "state", "id"},
		Build:   buildQ3,
		Oracle:  oracleQ3,
	})
}

// buildQ3 is Flink's regular inner join auction.seller = person.id with the
// filters pushed below it: a KeyedCoProcess keyed by the person id that
// keeps both sides forever (a ListState of auction ids and a ListState of
// encoded persons per key), so every pair is emitted exactly once whatever
// the arrival order. The result is append-only. State grows without bound,
// as Flink's (no time bound relates the two sides).
func buildQ3(events stream.Stream[nexmark.Event], _ Config) Output {
	auctions := Auctions(events).Filter(func(a *nexmark.Auction) bool { return a.Category == 10 }).Name("q3-auction-filter")
	persons := Persons(events).Filter(func(p *nexmark.Person) bool {
		return p.State == "OR" || p.State == "ID" || p.State == "CA"
	}).Name("q3-person-filter")
	ak := stream.KeyBy(auctions, func(a *nexmark.Auction) int64 { return a.Seller })
	pk := stream.KeyBy(persons, func(p *nexmark.Person) int64 { return p.ID })
	rows := stream.KeyedCoProcess(ak, pk, func() stream.KeyedCoProcessFunction[int64, *nexmark.Auction, *nexmark.Person, Q3Row] {
		return &q3Join{}
	}).Name("q3-join")
	return Out(rows)
}

// q3Join keeps, per person id, the ids of the auctions seen and the
// (name, city, state) of the persons seen.
type q3Join struct {
	auctions *stream.ListState[int64]
	persons  *stream.ListState[string]
	buf      []byte
}

func (j *q3Join) Open(ctx *stream.OpenContext) error {
	j.auctions = stream.NewListState[int64](ctx, "q3-auctions")
	j.persons = stream.NewListState[string](ctx, "q3-persons")
	return nil
}

func (j *q3Join) ProcessElement1(_ *stream.KeyedContext[int64], a *nexmark.Auction, out stream.Emitter[Q3Row]) error {
	j.persons.Range(func(enc string) bool {
		name, rest := nxUnpackString(enc)
		city, rest := nxUnpackString(rest)
		state, _ := nxUnpackString(rest)
		out.Emit(Q3Row{Name: name, City: city, State: state, ID: a.ID})
		return true
	})
	j.auctions.Add(a.ID)
	return nil
}

func (j *q3Join) ProcessElement2(_ *stream.KeyedContext[int64], p *nexmark.Person, out stream.Emitter[Q3Row]) error {
	j.auctions.Range(func(id int64) bool {
		out.Emit(Q3Row{Name: p.Name, City: p.City, State: p.State, ID: id})
		return true
	})
	b := nxPackString(j.buf[:0], p.Name)
	b = nxPackString(b, p.City)
	b = nxPackString(b, p.State)
	j.buf = b
	j.persons.Add(string(b))
	return nil
}

func (j *q3Join) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[Q3Row]) error { return nil }

// Compact encodings of state values. The stream API encodes state of
// struct types as JSON; the queries keep hot state in int64 handles and
// rows with strings in string handles holding these fields.

// nxPackString appends s with a uvarint length prefix.
func nxPackString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// nxUnpackString reads a field written by nxPackString and returns it and
// the rest (substrings of enc: no copy).
func nxUnpackString(enc string) (string, string) {
	n, k := nxUvarint(enc)
	return enc[k : k+int(n)], enc[k+int(n):]
}

// nxPackInt appends v as 8 bytes.
func nxPackInt(dst []byte, v int64) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }

// nxUnpackInt reads a field written by nxPackInt.
func nxUnpackInt(enc string) (int64, string) {
	_ = enc[7]
	v := uint64(enc[0])<<56 | uint64(enc[1])<<48 | uint64(enc[2])<<40 | uint64(enc[3])<<32 |
		uint64(enc[4])<<24 | uint64(enc[5])<<16 | uint64(enc[6])<<8 | uint64(enc[7])
	return int64(v), enc[8:]
}

func nxUvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	panic("nexmark: truncated state value")
}
