// Package state is the keyed state backend: a byte-level store organised by
// key group, so that a job's state can be split and merged when it is
// restored at another parallelism.
//
// Every entry is addressed by (table, key group, key, sub). The key is the
// serialized record key (plus namespace where the caller wants one); sub is a
// second level under the key: a window namespace for value state, the user
// key for map state, empty otherwise. Scanning the subs of one key is cheap.
//
// Concurrency: a backend belongs to one subtask and is used by its goroutine
// only. Slices returned by Get and passed to Scan callbacks are owned by the
// backend and valid until the next mutation; callers copy what they keep and
// never write into them (a pending copy-on-write snapshot may share them).
package state

import "github.com/stromio/strom/internal/base"

// Backend holds the keyed state of one operator in one subtask.
type Backend interface {
	// Table returns the named table, creating it on first use.
	Table(name string) Table
	// TableNames lists the tables in creation order.
	TableNames() []string
	// KeyGroups is the range of key groups this backend holds.
	KeyGroups() base.KeyGroupRange
	// SizeBytes is an estimate of the bytes held (keys and values).
	SizeBytes() int64
}

// Table is one named state of an operator.
type Table interface {
	// Get returns the value stored under (kg, key, sub).
	Get(kg int, key, sub []byte) ([]byte, bool)
	// Put stores value under (kg, key, sub); the backend copies both.
	Put(kg int, key, sub, value []byte)
	// Append appends value to the bytes stored under (kg, key, sub), creating
	// the entry when absent (list state adds in amortised O(1)).
	Append(kg int, key, sub, value []byte)
	// Delete removes (kg, key, sub); it is a no-op when absent.
	Delete(kg int, key, sub []byte)
	// DeleteKey removes every sub of key.
	DeleteKey(kg int, key []byte)
	// ScanKey calls fn for every sub of key until fn returns false.
	// fn must not mutate the table.
	ScanKey(kg int, key []byte, fn func(sub, value []byte) bool)
	// ScanGroup calls fn for every entry of key group kg until fn returns
	// false. fn must not mutate the table.
	ScanGroup(kg int, fn func(key, sub, value []byte) bool)
	// GroupKeys appends the keys of key group kg to dst: a snapshot that
	// stays valid across later mutations (incremental cleanup walks it).
	GroupKeys(kg int, dst []string) []string
	// Len is the number of entries.
	Len() int
}
