// Package datagen is the 'datagen' SQL connector, Flink's DataGen: a
// source of rows made up in memory, each column random (numbers in a
// range, strings of hex digits, times before the job's processing time)
// or a sequence, bounded by 'number-of-rows' or by its shortest sequence,
// paced by 'rows-per-second'. The reference is docs/sql-datagen.md.
//
// Row g of a table (g counts from 0 over the whole table) is a pure
// function of the seed (strom's option 'seed', or one drawn per job
// start) and g: every column draws from its own SplitMix64 stream seeded
// by (seed, g, the column's name). The source has one split per subtask;
// a bounded table gives split i of k the rows [N*i/k, N*(i+1)/k), an
// unbounded one the rows i, i+k, i+2k, ... So the rows do not depend on
// the parallelism, a projection gives the values of the whole rows, and a
// split's position (its row count, with the seed, the layout and the
// table's length) is all a restore needs to continue exactly where it
// stopped, or to refuse a table that changed under it.
package datagen
