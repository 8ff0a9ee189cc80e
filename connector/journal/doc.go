// Package journal connects strom jobs to the embedded journal
// (github.com/stromio/strom/journal): a source over a topic and an
// exactly-once sink into a topic through journal transactions.
//
// The application opens the journal and passes it in; the job and other
// code of the same process may use it at the same time.
//
// # Source
//
// Source reads one split per partition; a split's position is the next
// offset to read, so a checkpoint restores every partition exactly where
// it was. Reads are ReadCommitted by default (records of open or aborted
// transactions are never returned). Readers return the records'
// timestamps (connector.Timestamped), so the engine keeps a watermark per
// partition; idleness is the engine's. Unbounded readers wait on the
// journal (connector.Notifier) instead of polling. A record that does not
// decode fails the job with a DecodeError (topic, partition, offset and
// the reason) unless SourceOptions.OnError says skip (counted) or dlq (the
// record goes to stream.DeadLetters, in the same checkpoint as the records
// around it). With CommitGroup, each completed checkpoint's offsets are
// stored for that consumer group (for lag; restores use the checkpoint).
//
// # Exactly-once sink
//
// Sink writes through journal transactions tied to checkpoints (the
// two-phase commit of connector.Committer):
//
//   - A writer begins a transaction when the first records of a checkpoint
//     interval are appended (batches of BatchRecords per partition), so an
//     idle interval costs nothing.
//   - PreCommit appends what is buffered, flushes the transaction
//     (Producer.Flush: durable, still invisible to ReadCommitted readers)
//     and returns a committable: the checkpoint id, the subtask and its
//     parallelism, and the transactions (name, producer id, epoch) handed
//     over and not known committed yet, this one included, as the SPI
//     asks (a failed checkpoint drops its committables).
//   - Commit calls journal.CommitTransaction for each: already committed
//     is a no-op; aborted, or fenced by a newer epoch of the name, is
//     ErrDataLost (those records are gone: loud, never skipped).
//   - AbortExcept re-initialises the pool names of the subtasks the kept
//     committables know of, except the kept ones, which aborts their open
//     transactions; each writer does the same for its own pool when it
//     opens. An open transaction left behind would hold every ReadCommitted
//     reader at its first offset.
//   - Close aborts the open (not pre-committed) transaction.
//
// Names. CommitTransaction identifies a transaction by (name, id, epoch)
// and only the latest epoch of a name can be committed, so every
// transaction runs under a fresh epoch (NewTransactionalProducer), which
// aborts the name's previous transaction if it is still open. A name
// therefore cannot be reused while a checkpoint may still commit its last
// transaction; and since the journal's producer registry is one small file
// rewritten on every change, names are not made per checkpoint but taken
// from a pool per subtask, <Prefix>-<subtask>-<k> for k < PoolSize (as
// Flink's Kafka sink does). A name is free when its last transaction is
// known committed (this Sink committed it), is listed neither by the
// latest committed checkpoint of the subtask (a restore commits that one
// again) nor by any later committable. In a steady state three names are
// busy: the open transaction, the one pre-committed and awaiting its
// checkpoint, and the one the latest completed checkpoint lists. When no
// name is free (about PoolSize-1 checkpoints are not committed: they fail,
// or commits lag) the writer fails with ErrPoolExhausted instead of
// aborting a transaction a checkpoint may still commit.
//
// Timeout. The journal aborts a transaction open longer than its timeout
// (SinkOptions.TransactionTimeout, default 15 minutes); a transaction is
// open from its first record until the checkpoint after it completes, so
// the timeout must exceed the checkpoint interval plus a restart. Given
// SinkOptions.CheckpointInterval (and RestartTime), NewSink checks that
// when the job is built and fails with a message naming the three
// figures, as the Kafka sink does; a transaction expired anyway makes its
// commit fail with ErrDataLost. The 'journal' SQL table sets the timeout
// with 'sink.transaction-timeout' and checks it against the job's
// checkpoint interval and restart delay (connector.TableContext), so an
// INSERT with a timeout too short fails at submit.
//
// Limits: a run that crashed before its first checkpoint completed at a
// higher parallelism than the next run leaves the open transactions of the
// subtasks the next run does not have until a run with that parallelism
// (or NewTransactionalProducer of those names) aborts them. The Rewinder
// capability (taking committed output back) is not offered: restoring an
// older savepoint into the same topic is at-least-once.
//
// # At-least-once sink
//
// With AtLeastOnce the writer appends plain batches (visible at once,
// durable in Durable mode) and flushes them at every checkpoint; a restore
// may write records again.
package journal
