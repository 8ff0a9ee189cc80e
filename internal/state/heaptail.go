package state

// Appended values in chunks (in memory only).
//
// A list state appends every element to its key's value (Append). A value
// held in one array has to be copied to a larger one when it outgrows its
// capacity (appendGrow: by half again), so a long list was copied about
// twice over, and each new array cleared first (Nexmark q20 keeps every
// bid per auction: its join spent about a fifth of its time there). Now
// the only value of a key (an entry with one sub, as a list state's is)
// that is at least tailMin long and outgrows its capacity continues in
// chunks (heapTail, in heapTable.tails; the entry is marked entryTail):
// later appends fill the chunks, of growing size up to tailChunkMax, and
// nothing is copied. The first read of the value (Get, ScanKey, ScanGroup)
// flattens it into one array (with room for half as much again, as
// appendGrow would leave), so every reader sees the same contiguous bytes
// as before; so do a snapshot's, byte for byte: taking a snapshot
// (Heap.snapshot, Heap.appendGroup) flattens all tails first. A snapshot
// thus never shares an entry with a tail, and the copy-on-write rules are
// unchanged: an entry that gets a tail is its table's own (Append calls
// own first), and flattening writes a new array (a head a snapshot shares
// is left as it was). A Put of the value drops its tail, a Put of another
// sub flattens it first (a tail belongs to an entry with one sub), Delete
// and DeleteKey drop it.
//
// The flattening at a snapshot is synchronous, but copies no more than the
// growth it replaces would have: a value gets a tail only after it
// outgrew its capacity, at most once between two snapshots.

const (
	// entryMShared and entryTail are the bits of heapEntry.mShared.
	entryMShared = 1 << 0
	entryTail    = 1 << 1
	// tailChunkMax caps a chunk's capacity (the first chunk is as large
	// as the value it continues, up to this; each next one twice the
	// previous, up to this).
	tailChunkMax = 64 << 10
)

// tailMin is the least length of a value that continues in chunks rather
// than being grown by a copy (a short value is cheap to copy, and a tail
// costs a map entry). A variable for tests (Heap.noTails turns chunks off).
var tailMin = 1024

// heapTail is the continuation of an entry's value: chunks, each filled
// to its length; n is their total length.
type heapTail struct {
	chunks [][]byte
	n      int
}

// add appends v to the last chunk, or to a new one when it does not fit.
func (tl *heapTail) add(v []byte) {
	last := &tl.chunks[len(tl.chunks)-1]
	if len(*last)+len(v) > cap(*last) {
		c := min(2*cap(*last), tailChunkMax)
		tl.chunks = append(tl.chunks, make([]byte, 0, max(c, len(v))))
		last = &tl.chunks[len(tl.chunks)-1]
	}
	*last = append(*last, v...)
	tl.n += len(v)
}

// startTail gives e (its table's own, with one sub whose value v cannot
// take value without growing) a tail holding value.
func (t *heapTable) startTail(e *heapEntry, value []byte) {
	head := e.subs()[0].value
	c := max(min(len(head), tailChunkMax), len(value))
	chunk := append(make([]byte, 0, c), value...)
	if t.tails == nil {
		t.tails = make(map[*heapEntry]*heapTail)
	}
	t.tails[e] = &heapTail{chunks: [][]byte{chunk}, n: len(value)}
	e.mShared |= entryTail
}

// flattenTail makes e's value (head and tail) one new array and drops the
// tail. e is its table's own (an entry with a tail is); its head may be
// shared with a snapshot and is not written.
func (t *heapTable) flattenTail(e *heapEntry) {
	tl := t.tails[e]
	sv := &e.subs()[0]
	n := len(sv.value) + tl.n
	b := make([]byte, 0, n+n/2)
	b = append(b, sv.value...)
	for _, c := range tl.chunks {
		b = append(b, c...)
	}
	sv.value = b
	e.shared &^= 1 // new bytes, the entry's own
	delete(t.tails, e)
	e.mShared &^= entryTail
}

// dropTail drops e's tail, whose value is being replaced or removed (the
// bytes no longer count in the backend's size).
func (t *heapTable) dropTail(e *heapEntry) {
	t.h.size -= int64(t.tails[e].n)
	delete(t.tails, e)
	e.mShared &^= entryTail
}

// flattenTails flattens every tail of h (before a snapshot reads the
// entries).
func (h *Heap) flattenTails() {
	for _, t := range h.tables {
		for e := range t.tails {
			t.flattenTail(e)
		}
	}
}
