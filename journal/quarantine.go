package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/stromio/strom/internal/vfs"
)

// ErrQuarantined marks the error of a partition that Open found damaged in
// a sealed segment, or whose read met a bad batch (RELIABILITY L4). Such a partition serves the records
// before the damage; reads from the damaged batch on and every Append fail
// with an error that also matches ErrReadOnly and ErrCorrupt, until an
// operator truncates it (TruncatePartition, `strom journal truncate`).
var ErrQuarantined = errors.New("journal: partition is quarantined")

// Quarantine describes a quarantined partition: Open found a bad batch in a
// sealed segment, or a read met one.
type Quarantine struct {
	Topic     string
	Partition int
	Segment   string // the damaged .log file
	Byte      int64  // where the first bad batch begins in it
	Offset    int64  // the first offset that cannot be read
	Reason    string
}

func (q *Quarantine) err() error {
	dir := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(q.Segment))))
	return &partitionError{
		msg: fmt.Sprintf("%v (%v, %v): topic %q partition %d: segment %s is damaged at byte %d (offset %d): %s; "+
			"offsets before %d are readable, reads from %d on and appends fail; check with `strom journal verify --dir %s`, "+
			"then drop offset %d and later with `strom journal truncate --dir %s --topic %s --partition %d --at %d`",
			ErrQuarantined, ErrReadOnly, ErrCorrupt, q.Topic, q.Partition, q.Segment, q.Byte, q.Offset, q.Reason,
			q.Offset, q.Offset, dir, q.Offset, dir, q.Topic, q.Partition, q.Offset),
		short: fmt.Sprintf("topic %q partition %d is quarantined: its data is damaged at offset %d; offsets before %d are readable, "+
			"reads from %d on and appends fail until an operator checks and truncates it (the server's log names the file)",
			q.Topic, q.Partition, q.Offset, q.Offset, q.Offset),
		errs: []error{ErrQuarantined, ErrReadOnly, ErrCorrupt},
	}
}

// partitionError is the error of a partition that takes no appends
// (quarantined, or read-only after a failed write-back). Its text names
// the journal's files and the operator's commands; short says the same
// without them, for a client that reaches the journal over the network
// (NewHandler), which is told neither the server's paths nor commands it
// cannot run.
type partitionError struct {
	msg, short string
	errs       []error
}

func (e *partitionError) Error() string   { return e.msg }
func (e *partitionError) Unwrap() []error { return e.errs }

// clientText is err's text for a client of the HTTP handler: the short
// form of a partitionError in it, else the text.
func clientText(err error) string {
	var pe *partitionError
	if errors.As(err, &pe) {
		return pe.short
	}
	return err.Error()
}

// quarantine is recover's answer to a bad batch in the sealed segment s
// (the last one of p.segs), found at byte good by the scan: the partition
// keeps the records before it, takes no appends and leaves every file as
// it is (acked data is never dropped without an operator's say).
func (p *partition) quarantine(s *segment, good int64, bad error) error {
	p.quar = &Quarantine{Topic: p.topic, Partition: p.id, Segment: segName(p.dir, s.base, ".log"),
		Byte: good, Offset: s.next, Reason: bad.Error()}
	p.failed = p.quar.err()
	p.hw, p.hwPos = s.next, s.size
	p.j.log.Error("journal: partition quarantined", "topic", p.topic, "partition", p.id,
		"segment", filepath.Base(p.quar.Segment), "byte", good, "offset", s.next, "reason", bad)
	return nil
}

// recordQuarantine writes the quarantine file (quarFile) of a read's
// quarantine in segment seg, so that it outlives the process: without it
// the next Open, which scans an active segment after a shutdown that left
// no clean marker (a quarantined partition's never does), would take the
// bad batch for a torn tail and cut it and every acknowledged batch after
// it. Open honours the file (a bad batch of the active segment is then
// quarantined again, not cut; no bad batch found: the recorded
// quarantine stands); TruncatePartition removes it. Best effort: a failure
// is logged, the quarantine in memory stands. Called with p.mu held.
func (p *partition) recordQuarantine(seg int64) {
	q := p.quar
	reason := q.Reason
	if len(reason) > maxQuarReason {
		reason = reason[:maxQuarReason]
	}
	b := encodeQuarMark(quarMark{seg: seg, byte: q.Byte, off: q.Offset, reason: reason})
	if err := vfs.WriteFileAtomic(p.j.fs, filepath.Join(p.dir, quarFile), b); err != nil {
		p.j.log.Error("journal: could not record the quarantine on disk: a crash before an operator truncates the partition may cut the log at the damage",
			"topic", p.topic, "partition", p.id, "err", err)
	}
}

// maxQuarReason bounds the reason kept in the quarantine file.
const maxQuarReason = 512

// quarMark is a quarantine file read by Open: the segment, byte and
// offset of the damage (seg -1 when the file itself does not decode).
type quarMark struct {
	seg, byte, off int64
	reason         string
}

// readQuarantine reads the partition's quarantine file: nil when there is
// none; one that does not decode is still a quarantine (of unknown place:
// Open then cuts nothing) and is logged; a newer version is an error.
func (p *partition) readQuarantine() (*quarMark, error) {
	b, err := vfs.ReadFile(p.j.fs, filepath.Join(p.dir, quarFile))
	if vfs.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the quarantine file: %w", err)
	}
	m, err := decodeQuarMark(b)
	if err == nil || errors.Is(err, ErrNewerVersion) {
		return m, err
	}
	p.j.log.Error("journal: the quarantine file does not decode: taken as a quarantine of unknown place (no torn tail is cut)",
		"topic", p.topic, "partition", p.id, "err", err)
	return &quarMark{seg: -1, reason: err.Error()}, nil
}

// encodeQuarMark encodes a quarantine file: the envelope magicQuar
// around seg, byte, off (8 bytes each, big-endian) and the reason (4 bytes
// of length, then its bytes); docs/format/journal.md.
func encodeQuarMark(m quarMark) []byte {
	var pl []byte
	pl = binary.BigEndian.AppendUint64(pl, uint64(m.seg))
	pl = binary.BigEndian.AppendUint64(pl, uint64(m.byte))
	pl = binary.BigEndian.AppendUint64(pl, uint64(m.off))
	pl = binary.BigEndian.AppendUint32(pl, uint32(len(m.reason)))
	pl = append(pl, m.reason...)
	return encodeEnvelope(magicQuar, pl)
}

// decodeQuarMark decodes a quarantine file (encodeQuarMark), for Open and
// Verify.
func decodeQuarMark(b []byte) (*quarMark, error) {
	pl, err := decodeEnvelope(magicQuar, b)
	if err != nil {
		return nil, err
	}
	f := fixed{b: pl}
	m := &quarMark{seg: f.i64(), byte: f.i64(), off: f.i64(), reason: f.str()}
	if !f.done() || m.seg < 0 || m.byte < 0 || m.off < 0 || len(m.reason) > maxQuarReason {
		return nil, fmt.Errorf("%w: quarantine file payload", ErrCorrupt)
	}
	return m, nil
}

// quarantined returns the partition's error for a read from offset from,
// or nil.
func (p *partition) quarantined(from int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quar != nil && from >= p.quar.Offset {
		return p.failed
	}
	return nil
}

// damage is a bad batch met by a read: where it is and why.
type damage struct {
	seg, byte, off int64 // segment base, byte in it, the offset expected there
	err            error
}

func (d *damage) Error() string { return fmt.Sprintf("segment %d byte %d: %v", d.seg, d.byte, d.err) }
func (d *damage) Unwrap() error { return d.err }

// damaged is the error of a read or scan that failed with err. A read sees
// only batches that were written whole (and, in Durable mode, synced), so
// a bad one is damage, not a torn write: the partition is quarantined from
// that batch on (later reads from it and appends fail), loudly.
func (p *partition) damaged(err error) error {
	d, ok := errors.AsType[*damage](err)
	if !ok || !errors.Is(err, ErrCorrupt) {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quar == nil {
		p.quar = &Quarantine{Topic: p.topic, Partition: p.id, Segment: segName(p.dir, d.seg, ".log"),
			Byte: d.byte, Offset: d.off, Reason: d.err.Error()}
		if p.failed == nil {
			p.failed = p.quar.err()
		}
		p.j.log.Error("journal: partition quarantined", "topic", p.topic, "partition", p.id,
			"segment", filepath.Base(p.quar.Segment), "byte", d.byte, "offset", d.off, "reason", d.err)
		p.recordQuarantine(d.seg)
	}
	q := p.quar.err()
	return &quarantineError{msg: q.Error(), errs: []error{err, q}}
}

// quarantineError reads as the quarantine (which names the damage) and
// matches both it and the read's own error.
type quarantineError struct {
	msg  string
	errs []error
}

func (e *quarantineError) Error() string   { return e.msg }
func (e *quarantineError) Unwrap() []error { return e.errs }

// Quarantines lists the quarantined partitions.
func (j *Journal) Quarantines() []Quarantine {
	j.mu.RLock()
	defer j.mu.RUnlock()
	var out []Quarantine
	for _, t := range j.topics {
		for _, p := range t.parts {
			p.mu.Lock()
			if p.quar != nil {
				out = append(out, *p.quar)
			}
			p.mu.Unlock()
		}
	}
	slices.SortFunc(out, func(a, b Quarantine) int {
		if a.Topic != b.Topic {
			if a.Topic < b.Topic {
				return -1
			}
			return 1
		}
		return a.Partition - b.Partition
	})
	return out
}
