package planner

// CountPrefilterCalcRows makes the pre-filters of the jobs started from now
// on count the rows they hand to a Calc's function, and returns how many
// they have so far (reset to 0 by this call) and a function that stops the
// counting.
func CountPrefilterCalcRows() (rows func() int64, stop func()) {
	calcRows.Store(0)
	calcRowsCounted = true
	return calcRows.Load, func() { calcRowsCounted = false }
}

// UseRowPools says whether the pre-filters' Calcs of the jobs started from
// now on build their rows in arrays the receivers give back (rowpool.go;
// on by default), resets the count of arrays given back, and returns a
// function reading it.
func UseRowPools(on bool) (recycled func() int64) {
	h := &rowPoolTestHook{off: !on}
	rowPoolTest = h
	return h.recycled.Load
}

// NoRowPoolHook removes UseRowPools' hook: pools on, nothing counted (the
// production state).
func NoRowPoolHook() { rowPoolTest = nil }
