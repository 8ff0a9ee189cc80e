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
// the reason); skip or dead-letter policies are not there yet.
package journal
