package journal

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/stromio/strom/internal/vfs"
)

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int
}

func (j *Journal) groupFile(group string) string {
	return filepath.Join(j.dir, "groups", group+".offsets")
}

// CommitOffsets stores the offsets of a consumer group (by convention the
// next offset to consume) for the given partitions, keeping those of its
// other partitions. The group's file is replaced atomically: after a crash
// it holds either the previous or the new offsets.
func (j *Journal) CommitOffsets(group string, offsets map[TopicPartition]int64) error {
	if !validName(group) {
		return fmt.Errorf("journal: invalid group name %q (1 to 200 of [A-Za-z0-9._-])", group)
	}
	j.mu.RLock()
	closed := j.closed
	j.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	j.gmu.Lock()
	defer j.gmu.Unlock()
	all, err := j.readGroup(group)
	if err != nil {
		return err
	}
	for tp, off := range offsets {
		if off < 0 {
			return fmt.Errorf("journal: group %q: negative offset %d for %v", group, off, tp)
		}
		all[tp] = off
	}
	if err := vfs.WriteFileAtomic(j.fs, j.groupFile(group), encodeGroup(all)); err != nil {
		return fmt.Errorf("journal: commit offsets of group %q: %w", group, err)
	}
	return nil
}

// GroupOffsets returns the committed offsets of a group (empty when it has
// none).
func (j *Journal) GroupOffsets(group string) (map[TopicPartition]int64, error) {
	if !validName(group) {
		return nil, fmt.Errorf("journal: invalid group name %q", group)
	}
	j.gmu.Lock()
	defer j.gmu.Unlock()
	return j.readGroup(group)
}

func (j *Journal) readGroup(group string) (map[TopicPartition]int64, error) {
	b, err := vfs.ReadFile(j.fs, j.groupFile(group))
	if vfs.IsNotExist(err) {
		return map[TopicPartition]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := decodeGroup(b)
	if err != nil {
		return nil, fmt.Errorf("journal: offsets of group %q: %w", group, err)
	}
	return m, nil
}

func encodeGroup(m map[TopicPartition]int64) []byte {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b TopicPartition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	p := binary.BigEndian.AppendUint32(nil, uint32(len(keys)))
	for _, k := range keys {
		p = binary.BigEndian.AppendUint32(p, uint32(len(k.Topic)))
		p = append(p, k.Topic...)
		p = binary.BigEndian.AppendUint32(p, uint32(k.Partition))
		p = binary.BigEndian.AppendUint64(p, uint64(m[k]))
	}
	return encodeEnvelope(magicGroup, p)
}

func decodeGroup(b []byte) (map[TopicPartition]int64, error) {
	pl, err := decodeEnvelope(magicGroup, b)
	if err != nil {
		return nil, err
	}
	f := fixed{b: pl}
	n := f.u32()
	if uint64(n) > uint64(len(pl)/16) {
		return nil, fmt.Errorf("%w: group file count %d", ErrCorrupt, n)
	}
	m := make(map[TopicPartition]int64, n)
	for range n {
		tp := TopicPartition{Topic: f.str()}
		tp.Partition = int(f.u32())
		m[tp] = f.i64()
	}
	if !f.done() {
		return nil, errors.Join(ErrCorrupt, errors.New("journal: malformed group file"))
	}
	return m, nil
}
