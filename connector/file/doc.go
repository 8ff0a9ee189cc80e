// Package file is strom's connector for local files: JSON lines, CSV and raw
// lines, as a Source (bounded, or tailing in monitor mode) and a Sink (part
// files per subtask).
//
//	src := file.JSONLines[Event]("data/events-*.jsonl")
//	events := stream.FromSource[Event](env, src, wm, "events")
//	stream.SinkTo[Event](events, file.JSONLinesSink[Event]("out"), "out")
//
// # Source
//
// SourceOptions.Paths name files, directories or glob patterns; every file
// found when the job starts is one split, read by one subtask. A record is
// one line ('\n' or "\r\n"); for CSV a record may span lines inside a quoted
// field. Blank lines are skipped. The position of a reader is the byte offset
// after the last consumed line plus the line count (see position.go for the
// layout), so a reader reopened at a checkpointed position continues exactly
// after the last record it returned.
//
// Bad input (a line that does not parse, invalid UTF-8, a line longer than
// MaxLineBytes) stops the reader with a *LineError naming the file, line
// number and byte offset, or with OnError=skip is dropped and counted in
// Source.Skipped. Lines are never buffered beyond MaxLineBytes.
//
// With Monitor set the source is unbounded: each reader keeps tailing its
// file and returns records as complete lines are appended. The set of files
// is fixed when the job starts: discovering files created later needs dynamic
// split assignment, which the connector SPI does not have yet.
//
// # Sink
//
// Sink writes one part file per subtask into a directory
// (part-<subtask>-0.jsonl), or one file when the sink runs with parallelism
// 1. It is at-least-once and not synchronised with checkpoints: Flush writes
// buffered records to the file, Close also fsyncs it, and records replayed
// after a restore are appended again.
//
// TransactionalSink is exactly-once through two-phase commit
// (connector.Committer): writers stage hidden part files
// (.part-<subtask>-<token>-<seq>.inprogress) that roll by size and
// processing time, optionally in partition directories chosen per record;
// PreCommit closes and fsyncs them at a checkpoint barrier and returns a
// committable that lists them; Commit renames them to
// part-<subtask>-<checkpoint>-<n>.<ext> after the checkpoint completed, and
// AbortExcept deletes what a failed run staged and never committed. A job
// without checkpoints commits them at the end of a bounded input (the
// engine pre-commits and commits as at an end-of-input checkpoint whose id
// a fresh checkpoint directory would give); one that never ends needs
// checkpoints for its output to become visible.
// docs/format/file-sink.md describes the names, the committable layout and
// why a replayed checkpoint id cannot collide with committed files.
//
// # Concurrency
//
// Source and Sink values are safe for concurrent use (the engine opens
// readers and writers from several subtasks). A Reader or writer is used by
// one goroutine at a time.
package file
