package expr

// Hash functions, UUID, TRUNCATE and STR_TO_MAP (Flink docs, "String
// Functions", "Arithmetic Functions", "Value Construction Functions").

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"math/big"
	"regexp"
	"sync/atomic"

	"github.com/stromio/strom/table"
)

// hashFn is name(STRING) -> STRING: the lower-case hex digest of the
// string's UTF-8 bytes (Flink's HashCalcCallGen over
// BinaryStringData.toBytes()).
func hashFn(name string, h func() hash.Hash) Overload {
	return Overload{
		Sig:  name + "(STRING) -> STRING",
		Bind: Fixed(tString, table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(x table.Value) (table.Value, error) {
				d := h() // per call: a program may run on several goroutines
				d.Write([]byte(x.AsString()))
				return table.Str(hex.EncodeToString(d.Sum(nil))), nil
			}}, nil
		},
	}
}

func sha2Of(bits int64) (func() hash.Hash, bool) {
	switch bits {
	case 224:
		return sha256.New224, true
	case 256:
		return sha256.New, true
	case 384:
		return sha512.New384, true
	case 512:
		return sha512.New, true
	}
	return nil, false
}

// truncDecimal truncates d toward zero to n digits after the point (n < 0:
// left of it), as BigDecimal.movePointRight(n).setScale(0, DOWN)
// .movePointLeft(n); the scale is max(min(n, scale), 0).
func truncDecimal(d table.Decimal, n int) table.Decimal {
	s := d.Scale()
	if n >= s {
		return d
	}
	k := s - n
	if k > 80 {
		return table.NewDecimal(0, max(n, 0))
	}
	q := new(big.Int).Quo(d.Unscaled(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil))
	if n >= 0 {
		return table.NewDecimalBig(q, n)
	}
	if -n > 80 {
		return table.NewDecimal(0, 0)
	}
	q.Mul(q, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n)), nil))
	return table.NewDecimalBig(q, 0)
}

func registerMisc(r *Registry) {
	r.Register("MD5", hashFn("MD5", md5.New))
	r.Register("SHA1", hashFn("SHA1", sha1.New))
	r.Register("SHA224", hashFn("SHA224", sha256.New224))
	r.Register("SHA256", hashFn("SHA256", sha256.New))
	r.Register("SHA384", hashFn("SHA384", sha512.New384))
	r.Register("SHA512", hashFn("SHA512", sha512.New))
	r.Register("SHA2", Overload{
		Sig:  "SHA2(STRING, INT hashLength: 224|256|384|512) -> STRING",
		Bind: Fixed(tString, table.StringType(), table.IntType()),
		Impl: func(b *Bound) (Func, error) {
			if v, ok := b.Const(1); ok && !v.IsNull() {
				if _, ok := sha2Of(v.AsInt()); !ok {
					return Func{}, fmt.Errorf("unsupported hash length %d (224, 256, 384 or 512)", v.AsInt())
				}
			}
			return Func{F2: func(x, n table.Value) (table.Value, error) {
				h, ok := sha2Of(n.AsInt())
				if !ok {
					return table.Null, fmt.Errorf("unsupported hash length %d (224, 256, 384 or 512)", n.AsInt())
				}
				d := h()
				d.Write([]byte(x.AsString()))
				return table.Str(hex.EncodeToString(d.Sum(nil))), nil
			}}, nil
		},
	})
	r.Register("UUID", Overload{
		Sig:      "UUID() -> STRING NOT NULL",
		Bind:     Fixed(tString),
		Volatile: true,
		Impl: func(*Bound) (Func, error) {
			// A random (version 4) UUID, as java.util.UUID.randomUUID.
			return Func{F0: func() (table.Value, error) {
				var u [16]byte
				if _, err := rand.Read(u[:]); err != nil {
					return table.Null, err
				}
				u[6] = u[6]&0x0f | 0x40
				u[8] = u[8]&0x3f | 0x80
				var s [36]byte
				hex.Encode(s[0:8], u[0:4])
				s[8] = '-'
				hex.Encode(s[9:13], u[4:6])
				s[13] = '-'
				hex.Encode(s[14:18], u[6:8])
				s[18] = '-'
				hex.Encode(s[19:23], u[8:10])
				s[23] = '-'
				hex.Encode(s[24:], u[10:])
				return table.Str(string(s[:])), nil
			}}, nil
		},
	})
	r.Register("TRUNCATE", Overload{
		// Flink types TRUNCATE as ROUND (ROUND_FUNCTION_NULLABLE) and
		// truncates toward zero (SqlFunctionUtils.struncate).
		Sig:     "TRUNCATE(NUMERIC[, INT]) -> NUMERIC",
		BindLit: r.Overloads("ROUND")[0].BindLit,
		Impl: func(b *Bound) (Func, error) {
			root, res := b.Params[0].Root(), b.Result
			trunc := func(x table.Value, n int) (table.Value, error) {
				switch x.Kind() {
				case table.KindInt:
					if n >= 0 {
						return x, nil
					}
					d := truncDecimal(table.NewDecimal(x.AsInt(), 0), n)
					v, _ := d.Int64()
					return table.Int(wrapInt(root, v)), nil
				case table.KindFloat:
					f := x.AsFloat()
					if math.IsNaN(f) || math.IsInf(f, 0) {
						return x, nil
					}
					d, err := table.DecimalFromFloat(f)
					if err != nil {
						return x, nil
					}
					out := truncDecimal(d, n).Float64()
					if root == table.RootFloat {
						out = float64(float32(out))
					}
					return table.Float(out), nil
				}
				d, err := truncDecimal(x.AsDecimal(), n).ToType(res.Precision(), res.Scale())
				if err != nil {
					return table.Null, nil
				}
				return table.DecimalValue(d), nil
			}
			if len(b.Params) == 1 {
				return Func{F1: func(x table.Value) (table.Value, error) { return trunc(x, 0) }}, nil
			}
			return Func{F2: func(x, n table.Value) (table.Value, error) { return trunc(x, int(n.AsInt())) }}, nil
		},
	})
	strMap := table.MapType(table.StringType(), table.StringType()).NotNull()
	strToMap := func(b *Bound) (Func, error) {
		pats := [2]*regexp.Regexp{}
		for i, def := range []string{",", "="} {
			if len(b.Params) == 1 {
				pats[i] = regexp.MustCompile(regexp.QuoteMeta(def))
				continue
			}
			if v, ok := b.Const(i + 1); ok && !v.IsNull() {
				re, err := regexp.Compile(v.AsString())
				if err != nil {
					return Func{}, fmt.Errorf("invalid delimiter %q: %v", v.AsString(), err)
				}
				pats[i] = re
			}
		}
		// A delimiter from a column: the last pattern compiled is kept by
		// its text (per call site; a Func may run on several goroutines),
		// then the shared cache of compileRegex, so a delimiter that does
		// not change is not compiled again for every row.
		var last [2]atomic.Pointer[lastRegex]
		get := func(i int, vs []table.Value) (*regexp.Regexp, error) {
			if pats[i] != nil {
				return pats[i], nil
			}
			text := vs[i+1].AsString()
			if l := last[i].Load(); l != nil && l.text == text {
				return l.re, nil
			}
			re, err := compileRegex(text)
			if err != nil {
				return nil, fmt.Errorf("invalid delimiter %q: %v", text, err)
			}
			last[i].Store(&lastRegex{text: text, re: re})
			return re, nil
		}
		return Func{FN: func(vs []table.Value) (table.Value, error) {
			text := vs[0].AsString()
			if text == "" {
				return table.Map(nil, nil), nil
			}
			list, err := get(0, vs)
			if err != nil {
				return table.Null, err
			}
			kv, err := get(1, vs)
			if err != nil {
				return table.Null, err
			}
			var keys, vals []table.Value
			at := map[string]int{}
			for _, pair := range javaSplit(list, text, -1) {
				k, v := table.Str(pair), table.Null
				if p := javaSplit(kv, pair, 2); len(p) == 2 {
					k, v = table.Str(p[0]), table.Str(p[1])
				}
				if i, ok := at[k.AsString()]; ok {
					vals[i] = v
					continue
				}
				at[k.AsString()] = len(keys)
				keys, vals = append(keys, k), append(vals, v)
			}
			return table.Map(keys, vals), nil
		}}, nil
	}
	r.Register("STR_TO_MAP", Overload{
		Sig:  "STR_TO_MAP(STRING[, STRING listDelimiter, STRING keyValueDelimiter]) -> MAP<STRING, STRING>",
		Bind: Fixed(strMap, table.StringType()),
		Impl: strToMap,
	}, Overload{
		Sig:  "STR_TO_MAP(STRING, STRING, STRING) -> MAP<STRING, STRING>",
		Bind: Fixed(strMap, table.StringType(), table.StringType(), table.StringType()),
		Impl: strToMap,
	})
}

// lastRegex is a pattern compiled from a text.
type lastRegex struct {
	text string
	re   *regexp.Regexp
}

// javaSplit is Java's String.split(regex, limit): limit > 0 splits at most
// limit-1 times; limit < 0 keeps trailing empty strings; a zero-width match
// at the start makes no leading empty string; no match gives the input.
func javaSplit(re *regexp.Regexp, s string, limit int) []string {
	var out []string
	start := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if limit > 0 && len(out) == limit-1 {
			break
		}
		if m[1] == 0 { // zero-width match at the beginning
			continue
		}
		out = append(out, s[start:m[0]])
		start = m[1]
	}
	return append(out, s[start:])
}
