package journal

// txnState is the transaction state of a producer in the registry
// (docs/format/journal.md §7).
type txnState struct {
	state uint32           // txnNone, txnOngoing, txnPrepareCommit, txnPrepareAbort
	parts []TopicPartition // the partitions the transaction wrote to, sorted
}

const (
	txnNone = iota
	txnOngoing
	txnPrepareCommit
	txnPrepareAbort
)

func (s txnState) append(p []byte) []byte {
	p = appendU32(p, s.state)
	p = appendU32(p, uint32(len(s.parts)))
	for _, tp := range s.parts {
		p = appendStr(p, tp.Topic)
		p = appendU32(p, uint32(tp.Partition))
	}
	return p
}

func (s *txnState) read(f *fixed) {
	s.state = f.u32()
	n := f.u32()
	if s.state > txnPrepareAbort || uint64(n) > uint64(len(f.b)) {
		f.err = true
		return
	}
	for range n {
		tp := TopicPartition{Topic: f.str()}
		tp.Partition = int(f.u32())
		s.parts = append(s.parts, tp)
	}
}

func appendU32(p []byte, v uint32) []byte {
	return append(p, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// txnProducer is the transactional side of a Producer.
type txnProducer struct{}
