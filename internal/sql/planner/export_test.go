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
