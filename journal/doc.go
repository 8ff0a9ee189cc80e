// Package journal is strom's embedded durable log: Kafka's model (topics,
// partitions, segments, offsets, retention, consumer-group offsets) as a Go
// package that needs no outside service and imports nothing of the engine.
//
//	j, err := journal.Open("/var/lib/strom/journal", journal.Options{})
//	if err != nil { ... }
//	defer j.Close()
//	_ = j.CreateTopic("clicks", 4)
//	off, err := j.Append(ctx, "clicks", journal.AnyPartition,
//		journal.Record{Key: []byte("user-1"), Value: []byte(`{"page":"/"}`)})
//	msgs, err := j.Poll(ctx, "clicks", off.Partition, 0, journal.ReadOptions{MaxRecords: 100})
//
// Read returns messages the caller may keep; Scan passes them to a
// callback over reused buffers, several times faster for a consumer that
// copies only what it needs. OffsetForTime finds the first offset at or
// after a timestamp; CommitOffsets and GroupOffsets store where a consumer
// group is.
//
// # Model
//
// A topic has a fixed number of partitions; each partition is an ordered
// log of records addressed by offsets 0, 1, 2 ... Records have a key, a
// value, headers and a timestamp (milliseconds since the Unix epoch).
// Append writes its records as one batch to one partition: the batch is
// atomic, and its records get consecutive offsets. With AnyPartition the
// partition is xxhash64(key of the first record) modulo the partition
// count, or round robin for a nil key.
//
// # Durability
//
// In Durable mode (the default) Append returns only after the batch was
// fsynced; concurrent appends to one partition share one write and one
// fsync (group commit), and readers see only synced records. In Relaxed
// mode Append returns after the write and readers see it at once; the
// partition is fsynced every SyncInterval, and a power loss leaves a
// gap-free prefix of what was written. When an fsync fails the partition
// becomes read-only (the data that failed to reach the disk cannot be
// trusted, so retrying the fsync is not safe): every later Append fails with
// ErrReadOnly. In Durable mode the active segment is first cut back to its
// synced end, so that a reopen recovers the partition from what is on
// disk; in Relaxed mode (or when that cut fails) only a restart after a
// reboot is safe, and the partition enforces it: it durably writes a
// sync-failed marker with the Linux boot id (Options.BootID), and Open
// refuses the partition in the same boot (or where the boot cannot be
// told) with ErrNeedsReboot, unless Options.AcceptFailedSyncRisk; after a
// reboot Open rescans from the failed segment and removes the marker
// (docs/format/journal.md §5.1). Every topic.meta and every partition's
// log-start and marker are read before any partition is recovered, so a
// refusal, or one of them unreadable, damaged or newer, changes no file
// (a failure met later, in a partition's recovery, leaves the partitions
// recovered before it as any later Open would: §5). Where no boot
// id tells a reboot, Options.AssumeRebooted (after one) clears the
// marker. When the marker cannot be written the
// error says that nothing enforces the reboot. A failed write (EIO,
// ENOSPC, short write) fails the appends of that group commit and cuts
// the partial bytes off.
//
// AppendAsync is Append for a producer that keeps several batches in
// flight (as a Kafka producer with max.in.flight, or JetStream's
// PublishAsync): it hands the batch to the partition's writer goroutine
// (always: it never writes on the caller's goroutine) and returns a
// PendingAppend whose Wait gives the offsets once the batch is acked, with
// the same meaning of an ack as Append's. One goroutine's asynchronous
// batches to a partition get offsets in the order of its calls, and the
// batches queued while the writer syncs go into the next group commit
// together.
//
// # Recovery
//
// Open scans the active segment of every partition (unless a valid
// clean-shutdown marker says the files are as Close left them), checks
// each batch's length, magic, CRC-32C and offsets, and truncates the log at
// the first bad batch with a warning naming the byte (Truncations lists
// them). Indexes are checked and rebuilt when missing or wrong; orphan
// index and temporary files are removed. A bad batch in a sealed segment
// (or one a read meets) is damage, not a torn write: nothing is cut, the
// partition is quarantined (ErrQuarantined: reads before the damage work,
// the rest fails loudly) until an operator calls TruncatePartition. Verify
// checks a whole journal without changing it. The byte layout is in
// docs/format/journal.md.
//
// # Producers and transactions
//
// NewProducer gives a producer a durable id and a new epoch (fencing the
// previous instance of the same name); its appends carry a sequence per
// partition, and a retried batch is acked with its original offsets
// instead of being written twice (AppendSeq for explicit sequences).
// NewTransactionalProducer adds Begin, Commit and Abort across partitions
// and topics; readers with ReadOptions{Isolation: ReadCommitted} see only
// committed records, up to the last stable offset; Fetch returns the next
// offset past skipped ones. A commit decided before a crash is finished by
// Open; CommitTransaction commits a restored transaction idempotently (the
// two-phase-commit sink). A transaction open longer than
// Options.TransactionTimeout (default 60s; Producer.SetTransactionTimeout
// per producer) is aborted by the journal, which bumps the producer's epoch
// first: the old instance's Append and Commit fail with ErrProducerFenced,
// its Commit and CommitTransaction also with ErrTransactionAborted. The
// check runs on a ticker the Journal owns (Options.TransactionCheck,
// default 10s, stopped by Close) and on ExpireTransactions, never on
// reads; time is Options.Now. Retention drops the producer state wholly
// below the new log start (aborted transactions, idle producers).
// Layouts and rules: docs/format/journal.md §2.1, §6 to §9.
//
// # HTTP
//
// NewHandler serves a journal over HTTP with JSON bodies (Go 1.22 ServeMux
// patterns; details in docs/http-journal.md):
//
//	GET  /topics                                  topics, partitions, bounds
//	POST /topics/{topic}/records                  append (one durable Append per partition)
//	GET  /topics/{topic}/partitions/{p}/records   fetch: ?offset=N&max=M&isolation=read_committed
//	GET  /topics/{topic}/partitions/{p}/tail      Server-Sent Events from ?offset=N or Last-Event-ID
//
// Path parameters are validated ({topic} against ^[A-Za-z0-9._-]+$, {p} as
// a number), a produce body is limited (1 MiB by default, 413 above), a
// fetch is bounded (MaxRecords, MaxBytes), errors are {"error": "..."}
// without internals, and a tail long-polls (Poll) with heartbeats and ends
// with its client or HandlerOptions.Context. The handler does no
// authentication: the server mounts it behind its own (token, TLS, limits).
//
// # Concurrency
//
// A Journal is safe for concurrent use. Each partition's files are written
// by one goroutine at a time, under the partition's write lock: its writer
// goroutine (group commits of queued appends, relaxed-mode syncs, retention)
// or, on an idle partition (nothing queued, nothing being written), the
// goroutine of a synchronous Append, which then writes and fsyncs its own
// batch with no hand-off to the writer (the leader of a write group, as in
// LevelDB; appends arriving during its fsync queue for the writer goroutine
// and share the next one). Readers (Read, Poll, OffsetForTime, Bounds)
// never wait for it beyond a short mutex hold to copy the segment list;
// they read files concurrently with appends. Close stops the writer
// goroutines after a final sync and waits for them; appends still waiting
// then fail with ErrClosed. Messages returned by reads are the caller's:
// the journal keeps no reference to them.
package journal

// String names the durability mode.
func (d Durability) String() string {
	switch d {
	case Durable:
		return "durable"
	case Relaxed:
		return "relaxed"
	}
	return "Durability(?)"
}
