package planner

import "github.com/stromio/strom/table"

func setBenchIntKeys(fn *joinAggFn, at, bt []table.Type) { fn.setIntKeys(at, bt, []int{0}, []int{0}) }
