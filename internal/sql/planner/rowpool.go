package planner

import (
	"sync"
	"sync/atomic"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// rowPool recycles the row arrays a Calc run by a shared scan's
// pre-filter (scanshare.go) emits to its side output, which crosses a
// channel to another subtask (Nexmark q4, q9: the bids' and the
// auctions' rows to the join's subtask). The receivers give a batch's
// arrays back (stream.Recycler) once the operators that got them are done
// with them, and the Calc builds its next rows in them instead of
// allocating an array per row. Which receivers do is operator.Handler's
// rule: those whose head operator reports ReleasesRecords (a join fused
// with its Top-N or aggregation that copies what it keeps,
// stream.KeyedCoProcessCopying: q9, q4, q6; window aggregations, q8;
// mini-batch GROUP BY, Top-N, deduplication). A receiver that may keep
// its records (an unfused regular or interval join, a fan-out) gives
// nothing back: the Calc allocates as before.
//
// The arrays go back in chunks (one per batch) under a mutex; the Calc
// takes a whole chunk at a time and hands out its arrays without locking.
// Bounded: past rowPoolChunks chunks waiting, a batch's arrays are left
// to the collector.
type rowPool struct {
	width int
	// test: the test hook in place when the pool was made (nil outside
	// tests: Recycle counts nothing).
	test  *rowPoolTestHook
	mu    sync.Mutex
	full  [][][]table.Value // chunks of arrays given back
	spare [][][]table.Value // emptied chunks, for Recycle to fill
	// cur: the chunk the Calc takes arrays from (its goroutine only).
	cur [][]table.Value
}

// rowPoolChunks bounds the chunks waiting in a rowPool: more than the
// batches in flight on a channel.
const rowPoolChunks = 64

func newRowPool(width int) *rowPool { return &rowPool{width: width, test: rowPoolTest} }

// rowPoolTestHook: what tests set (export_test.go: UseRowPools) before a
// job starts; rowPoolTest is nil otherwise. It is read when a Calc asks
// for its pool, not per row: off, no pool (the Calcs allocate every row,
// the general path); recycled counts the arrays given back.
type rowPoolTestHook struct {
	off      bool
	recycled atomic.Int64
}

var rowPoolTest *rowPoolTestHook

// Recycle takes back the arrays of vs (the receiver's goroutine). Their
// values are cleared: a pooled array keeps no string or nested value of
// a row alive.
func (p *rowPool) Recycle(vs []table.Row) {
	if p.test != nil {
		p.test.recycled.Add(int64(len(vs)))
	}
	p.mu.Lock()
	if len(p.full) >= rowPoolChunks {
		p.mu.Unlock()
		return
	}
	var c [][]table.Value
	if n := len(p.spare); n > 0 {
		c, p.spare[n-1] = p.spare[n-1], nil
		p.spare = p.spare[:n-1]
	}
	p.mu.Unlock()
	for _, r := range vs {
		if cap(r.Fields) >= p.width {
			a := r.Fields[:p.width]
			clear(a)
			c = append(c, a)
		}
	}
	if len(c) == 0 {
		return
	}
	p.mu.Lock()
	p.full = append(p.full, c)
	p.mu.Unlock()
}

// get returns an array of width values (zero ones, cleared by Recycle:
// the caller writes each), recycled when there is one, else new.
func (p *rowPool) get() []table.Value {
	if len(p.cur) == 0 {
		p.mu.Lock()
		if cap(p.cur) > 0 && len(p.spare) < rowPoolChunks {
			p.spare = append(p.spare, p.cur[:0])
		}
		p.cur = nil
		if n := len(p.full); n > 0 {
			p.cur, p.full[n-1] = p.full[n-1], nil
			p.full = p.full[:n-1]
		}
		p.mu.Unlock()
		if len(p.cur) == 0 {
			return make([]table.Value, p.width)
		}
	}
	n := len(p.cur) - 1
	a := p.cur[n]
	p.cur[n] = nil
	p.cur = p.cur[:n]
	return a
}

var _ stream.Recycler[table.Row] = (*rowPool)(nil)

// sideRowPool returns the rowPool of the side output out emits to when
// out is a shared scan's pre-filter's emitter (sideEmitter) whose side
// output crosses a channel (stream.OutputTag.Recycler), nil otherwise.
// The Calc that asks emits a fresh array (or one of the pool's) each row
// and keeps none: what the side output's Recycler promises.
func sideRowPool(out stream.Emitter[table.Row], width int) *rowPool {
	se, ok := out.(*sideEmitter)
	if !ok || se.ctx == nil || (rowPoolTest != nil && rowPoolTest.off) {
		return nil
	}
	rc := se.tag.Recycler(se.ctx, func() stream.Recycler[table.Row] { return newRowPool(width) })
	if p, ok := rc.(*rowPool); ok && p.width == width {
		return p
	}
	return nil
}
