package datagen

import (
	"math/big"
	"math/bits"
	"strconv"
	"time"
	"unsafe"

	"github.com/stromio/strom/table"
)

// rng is SplitMix64: the random values of a column of one row come from
// the stream rowRng(seed, g, salt), a pure function of the seed, the
// row's index in the table and the column's name (salt, nameSalt), so a
// replay after a restore gives the same rows, a projection the same
// values, the rows do not depend on how the table is split, and a column
// keeps its values when others are added or moved.
type rng struct{ s uint64 }

const golden = 0x9E3779B97F4A7C15

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func rowRng(seed, g, salt uint64) rng {
	return rng{s: mix(mix(seed+golden)^g) ^ salt}
}

// nameSalt is the FNV-1a hash of a column's name, mixed.
func nameSalt(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return mix(h)
}

func (r *rng) next() uint64 {
	r.s += golden
	return mix(r.s)
}

// below returns a number in [0, n) (n > 0).
func (r *rng) below(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// between returns an integer in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	span := uint64(hi) - uint64(lo) + 1
	if span == 0 { // the whole int64 range
		return int64(r.next())
	}
	return lo + int64(r.below(span))
}

// unit returns a float in [0, 1).
func (r *rng) unit() float64 { return float64(r.next()>>11) / (1 << 53) }

// genCtx is what values of one Read share: the processing time and the
// session time zone's offset at that time.
type genCtx struct {
	now    int64 // epoch ms
	offset int64 // ms to add for local time
	bytes  int64 // the bytes of strings, byte strings and nested values generated
}

func newGenCtx(now int64, loc *time.Location) genCtx {
	_, off := time.UnixMilli(now).In(loc).Zone()
	return genCtx{now: now, offset: int64(off) * 1000}
}

const hexDigits = "0123456789abcdef"

// The ranges of random INTERVALs: those of strom's interval types,
// INTERVAL DAY(2) TO SECOND(3) (up to 99 days 23:59:59.999) and INTERVAL
// YEAR(2) TO MONTH (up to 99 years 11 months), either sign.
const (
	maxIntervalMillis = 100*86_400_000 - 1
	maxIntervalMonths = 100*12 - 1
)

// keysEqual compares two keys of a generated MAP (a test counts the
// comparisons through it).
var keysEqual = func(a, b table.Value) bool { return a.Equal(b) }

// value generates the value of f for row g (r is the column's stream).
func (f *field) value(r *rng, g uint64, c *genCtx) table.Value {
	if f.computed {
		return table.Value{}
	}
	if f.nullRate > 0 && r.unit() < f.nullRate {
		return table.Value{}
	}
	if f.kind == kindSequence {
		return f.seqValue(g)
	}
	t := f.typ
	switch t.Root() {
	case table.RootBoolean:
		return table.Bool(r.next()&1 == 1)
	case table.RootTinyInt, table.RootSmallInt, table.RootInt, table.RootBigInt:
		return table.Int(r.between(f.lo, f.hi))
	case table.RootFloat, table.RootDouble:
		u := r.unit()
		v := f.flo*(1-u) + f.fhi*u // no overflow of fhi-flo
		v = min(max(v, f.flo), f.fhi)
		if t.Root() == table.RootFloat {
			v = float64(float32(v))
		}
		return table.Float(v)
	case table.RootDecimal:
		return table.DecimalValue(table.NewDecimalBig(randBig(r, f.dlo, f.dhi), t.Scale()))
	case table.RootChar, table.RootVarChar:
		n := f.len(r)
		if n == 0 {
			return table.Str("")
		}
		c.bytes += int64(n)
		b := make([]byte, n)
		for i := 0; i < n; i += 16 {
			x := r.next()
			for k := i; k < min(i+16, n); k++ {
				b[k] = hexDigits[x&15]
				x >>= 4
			}
		}
		// b is not written again: the string takes it without a copy.
		return table.Str(unsafe.String(&b[0], n))
	case table.RootBinary, table.RootVarBinary:
		n := f.len(r)
		c.bytes += int64(n)
		b := make([]byte, n)
		for i := 0; i < n; i += 8 {
			x := r.next()
			for k := i; k < min(i+8, n); k++ {
				b[k] = byte(x)
				x >>= 8
			}
		}
		return table.Bytes(b)
	case table.RootDate:
		return table.Date(int32(floorDiv(c.now+c.offset, 86_400_000)))
	case table.RootTime:
		ms := floorMod(c.now+c.offset, 86_400_000)
		return table.Time(int32(trunc(ms, t.Precision())))
	case table.RootTimestamp, table.RootTimestampLTZ:
		ts := c.now
		if f.maxPast > 0 {
			ts -= int64(r.below(uint64(f.maxPast) + 1))
		}
		if t.Root() == table.RootTimestamp {
			ts += c.offset
		}
		return table.TimestampMillis(trunc(ts, t.Precision()))
	case table.RootIntervalDayTime:
		return table.IntervalMillis(r.between(-maxIntervalMillis, maxIntervalMillis))
	case table.RootIntervalYearMonth:
		return table.IntervalMonths(int32(r.between(-maxIntervalMonths, maxIntervalMonths)))
	case table.RootArray:
		n := f.len(r)
		c.bytes += int64(n) * valueBytes
		out := make([]table.Value, n)
		for i := range out {
			out[i] = f.elems[0].value(r, g, c)
		}
		return table.Array(out)
	case table.RootMap:
		n := f.len(r)
		c.bytes += 2 * int64(n) * valueBytes
		keys, vals := make([]table.Value, 0, n), make([]table.Value, 0, n)
		// A key once: the keys so far by hash (the indexes of keys
		// with that hash), so that a map of n entries costs O(n)
		// comparisons, not n²/2.
		seen := make(map[uint64][]int32, n)
	entries:
		for range n {
			k, v := f.elems[0].value(r, g, c), f.elems[1].value(r, g, c)
			h := k.Hash()
			for _, i := range seen[h] {
				if keysEqual(keys[i], k) {
					continue entries
				}
			}
			seen[h] = append(seen[h], int32(len(keys)))
			keys, vals = append(keys, k), append(vals, v)
		}
		return table.Map(keys, vals)
	case table.RootRow:
		c.bytes += int64(len(f.elems)) * valueBytes
		out := make([]table.Value, len(f.elems))
		for i, e := range f.elems {
			out[i] = e.value(r, g, c)
		}
		return table.RowValue(out)
	}
	return table.Value{}
}

// len is the length of a string, byte string or collection value: f.length,
// or random in [1, f.length] with var-len.
func (f *field) len(r *rng) int {
	if f.varLen && f.length > 1 {
		return 1 + int(r.below(uint64(f.length)))
	}
	return f.length
}

// seqValue is the value of a sequence field at row g (g < seqLen).
func (f *field) seqValue(g uint64) table.Value {
	t := f.typ
	switch t.Root() {
	case table.RootFloat, table.RootDouble:
		v := f.seqF + float64(g)
		if t.Root() == table.RootFloat {
			v = float64(float32(v))
		}
		return table.Float(v)
	case table.RootDecimal:
		step := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale())), nil)
		u := new(big.Int).Mul(new(big.Int).SetUint64(g), step)
		return table.DecimalValue(table.NewDecimalBig(u.Add(u, f.seqD), t.Scale()))
	case table.RootChar, table.RootVarChar:
		return table.Str(strconv.FormatInt(f.seqI+int64(g), 10)) // fits: checked
	}
	return table.Int(f.seqI + int64(g))
}

// randBig returns an integer in [lo, hi].
func randBig(r *rng, lo, hi *big.Int) *big.Int {
	span := new(big.Int).Sub(hi, lo)
	if span.IsInt64() {
		return new(big.Int).Add(lo, big.NewInt(r.between(0, span.Int64())))
	}
	span.Add(span, big.NewInt(1))
	// Enough random words for span and 64 bits more (the modulo bias is
	// then below 2^-64).
	words := span.BitLen()/64 + 2
	x := new(big.Int)
	for range words {
		x.Lsh(x, 64)
		x.Or(x, new(big.Int).SetUint64(r.next()))
	}
	x.Mod(x, span)
	return x.Add(x, lo)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// trunc cuts epoch ms (or ms of the day) to precision p (digits of the
// second; 3 and more keep the milliseconds).
func trunc(ms int64, p int) int64 {
	if p >= 3 {
		return ms
	}
	unit := int64(1000)
	for range p {
		unit /= 10
	}
	return ms - floorMod(ms, unit)
}
