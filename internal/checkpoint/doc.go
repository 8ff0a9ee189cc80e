// Package checkpoint persists checkpoints and savepoints: the data model
// (Metadata, OperatorState, KeyedFile), the byte formats of the metadata
// file and of keyed state files, and Storage, where a checkpoint's files
// live (Local: a directory on a vfs.FS; S3: a bucket of AWS S3 or an
// S3-compatible store, through minio-go; Open picks one for a location).
//
// The byte layouts, the directory layout and the commit protocol are
// specified in docs/format/checkpoint.md; change both together.
//
// Every decoder of this package validates before it trusts: each length is
// checked against the bytes that remain before anything is allocated, every
// byte is covered by a CRC-32C, and a decoder never panics. Errors about
// bad bytes wrap ErrCorrupt.
//
// Concurrency: the encoders and decoders are pure functions. A Storage is
// safe for concurrent use, e.g. several subtasks writing their files of the
// same checkpoint at once.
//
// The package imports internal/vfs only of the module (and minio-go for
// S3), and never reads the wall clock (timestamps come from the caller).
package checkpoint
