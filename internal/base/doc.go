// Package base is the leaf vocabulary of strom: key groups, timestamps, the
// injectable clock and error classes. It imports nothing of the module.
//
// Concurrency: everything here is either immutable or documents its own
// locking (ManualClock is safe for concurrent use).
package base
