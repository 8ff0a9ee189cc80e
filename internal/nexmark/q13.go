package nexmark

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q13Row is a q13 result row: a bid enriched with the side input's value.
type Q13Row struct {
	Auction  int64  `json:"auction"`
	Bidder   int64  `json:"bidder"`
	Price    int64  `json:"price"`
	DateTime int64  `json:"dateTime"`
	Value    string `json:"value"`
}

func init() {
	Register(&Query{
		Name:    "q13",
		Columns: []string{"auction", "bidder", "price", "dateTime", "value"},
		Build:   buildQ13,
		Oracle:  oracleQ13,
	})
}

// q13Keys is the side input's key space: bids join on auction mod 10000.
const q13Keys = 10_000

// buildQ13 is the bounded side-input join: every bid joined with the rows
// of cfg.SideInput (CSV "key,value") whose key is MOD(auction, 10000), an
// inner lookup join as Flink's FOR SYSTEM_TIME AS OF PROCTIME() on a
// filesystem table (a key with several rows gives several results, a bid
// without a row none).
//
// Operators: the bid view and one chained process function; no shuffle.
// The file is read once per job, by the first record that needs it
// (sync.Once), into an immutable table shared by all subtasks: an array
// for keys 0..9999 plus a map for any other keys. A missing or bad file
// fails the job with the file and line. Flink reloads its lookup cache
// periodically (lookup.join.cache.ttl); the side input is static here.
func buildQ13(events stream.Stream[nexmark.Event], cfg Config) Output {
	side := &q13Side{path: cfg.SideInput}
	rows := stream.Process(Bids(events), func(_ *stream.Context, b *nexmark.Bid, out stream.Emitter[Q13Row]) error {
		t, err := side.get()
		if err != nil {
			return err
		}
		for _, v := range t.lookup(b.Auction % q13Keys) {
			out.Emit(Q13Row{Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, DateTime: b.DateTime, Value: v})
		}
		return nil
	}).Name("q13-side-input-join")
	return Out(rows)
}

// q13Side loads the side input once.
type q13Side struct {
	path  string
	once  sync.Once
	table *q13Table
	err   error
}

func (s *q13Side) get() (*q13Table, error) {
	s.once.Do(func() { s.table, s.err = loadQ13Side(s.path) })
	return s.table, s.err
}

// q13Table holds the values per key.
type q13Table struct {
	dense [q13Keys][]string
	other map[int64][]string
}

func (t *q13Table) lookup(k int64) []string {
	if k >= 0 && k < q13Keys {
		return t.dense[k]
	}
	return t.other[k]
}

// loadQ13Side reads "key,value" CSV rows (RFC 4180; a first row whose key
// is not a number is taken as a header).
func loadQ13Side(path string) (*q13Table, error) {
	if path == "" {
		return nil, errors.New("q13: no side input: set Config.SideInput to the CSV file of key,value rows (nexmark.WriteSideInput writes it)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("q13: side input: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 2
	r.ReuseRecord = true
	t := &q13Table{other: map[int64][]string{}}
	for n := 1; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("q13: side input %s: %w", path, err)
		}
		k, err := strconv.ParseInt(strings.TrimSpace(rec[0]), 10, 64)
		if err != nil {
			if n == 1 {
				continue // header
			}
			line, _ := r.FieldPos(0)
			return nil, fmt.Errorf("q13: side input %s:%d: key %q is not a BIGINT", path, line, rec[0])
		}
		v := strings.Clone(rec[1])
		if k >= 0 && k < q13Keys {
			t.dense[k] = append(t.dense[k], v)
		} else {
			t.other[k] = append(t.other[k], v)
		}
	}
}
