package expr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stromio/strom/table"
)

// Collection values: the constructors ARRAY[...], MAP[...] and ROW(...),
// element access arr[i] and map[key], and Flink's collection functions
// (CARDINALITY, ELEMENT, ARRAY_*, MAP_*), with the semantics of Flink's
// built-in functions (null handling as their documentation and
// BuiltInFunctionDefinitions say; element equality is table.Value.Equal over
// values cast to the common element type, so NULL elements equal each other).
//
// The constructors and element access are internal names ($ARRAY, $MAP,
// $ROW, $ITEM) that the planner binds the syntax to; Call.String prints them
// as written.

// Internal function names of the collection syntax.
const (
	ArrayCtor = "$ARRAY"
	MapCtor   = "$MAP"
	RowCtor   = "$ROW"
	ItemFunc  = "$ITEM"
)

// collString prints the collection syntax of a call (ok false for other
// calls).
func collString(e *Call) (string, bool) {
	switch e.Name {
	case ArrayCtor:
		return "ARRAY[" + joinExprs(e.Args) + "]", true
	case MapCtor:
		return "MAP[" + joinExprs(e.Args) + "]", true
	case RowCtor:
		return "ROW(" + joinExprs(e.Args) + ")", true
	case ItemFunc:
		if len(e.Args) == 2 {
			return e.Args[0].String() + "[" + e.Args[1].String() + "]", true
		}
	}
	return "", false
}

func isArray(t table.Type) bool { return t.Root() == table.RootArray }
func isMap(t table.Type) bool   { return t.Root() == table.RootMap }

// elemOf is the element type of an ARRAY (t itself for the NULL type).
func elemOf(t table.Type) table.Type { return t.Elem() }

// commonOf is the common type of ts (NULLs take the others' type); ok is
// false when there is none or every type is NULL.
func commonOf(ts []table.Type) (table.Type, bool) {
	ct, ok := table.CommonType(ts...)
	if !ok || ct.Root() == table.RootNull {
		return table.Type{}, false
	}
	return ct.WithTimeAttr(table.NoTimeAttr), true
}

// repeatType is n copies of t.
func repeatType(t table.Type, n int) []table.Type {
	out := make([]table.Type, n)
	for i := range out {
		out[i] = t
	}
	return out
}

// arrayArg reports whether t may be an ARRAY argument (an ARRAY or the NULL
// type).
func arrayArg(t table.Type) bool { return isArray(t) || t.Root() == table.RootNull }

// contains reports whether vs has v (NULL matches NULL).
func contains(vs []table.Value, v table.Value) bool {
	for _, x := range vs {
		if x.Equal(v) {
			return true
		}
	}
	return false
}

// valueSet is a list of distinct values (by table.Value.Equal) in the order
// they were added, with the position of each. Up to setLinear values it is
// searched linearly; above, through a hash index on table.Value.Hash (equal
// values hash alike: DECIMALs by their normalised value, floats with -0 as
// 0, NULL as itself), Equal confirming a match, so de-duplicating n values
// is linear, not quadratic (RELIABILITY S8).
type valueSet struct {
	vs  []table.Value
	idx map[uint64][]int32 // nil while len(vs) <= setLinear
	// probes counts the Equal calls (tests check it stays linear).
	probes int
}

const setLinear = 16

func newValueSet(n int) *valueSet { return &valueSet{vs: make([]table.Value, 0, n)} }

// find returns the position of v, -1 when absent.
func (s *valueSet) find(v table.Value) int {
	if s.idx == nil {
		for i, x := range s.vs {
			s.probes++
			if x.Equal(v) {
				return i
			}
		}
		return -1
	}
	for _, i := range s.idx[v.Hash()] {
		s.probes++
		if s.vs[i].Equal(v) {
			return int(i)
		}
	}
	return -1
}

// add appends v (not in s yet) and returns its position.
func (s *valueSet) add(v table.Value) int {
	i := len(s.vs)
	s.vs = append(s.vs, v)
	switch {
	case s.idx != nil:
		h := v.Hash()
		s.idx[h] = append(s.idx[h], int32(i))
	case len(s.vs) > setLinear:
		s.idx = make(map[uint64][]int32, 2*len(s.vs))
		for j, x := range s.vs {
			h := x.Hash()
			s.idx[h] = append(s.idx[h], int32(j))
		}
	}
	return i
}

// addAll adds the elements of vs that s does not have yet.
func (s *valueSet) addAll(vs []table.Value) {
	for _, v := range vs {
		if s.find(v) < 0 {
			s.add(v)
		}
	}
}

func registerCollections(r *Registry) {
	// ARRAY[e1, ...]: elements cast to their common type; the array is
	// never NULL, its elements are nullable when one of them is.
	r.Register(ArrayCtor, Overload{
		Sig:       "ARRAY[T, ...] -> ARRAY<T>",
		NonStrict: true,
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			ct, ok := commonOf(args)
			if len(args) == 0 || !ok {
				return nil, table.Type{}, false
			}
			return repeatType(ct, len(args)), table.ArrayType(ct).NotNull(), true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(vs []table.Value) (table.Value, error) { return table.Array(vs), nil }}, nil
		},
	})
	// MAP[k1, v1, ...]: keys and values cast to their common types; a key
	// given twice keeps its last value (at the place of its first).
	r.Register(MapCtor, Overload{
		Sig:       "MAP[K, V, ...] -> MAP<K, V>",
		NonStrict: true,
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) == 0 || len(args)%2 != 0 {
				return nil, table.Type{}, false
			}
			var ks, vs []table.Type
			for i := 0; i < len(args); i += 2 {
				ks, vs = append(ks, args[i]), append(vs, args[i+1])
			}
			kt, ok1 := commonOf(ks)
			vt, ok2 := commonOf(vs)
			if !ok1 || !ok2 {
				return nil, table.Type{}, false
			}
			params := make([]table.Type, len(args))
			for i := range params {
				params[i] = kt
				if i%2 == 1 {
					params[i] = vt
				}
			}
			return params, table.MapType(kt, vt).NotNull(), true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(args []table.Value) (table.Value, error) {
				n := len(args) / 2
				ks := make([]table.Value, 0, n)
				vs := make([]table.Value, 0, n)
				for i := 0; i+1 < len(args); i += 2 {
					ks, vs = append(ks, args[i]), append(vs, args[i+1])
				}
				keys := newValueSet(n)
				vals := putEntries(keys, make([]table.Value, 0, n), ks, vs)
				return table.Map(keys.vs, vals), nil
			}}, nil
		},
	})
	// ROW(e1, ...) and (e1, e2, ...): fields EXPR$0, EXPR$1, ... (Calcite's
	// names of a row constructor's fields).
	r.Register(RowCtor, Overload{
		Sig:       "ROW(T1, ...) -> ROW<EXPR$0 T1, ...>",
		NonStrict: true,
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) == 0 {
				return nil, table.Type{}, false
			}
			fs := make([]table.Field, len(args))
			params := make([]table.Type, len(args))
			for i, a := range args {
				if a.Root() == table.RootNull {
					return nil, table.Type{}, false
				}
				a = a.WithTimeAttr(table.NoTimeAttr)
				params[i] = a
				fs[i] = table.Field{Name: fmt.Sprintf("EXPR$%d", i), Type: a}
			}
			return params, table.RowType(fs...).NotNull(), true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(vs []table.Value) (table.Value, error) { return table.RowValue(vs), nil }}, nil
		},
	})
	// arr[i] (1-based; NULL outside 1..CARDINALITY) and map[key] (NULL
	// for a missing key), Flink's ITEM.
	r.Register(ItemFunc, Overload{
		Sig: "ARRAY<T>[INT] -> T; MAP<K, V>[K] -> V",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 2 {
				return nil, table.Type{}, false
			}
			switch {
			case isArray(args[0]) && isInt(args[1]):
				return []table.Type{args[0], nullTo(args[1], table.IntType())}, elemOf(args[0]).AsNullable(), true
			case isMap(args[0]):
				mt, kt, ok := mapAndKey(args[0], args[1])
				if !ok {
					return nil, table.Type{}, false
				}
				return []table.Type{mt, kt}, args[0].ValueType().AsNullable(), true
			}
			return nil, table.Type{}, false
		},
		Impl: func(b *Bound) (Func, error) {
			if isMap(b.Params[0]) {
				return Func{F2: func(m, k table.Value) (table.Value, error) {
					keys, vals := m.MapEntries()
					for i, x := range keys {
						if x.Equal(k) {
							return vals[i], nil
						}
					}
					return table.Null, nil
				}}, nil
			}
			return Func{F2: func(a, i table.Value) (table.Value, error) {
				es := a.Elems()
				if n := i.AsInt(); n >= 1 && n <= int64(len(es)) {
					return es[n-1], nil
				}
				return table.Null, nil
			}}, nil
		},
	})
	r.Register("CARDINALITY", Overload{
		Sig: "CARDINALITY(ARRAY) -> INT; CARDINALITY(MAP) -> INT",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 1 || !isArray(args[0]) && !isMap(args[0]) {
				return nil, table.Type{}, false
			}
			return args, tInt, true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(a table.Value) (table.Value, error) {
				if a.Kind() == table.KindMap {
					k, _ := a.MapEntries()
					return table.Int(int64(len(k))), nil
				}
				return table.Int(int64(len(a.Elems()))), nil
			}}, nil
		},
	})
	// ELEMENT: the sole element of an array, NULL for an empty one, an
	// error for more than one (Flink's ELEMENT).
	r.Register("ELEMENT", Overload{
		Sig:  "ELEMENT(ARRAY<T>) -> T",
		Bind: arrayTo(func(a table.Type) table.Type { return elemOf(a).AsNullable() }),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(a table.Value) (table.Value, error) {
				switch es := a.Elems(); len(es) {
				case 0:
					return table.Null, nil
				case 1:
					return es[0], nil
				default:
					return table.Null, fmt.Errorf("ELEMENT takes an array of at most one element, this one has %d", len(es))
				}
			}}, nil
		},
	})
	// ARRAY_CONTAINS(arr, x): NULL for a NULL array; a NULL x finds a NULL
	// element.
	r.Register("ARRAY_CONTAINS", Overload{
		Sig:       "ARRAY_CONTAINS(ARRAY<T>, T) -> BOOLEAN",
		NonStrict: true,
		Bind:      arrayAndElem(func(a table.Type) table.Type { return tBool.WithNullable(a.Nullable()) }),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(a, x table.Value) (table.Value, error) {
				if a.IsNull() {
					return table.Null, nil
				}
				return table.Bool(contains(a.Elems(), x)), nil
			}}, nil
		},
	})
	// ARRAY_POSITION(arr, x): the 1-based position of x's first
	// occurrence, 0 when absent, NULL when an argument is NULL.
	r.Register("ARRAY_POSITION", Overload{
		Sig:  "ARRAY_POSITION(ARRAY<T>, T) -> INT",
		Bind: arrayAndElem(func(table.Type) table.Type { return tInt }),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(a, x table.Value) (table.Value, error) {
				for i, e := range a.Elems() {
					if e.Equal(x) {
						return table.Int(int64(i + 1)), nil
					}
				}
				return table.Int(0), nil
			}}, nil
		},
	})
	// ARRAY_REMOVE(arr, x): arr without the elements equal to x (a NULL x
	// removes the NULLs); NULL for a NULL array.
	r.Register("ARRAY_REMOVE", Overload{
		Sig:       "ARRAY_REMOVE(ARRAY<T>, T) -> ARRAY<T>",
		NonStrict: true,
		Bind:      arrayAndElem(func(a table.Type) table.Type { return a }),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(a, x table.Value) (table.Value, error) {
				if a.IsNull() {
					return table.Null, nil
				}
				out := []table.Value{}
				for _, e := range a.Elems() {
					if !e.Equal(x) {
						out = append(out, e)
					}
				}
				return table.Array(out), nil
			}}, nil
		},
	})
	// ARRAY_APPEND(arr, x) and ARRAY_PREPEND(x, arr) (Flink 1.19): NULL for
	// a NULL array; x may be NULL.
	r.Register("ARRAY_APPEND", Overload{
		Sig:       "ARRAY_APPEND(ARRAY<T>, T) -> ARRAY<T>",
		NonStrict: true,
		Bind:      arrayAndElemWiden(false),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(a, x table.Value) (table.Value, error) {
				if a.IsNull() {
					return table.Null, nil
				}
				es := a.Elems()
				return table.Array(append(append(make([]table.Value, 0, len(es)+1), es...), x)), nil
			}}, nil
		},
	})
	r.Register("ARRAY_PREPEND", Overload{
		Sig:       "ARRAY_PREPEND(T, ARRAY<T>) -> ARRAY<T>",
		NonStrict: true,
		Bind:      arrayAndElemWiden(true),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(x, a table.Value) (table.Value, error) {
				if a.IsNull() {
					return table.Null, nil
				}
				es := a.Elems()
				return table.Array(append(append(make([]table.Value, 0, len(es)+1), x), es...)), nil
			}}, nil
		},
	})
	r.Register("ARRAY_DISTINCT", Overload{
		Sig:  "ARRAY_DISTINCT(ARRAY<T>) -> ARRAY<T>",
		Bind: arrayTo(func(a table.Type) table.Type { return a.NotNull() }),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(a table.Value) (table.Value, error) {
				set := newValueSet(0)
				set.addAll(a.Elems())
				return table.Array(set.vs), nil
			}}, nil
		},
	})
	r.Register("ARRAY_REVERSE", Overload{
		Sig:  "ARRAY_REVERSE(ARRAY<T>) -> ARRAY<T>",
		Bind: arrayTo(func(a table.Type) table.Type { return a.NotNull() }),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(a table.Value) (table.Value, error) {
				es := a.Elems()
				out := make([]table.Value, len(es))
				for i, e := range es {
					out[len(es)-1-i] = e
				}
				return table.Array(out), nil
			}}, nil
		},
	})
	// ARRAY_MAX / ARRAY_MIN: NULL elements skipped; NULL for an empty array
	// or one of NULLs only.
	for _, name := range []string{"ARRAY_MAX", "ARRAY_MIN"} {
		sign := 1
		if name == "ARRAY_MIN" {
			sign = -1
		}
		r.Register(name, Overload{
			Sig: name + "(ARRAY<T>) -> T",
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != 1 || !isArray(args[0]) || !orderable(elemOf(args[0])) {
					return nil, table.Type{}, false
				}
				return args, elemOf(args[0]).AsNullable(), true
			},
			Impl: func(*Bound) (Func, error) {
				return Func{F1: func(a table.Value) (table.Value, error) {
					best := table.Null
					for _, e := range a.Elems() {
						if !e.IsNull() && (best.IsNull() || sign*table.Compare(e, best) > 0) {
							best = e
						}
					}
					return best, nil
				}}, nil
			},
		})
	}
	// ARRAY_SLICE(arr, start[, end]): elements start..end, inclusive,
	// 1-based, negative offsets counted from the end, 0 as 1, end defaults
	// to the last; empty when start is after end (Flink's
	// ArraySliceFunction).
	sliceImpl := func(*Bound) (Func, error) {
		return Func{FN: func(args []table.Value) (table.Value, error) {
			es := args[0].Elems()
			n := int64(len(es))
			if n == 0 {
				return args[0], nil
			}
			start, end := args[1].AsInt(), n
			if len(args) > 2 {
				end = args[2].AsInt()
			}
			if start < 0 {
				start += n + 1
			}
			if end < 0 {
				end += n + 1
			}
			start = max(start, 1)
			if end == 0 {
				end = 1
			}
			end = min(end, n)
			if end < start {
				return table.Array([]table.Value{}), nil
			}
			return table.Array(es[start-1 : end]), nil
		}}, nil
	}
	for _, arity := range []int{2, 3} {
		sig := "ARRAY_SLICE(ARRAY<T>, INT) -> ARRAY<T>"
		if arity == 3 {
			sig = "ARRAY_SLICE(ARRAY<T>, INT, INT) -> ARRAY<T>"
		}
		r.Register("ARRAY_SLICE", Overload{
			Sig: sig,
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != arity || !isArray(args[0]) {
					return nil, table.Type{}, false
				}
				params := []table.Type{args[0]}
				for _, a := range args[1:] {
					if !isInt(a) {
						return nil, table.Type{}, false
					}
					params = append(params, tInt)
				}
				return params, args[0].NotNull(), true
			},
			Impl: sliceImpl,
		})
	}
	// ARRAY_CONCAT(a1, ...): NULL when an array is NULL. ARRAY_UNION(a, b):
	// the distinct elements of a then b.
	r.Register("ARRAY_CONCAT", Overload{
		Sig:  "ARRAY_CONCAT(ARRAY<T>, ...) -> ARRAY<T>",
		Bind: arraysCommon(-1),
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(args []table.Value) (table.Value, error) {
				out := []table.Value{}
				for _, a := range args {
					out = append(out, a.Elems()...)
				}
				return table.Array(out), nil
			}}, nil
		},
	})
	r.Register("ARRAY_UNION", Overload{
		Sig:  "ARRAY_UNION(ARRAY<T>, ARRAY<T>) -> ARRAY<T>",
		Bind: arraysCommon(2),
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(a, b table.Value) (table.Value, error) {
				set := newValueSet(0)
				set.addAll(a.Elems())
				set.addAll(b.Elems())
				return table.Array(set.vs), nil
			}}, nil
		},
	})
	// ARRAY_EXCEPT(a, b) / ARRAY_INTERSECT(a, b) (Flink 1.20): the distinct
	// elements of a that are not (are) in b, in a's order; a NULL element
	// is a value like any other (NULL matches NULL); NULL when an array is
	// NULL.
	for _, except := range []bool{true, false} {
		name := "ARRAY_INTERSECT"
		if except {
			name = "ARRAY_EXCEPT"
		}
		r.Register(name, Overload{
			Sig:  name + "(ARRAY<T>, ARRAY<T>) -> ARRAY<T>",
			Bind: arraysCommon(2),
			Impl: func(*Bound) (Func, error) {
				return Func{F2: func(a, b table.Value) (table.Value, error) {
					other := newValueSet(0)
					other.addAll(b.Elems())
					out := newValueSet(0)
					for _, e := range a.Elems() {
						if (other.find(e) < 0) == except && out.find(e) < 0 {
							out.add(e)
						}
					}
					return table.Array(out.vs), nil
				}}, nil
			},
		})
	}
	// ARRAY_JOIN(arr, delimiter[, nullReplacement]): NULL elements left out
	// unless replaced; NULL when an argument is NULL.
	for _, arity := range []int{2, 3} {
		sig := "ARRAY_JOIN(ARRAY<STRING>, STRING) -> STRING"
		if arity == 3 {
			sig = "ARRAY_JOIN(ARRAY<STRING>, STRING, STRING) -> STRING"
		}
		r.Register("ARRAY_JOIN", Overload{
			Sig: sig,
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != arity || !isArray(args[0]) || !isStr(elemOf(args[0])) {
					return nil, table.Type{}, false
				}
				params := []table.Type{args[0]}
				for _, a := range args[1:] {
					if !isStr(a) {
						return nil, table.Type{}, false
					}
					params = append(params, tString)
				}
				return params, tString, true
			},
			Impl: func(*Bound) (Func, error) {
				return Func{FN: func(args []table.Value) (table.Value, error) {
					var b strings.Builder
					first := true
					for _, e := range args[0].Elems() {
						s := e.AsString()
						if e.IsNull() {
							if len(args) < 3 {
								continue
							}
							s = args[2].AsString()
						}
						if !first {
							b.WriteString(args[1].AsString())
						}
						first = false
						b.WriteString(s)
					}
					return table.Str(b.String()), nil
				}}, nil
			},
		})
	}
	// ARRAY_SORT(arr[, ascending[, nullsFirst]]): ascending with NULLs
	// first by default; descending puts NULLs last unless nullsFirst says
	// otherwise; NULL when an argument is NULL (Flink 1.20).
	for _, arity := range []int{1, 2, 3} {
		r.Register("ARRAY_SORT", Overload{
			Sig: [...]string{1: "ARRAY_SORT(ARRAY<T>) -> ARRAY<T>", 2: "ARRAY_SORT(ARRAY<T>, BOOLEAN) -> ARRAY<T>",
				3: "ARRAY_SORT(ARRAY<T>, BOOLEAN, BOOLEAN) -> ARRAY<T>"}[arity],
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != arity || !isArray(args[0]) || !orderable(elemOf(args[0])) {
					return nil, table.Type{}, false
				}
				params := []table.Type{args[0]}
				for _, a := range args[1:] {
					if a.Root() != table.RootBoolean && a.Root() != table.RootNull {
						return nil, table.Type{}, false
					}
					params = append(params, tBool)
				}
				return params, args[0].NotNull(), true
			},
			Impl: func(*Bound) (Func, error) {
				return Func{FN: func(args []table.Value) (table.Value, error) {
					asc := len(args) < 2 || args[1].AsBool()
					nullsFirst := asc
					if len(args) > 2 {
						nullsFirst = args[2].AsBool()
					}
					out := append([]table.Value{}, args[0].Elems()...)
					slices.SortStableFunc(out, func(a, b table.Value) int {
						switch {
						case a.IsNull() && b.IsNull():
							return 0
						case a.IsNull() != b.IsNull():
							if a.IsNull() == nullsFirst {
								return -1
							}
							return 1
						}
						if asc {
							return table.Compare(a, b)
						}
						return table.Compare(b, a)
					})
					return table.Array(out), nil
				}}, nil
			},
		})
	}
	// MAP_UNION(m1, ...): the entries of every map, a later map's value
	// winning; NULL when a map is NULL. MAP_FROM_ARRAYS(keys, values): an
	// error when the lengths differ. A repeated key keeps its last value
	// (as MAP[...]: FLINK-25699).
	r.Register("MAP_UNION", Overload{
		Sig: "MAP_UNION(MAP<K, V>, ...) -> MAP<K, V>",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) == 0 {
				return nil, table.Type{}, false
			}
			for _, a := range args {
				if !isMap(a) {
					return nil, table.Type{}, false
				}
			}
			mt, ok := commonOf(args)
			if !ok {
				return nil, table.Type{}, false
			}
			params := make([]table.Type, len(args))
			for i, a := range args {
				params[i] = mt.WithNullable(a.Nullable())
			}
			return params, mt.NotNull(), true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{FN: func(args []table.Value) (table.Value, error) {
				keys := newValueSet(0)
				var vals []table.Value
				for _, m := range args {
					ks, vs := m.MapEntries()
					vals = putEntries(keys, vals, ks, vs)
				}
				return table.Map(keys.vs, vals), nil
			}}, nil
		},
	})
	r.Register("MAP_FROM_ARRAYS", Overload{
		Sig: "MAP_FROM_ARRAYS(ARRAY<K>, ARRAY<V>) -> MAP<K, V>",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 2 || !isArray(args[0]) || !isArray(args[1]) {
				return nil, table.Type{}, false
			}
			return args, table.MapType(elemOf(args[0]), elemOf(args[1])).NotNull(), true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{F2: func(k, v table.Value) (table.Value, error) {
				ks, vs := k.Elems(), v.Elems()
				if len(ks) != len(vs) {
					return table.Null, fmt.Errorf("MAP_FROM_ARRAYS takes arrays of the same length, not %d keys and %d values", len(ks), len(vs))
				}
				keys := newValueSet(len(ks))
				vals := putEntries(keys, make([]table.Value, 0, len(ks)), ks, vs)
				return table.Map(keys.vs, vals), nil
			}}, nil
		},
	})
	// MAP_FROM_ENTRIES(ARRAY<ROW<k, v>>) (Flink 1.20): the map of the
	// rows' key and value fields, in the order of the keys' first
	// occurrence; a repeated key keeps its last value (Flink's default
	// LAST_WIN map key policy); a NULL row makes the result NULL; a NULL key
	// is an error; NULL for a NULL array.
	r.Register("MAP_FROM_ENTRIES", Overload{
		Sig: "MAP_FROM_ENTRIES(ARRAY<ROW<K, V>>) -> MAP<K, V>",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 1 || !isArray(args[0]) {
				return nil, table.Type{}, false
			}
			et := elemOf(args[0])
			if et.Root() != table.RootRow || len(et.Fields()) != 2 {
				return nil, table.Type{}, false
			}
			fs := et.Fields()
			kt := fs[0].Type.WithTimeAttr(table.NoTimeAttr)
			vt := fs[1].Type.WithTimeAttr(table.NoTimeAttr)
			return args, table.MapType(kt, vt).WithNullable(et.Nullable()), true
		},
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(a table.Value) (table.Value, error) {
				es := a.Elems()
				keys := newValueSet(len(es))
				vals := make([]table.Value, 0, len(es))
				for i, e := range es {
					if e.IsNull() {
						return table.Null, nil
					}
					kv := e.Elems()
					if kv[0].IsNull() {
						return table.Null, fmt.Errorf("the key of entry %d is NULL (a map key cannot be NULL)", i+1)
					}
					vals = putEntries(keys, vals, kv[:1], kv[1:2])
				}
				return table.Map(keys.vs, vals), nil
			}}, nil
		},
	})
	// MAP_KEYS, MAP_VALUES, MAP_ENTRIES (ROW<key, value>), in the map's
	// order.
	mapFn := func(name string, res func(m table.Type) table.Type, f func(k, v table.Value) table.Value) {
		r.Register(name, Overload{
			Sig: name + "(MAP<K, V>) -> " + res(table.MapType(table.NullType(), table.NullType())).String(),
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != 1 || !isMap(args[0]) {
					return nil, table.Type{}, false
				}
				return args, res(args[0]).NotNull(), true
			},
			Impl: func(*Bound) (Func, error) {
				return Func{F1: func(m table.Value) (table.Value, error) {
					keys, vals := m.MapEntries()
					out := make([]table.Value, len(keys))
					for i := range keys {
						out[i] = f(keys[i], vals[i])
					}
					return table.Array(out), nil
				}}, nil
			},
		})
	}
	mapFn("MAP_KEYS", func(m table.Type) table.Type { return table.ArrayType(m.Elem()) },
		func(k, _ table.Value) table.Value { return k })
	mapFn("MAP_VALUES", func(m table.Type) table.Type { return table.ArrayType(m.ValueType()) },
		func(_, v table.Value) table.Value { return v })
	mapFn("MAP_ENTRIES", func(m table.Type) table.Type {
		return table.ArrayType(table.RowType(table.Field{Name: "key", Type: m.Elem()}, table.Field{Name: "value", Type: m.ValueType()}).NotNull())
	}, func(k, v table.Value) table.Value { return table.RowValue([]table.Value{k, v}) })
}

// putEntries adds the entries ks, vs to the map of keys and vals (vals[i]
// the value of keys.vs[i]) and returns vals: a key it has takes the new
// value in its place.
func putEntries(keys *valueSet, vals, ks, vs []table.Value) []table.Value {
	for i, k := range ks {
		if j := keys.find(k); j >= 0 {
			vals[j] = vs[i]
			continue
		}
		keys.add(k)
		vals = append(vals, vs[i])
	}
	return vals
}

// orderable reports whether values of t compare (ARRAY_MAX, ARRAY_MIN).
func orderable(t table.Type) bool {
	switch t.Root() {
	case table.RootArray, table.RootMap, table.RootRow, table.RootNull:
		return false
	}
	return true
}

// arrayTo binds f(ARRAY) -> res(arrayType).
func arrayTo(res func(table.Type) table.Type) func([]table.Type) ([]table.Type, table.Type, bool) {
	return func(args []table.Type) ([]table.Type, table.Type, bool) {
		if len(args) != 1 || !isArray(args[0]) {
			return nil, table.Type{}, false
		}
		return args, res(args[0]), true
	}
}

// arrayAndElem binds f(ARRAY<T>, U) -> res(ARRAY<C>), C the common type of T
// and U: the element is cast to C, and the array too when C is wider than T
// (ARRAY_CONTAINS(ARRAY[1.5], 2) compares DECIMALs).
func arrayAndElem(res func(table.Type) table.Type) func([]table.Type) ([]table.Type, table.Type, bool) {
	return func(args []table.Type) ([]table.Type, table.Type, bool) {
		if len(args) != 2 || !isArray(args[0]) {
			return nil, table.Type{}, false
		}
		et := elemOf(args[0])
		ct, ok := table.CommonType(et, args[1])
		if !ok || ct.Root() == table.RootNull {
			return nil, table.Type{}, false
		}
		ct = ct.WithTimeAttr(table.NoTimeAttr)
		at := table.ArrayType(ct.WithNullable(et.Nullable())).WithNullable(args[0].Nullable())
		if ct.EqualIgnoringNull(et) {
			at = args[0] // no cast of the array
		}
		return []table.Type{at, ct.AsNullable()}, res(at), true
	}
}

// mapAndKey is the map and key types of m[key] for a MAP<K, V> m and a key of
// type U: both over the common type C of K and U, the map's keys cast when C
// is wider than K (MAP[1, 'a'][CAST(1 AS BIGINT)] compares BIGINTs,
// MAP[1, 'a'][1.0] DECIMALs), so Value.Equal, which is kind-strict, never
// sees an INT against a DECIMAL.
func mapAndKey(m, u table.Type) (table.Type, table.Type, bool) {
	kt := m.Elem()
	if u.Root() == table.RootNull {
		return m, kt.AsNullable(), true
	}
	ct, ok := table.CommonType(kt, u)
	if !ok || ct.Root() == table.RootNull {
		return table.Type{}, table.Type{}, false
	}
	ct = ct.WithTimeAttr(table.NoTimeAttr)
	if ct.EqualIgnoringNull(kt) {
		return m, ct.AsNullable(), true // no cast of the map
	}
	return table.MapType(ct.WithNullable(kt.Nullable()), m.ValueType()).WithNullable(m.Nullable()), ct.AsNullable(), true
}

// arrayAndElemWiden binds f(ARRAY<T>, U) (prepend: f(U, ARRAY<T>)) with the
// common type of T and U as the element type of the result.
func arrayAndElemWiden(prepend bool) func([]table.Type) ([]table.Type, table.Type, bool) {
	return func(args []table.Type) ([]table.Type, table.Type, bool) {
		if len(args) != 2 {
			return nil, table.Type{}, false
		}
		ai, xi := 0, 1
		if prepend {
			ai, xi = 1, 0
		}
		if !isArray(args[ai]) {
			return nil, table.Type{}, false
		}
		et, ok := table.CommonType(elemOf(args[ai]), args[xi])
		if !ok {
			return nil, table.Type{}, false
		}
		params := make([]table.Type, 2)
		params[ai] = table.ArrayType(et).WithNullable(args[ai].Nullable())
		params[xi] = et
		return params, table.ArrayType(et).WithNullable(args[ai].Nullable()), true
	}
}

// arraysCommon binds f(ARRAY, ...) (n arrays; -1: at least one) with the
// arrays cast to their common type.
func arraysCommon(n int) func([]table.Type) ([]table.Type, table.Type, bool) {
	return func(args []table.Type) ([]table.Type, table.Type, bool) {
		if len(args) == 0 || n >= 0 && len(args) != n {
			return nil, table.Type{}, false
		}
		var es []table.Type
		for _, a := range args {
			if !arrayArg(a) {
				return nil, table.Type{}, false
			}
			if isArray(a) {
				es = append(es, elemOf(a))
			}
		}
		et, ok := commonOf(es)
		if !ok {
			return nil, table.Type{}, false
		}
		params := make([]table.Type, len(args))
		for i, a := range args {
			params[i] = table.ArrayType(et).WithNullable(a.Nullable())
		}
		return params, table.ArrayType(et).NotNull(), true
	}
}
