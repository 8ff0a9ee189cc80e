package journal

// PartitionStats describes a partition at one moment.
type PartitionStats struct {
	Start, End int64 // the log start offset and the end offset (Bounds)
	Segments   int
	Bytes      int64       // bytes of whole batches in the segments
	Quarantine *Quarantine // non-nil: the partition is quarantined
	Failed     error       // non-nil: the partition takes no appends, and why
	// SyncFailure: the partition's sync-failed marker (a failed sync in
	// this session, or one that Options.AcceptFailedSyncRisk opened).
	SyncFailure *SyncFailure
}

// Stats describes a partition of topic.
func (j *Journal) Stats(topic string, partition int) (PartitionStats, error) {
	p, err := j.partition(topic, partition)
	if err != nil {
		return PartitionStats{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := PartitionStats{Start: p.start, End: p.hw, Segments: len(p.segs), Failed: p.failed}
	for _, s := range p.segs {
		st.Bytes += s.size
	}
	if p.quar != nil {
		q := *p.quar
		st.Quarantine = &q
	}
	if p.syncFail != nil {
		m := *p.syncFail
		st.SyncFailure = &m
	}
	return st, nil
}
