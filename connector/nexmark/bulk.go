package nexmark

import (
	"context"
	"errors"
	"io"
	"math"
	"runtime"
	"sync"
)

// GenerateStats summarises what GenerateJSONLines wrote.
type GenerateStats struct {
	// Events is the number of events written, of which Persons persons,
	// Auctions auctions and Bids bids.
	Events, Persons, Auctions, Bids int64
	// MinTime and MaxTime are the smallest and largest event time (epoch
	// ms); MinTime > MaxTime when no event was written.
	MinTime, MaxTime int64
	// Bytes is the number of bytes written.
	Bytes int64
}

func emptyStats() GenerateStats { return GenerateStats{MinTime: math.MaxInt64, MaxTime: math.MinInt64} }

func (s *GenerateStats) add(o GenerateStats) {
	s.Events += o.Events
	s.Persons += o.Persons
	s.Auctions += o.Auctions
	s.Bids += o.Bids
	s.MinTime = min(s.MinTime, o.MinTime)
	s.MaxTime = max(s.MaxTime, o.MaxTime)
	s.Bytes += o.Bytes
}

// bulkChunk is the number of events encoded as one piece of work.
const bulkChunk = 4096

// GenerateJSONLines writes the events of a bounded cfg to w as JSON lines,
// in the order of Generate (split 0, then split 1, ...), byte for byte what
// WriteJSONLines(w, slices.Values(Generate(cfg))) writes. It is the fast
// path for files: chunks of events are generated and encoded on all
// GOMAXPROCS cores without allocating per event, and written in order in
// pieces of up to about 2 MiB. It stops with ctx.Err() when ctx ends.
func GenerateJSONLines(ctx context.Context, w io.Writer, cfg GeneratorConfig) (GenerateStats, error) {
	total := emptyStats()
	if err := cfg.Validate(); err != nil {
		return total, err
	}
	cfg = cfg.WithDefaults()
	if cfg.Events == 0 {
		return total, errors.New("nexmark: GenerateJSONLines needs a bounded config (Events > 0)")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	gens := make([]gen, cfg.Splits)
	for i := range gens {
		gens[i] = newGen(cfg, i)
	}
	type chunk struct {
		split    int
		from, to int64
		buf      []byte
		stats    GenerateStats
		done     chan struct{}
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *chunk)
	order := make(chan *chunk, 2*workers)
	free := make(chan []byte, 3*workers+1)
	var wg sync.WaitGroup
	defer wg.Wait()
	for range workers {
		wg.Go(func() {
			var sc scratch
			for c := range jobs {
				var buf []byte
				select {
				case buf = <-free:
				default:
				}
				st := emptyStats()
				g := &gens[c.split]
				for n := c.from; n < c.to; n++ {
					ev, ts := g.event(n, &sc)
					switch ev.Type {
					case TypePerson:
						st.Persons++
					case TypeAuction:
						st.Auctions++
					default:
						st.Bids++
					}
					st.MinTime, st.MaxTime = min(st.MinTime, ts), max(st.MaxTime, ts)
					buf = append(AppendJSON(buf, ev), '\n')
				}
				st.Events = c.to - c.from
				c.buf, c.stats = buf, st
				close(c.done)
			}
		})
	}
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		for i := range gens {
			for from := int64(0); from < gens[i].n; from += bulkChunk {
				c := &chunk{split: i, from: from, to: min(from+bulkChunk, gens[i].n), done: make(chan struct{})}
				select {
				case order <- c:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	})

	var err error
	for c := range order {
		if err != nil {
			continue // drain until the producer stops
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			err = ctx.Err()
			continue
		}
		n, werr := w.Write(c.buf)
		c.stats.Bytes = int64(n)
		total.add(c.stats)
		if werr == nil && n < len(c.buf) {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			err = werr
			cancel()
		}
		select {
		case free <- c.buf[:0]:
		default:
		}
	}
	if err == nil && total.Events < cfg.Events {
		err = ctx.Err() // the producer stopped early
	}
	return total, err
}
