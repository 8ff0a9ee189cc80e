package base

import (
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// DefaultMaxParallelism is the default number of key groups of a job.
const DefaultMaxParallelism = 128

// HashKey hashes the serialized form of a key. The result must be the same in
// every process and every version, because key groups are persisted in
// snapshots.
func HashKey(key []byte) uint64 { return xxhash.Sum64(key) }

// KeyGroupOf maps a key hash to one of maxParallelism key groups.
func KeyGroupOf(hash uint64, maxParallelism int) int {
	return int(hash % uint64(maxParallelism))
}

// KeyGroupRange is the half-open range [Start, End) of key groups owned by a
// subtask.
type KeyGroupRange struct {
	Start, End int
}

// Contains reports whether kg is inside the range.
func (r KeyGroupRange) Contains(kg int) bool { return kg >= r.Start && kg < r.End }

// Len is the number of key groups in the range.
func (r KeyGroupRange) Len() int { return r.End - r.Start }

func (r KeyGroupRange) String() string { return fmt.Sprintf("[%d,%d)", r.Start, r.End) }

// RangeFor returns the key groups owned by subtask index of parallelism
// subtasks (Flink's contiguous assignment).
func RangeFor(maxParallelism, parallelism, index int) KeyGroupRange {
	start := (index*maxParallelism + parallelism - 1) / parallelism
	end := ((index+1)*maxParallelism + parallelism - 1) / parallelism
	return KeyGroupRange{Start: start, End: end}
}

// SubtaskFor returns the subtask index that owns key group kg.
func SubtaskFor(kg, maxParallelism, parallelism int) int {
	return kg * parallelism / maxParallelism
}
