package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/stromio/strom/internal/base"
)

// Kind tells a checkpoint from a savepoint.
type Kind uint8

const (
	// Checkpoint is taken periodically by the runtime and deleted by
	// retention.
	Checkpoint Kind = iota
	// Savepoint is taken on request and kept until the user deletes it.
	Savepoint
)

func (k Kind) String() string {
	switch k {
	case Checkpoint:
		return "checkpoint"
	case Savepoint:
		return "savepoint"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Metadata describes one complete checkpoint. Its presence in storage (the
// _metadata file) is what makes the checkpoint complete.
type Metadata struct {
	ID             int64 // checkpoint id, rising, at least 1
	Kind           Kind
	TimestampMs    int64  // when it was triggered (clock ms)
	JobFingerprint string // identifies the job graph (operator UIDs); used to refuse a checkpoint of another job
	MaxParallelism int    // number of key groups
	Final          bool   // taken at the end of bounded input
	Operators      []OperatorState
	// TimersV2: the last link of a keyed file's chain (the only link a
	// restore reads timers from, in every build) holds timer snapshots
	// of version 2 (grouped by time; docs/format/checkpoint.md §2.4,
	// §3.1), which builds before metadata version 4 do not read: such
	// metadata is written as version 4, which they refuse as a newer
	// build's.
	TimersV2 bool
}

// OperatorState is the state of one operator (by UID) in a checkpoint.
type OperatorState struct {
	UID string
	// Signature is the operator's state signature: a short canonical
	// description of what its state means and how it is laid out (the SQL
	// planner's, e.g. "group-agg keys=[BIGINT] aggs=[COUNT(*): BIGINT
	// acc=[BIGINT]]"), empty when the job gave none (DataStream jobs,
	// checkpoints of builds before metadata version 3). A restore refuses
	// state whose signature differs from the one of the operator with its
	// UID (internal/cluster). Metadata version 3 carries it.
	Signature   string
	Parallelism int
	// Keyed holds one file per subtask that had keyed state; the ranges of
	// an operator's files do not overlap.
	Keyed []KeyedFile
	// Subtasks holds the non-keyed operator state, one small blob per
	// subtask (index = subtask; missing trailing entries and nil blobs are
	// empty): split positions, sink committables.
	Subtasks [][]byte
}

// KeyedFile references one keyed state file of the checkpoint: the full
// state of a key-group range (the base), and, for an incremental
// checkpoint, the delta files to apply on it in order (version 2 of the
// metadata; docs/format/checkpoint.md §2.2).
type KeyedFile struct {
	Name       string // file name inside its checkpoint (no directory part)
	Start, End int    // key-group range [Start, End) the file covers
	Size       int64
	CRC        uint32 // CRC-32C (Castagnoli) of the whole file
	// Dir is the id of the checkpoint whose directory holds the file; 0
	// means the checkpoint of the metadata itself. A referenced checkpoint
	// is older and complete (a chain only builds on completed checkpoints).
	Dir int64
	// Deltas are the delta files of the same key-group range, oldest first:
	// each holds the entries written and deleted since the previous link.
	Deltas []FileRef
}

// FileRef references a delta file of a keyed file's chain.
type FileRef struct {
	Dir  int64 // as KeyedFile.Dir
	Name string
	Size int64
	CRC  uint32
}

// Sum returns the size and CRC the file must have.
func (f KeyedFile) Sum() FileSum { return FileSum{Size: f.Size, CRC: f.CRC} }

// Sum returns the size and CRC the file must have.
func (f FileRef) Sum() FileSum { return FileSum{Size: f.Size, CRC: f.CRC} }

// DirOf returns the checkpoint id whose directory holds a file referenced
// with dir by the metadata of checkpoint id.
func DirOf(id, dir int64) int64 {
	if dir == 0 {
		return id
	}
	return dir
}

// Links returns the files of f's chain, base first, with their directories
// resolved against checkpoint id.
func (f KeyedFile) Links(id int64) []FileRef {
	out := make([]FileRef, 0, 1+len(f.Deltas))
	out = append(out, FileRef{Dir: DirOf(id, f.Dir), Name: f.Name, Size: f.Size, CRC: f.CRC})
	for _, d := range f.Deltas {
		d.Dir = DirOf(id, d.Dir)
		out = append(out, d)
	}
	return out
}

// Incremental reports whether f refers to files outside its checkpoint or
// has deltas (it then needs metadata version 2).
func (f KeyedFile) Incremental() bool { return f.Dir != 0 || len(f.Deltas) > 0 }

// MaxDeltas bounds the deltas of one chain.
const MaxDeltas = 1024

func (m *Metadata) incremental() bool {
	for _, op := range m.Operators {
		for _, f := range op.Keyed {
			if f.Incremental() {
				return true
			}
		}
	}
	return false
}

// signed reports whether an operator of m has a state signature (it then
// needs metadata version 3).
func (m *Metadata) signed() bool {
	for _, op := range m.Operators {
		if op.Signature != "" {
			return true
		}
	}
	return false
}

// Referenced returns the ids of the other checkpoints whose files m
// references, ascending.
func (m *Metadata) Referenced() []int64 {
	seen := map[int64]bool{}
	for _, op := range m.Operators {
		for _, f := range op.Keyed {
			for _, l := range f.Links(m.ID) {
				if l.Dir != m.ID {
					seen[l.Dir] = true
				}
			}
		}
	}
	out := make([]int64, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Limits of the format. Decoders refuse anything larger.
const (
	// MaxKeyGroups bounds MaxParallelism (Flink's bound as well).
	MaxKeyGroups = 1 << 15
	// MaxNameLen bounds a file name.
	MaxNameLen = 255
	// MaxStringLen bounds an operator UID and the job fingerprint.
	MaxStringLen = 1024
	// MaxSignatureLen bounds an operator's state signature.
	MaxSignatureLen = 64 << 10
	// MaxMetadataSize bounds the encoded metadata (operator blobs are meant
	// to be small; keyed state lives in its own files).
	MaxMetadataSize = 64 << 20
)

// MetadataFile is the name of the metadata file of a checkpoint.
const MetadataFile = "_metadata"

// ErrCorrupt is wrapped by every error about bytes that fail validation:
// bad magic, unknown version, CRC mismatch, truncated data, trailing bytes,
// values out of range.
var ErrCorrupt = errors.New("checkpoint: corrupt")

// ErrNewerVersion is wrapped by every error about a persisted layout whose
// format version (or flags) only a newer build writes: metadata, keyed
// state files and what they hold. It does not wrap ErrCorrupt: such a
// checkpoint is not damaged, this build cannot read it. LoadLatest stops at
// it (never falls back to an older checkpoint, never reports "no
// checkpoint", so that --allow-empty-state cannot start from empty state
// over it), and Retain removes nothing while it meets one.
var ErrNewerVersion = base.ErrNewerVersion

func newerf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNewerVersion}, args...)...)
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC returns the CRC-32C (Castagnoli) of data, the checksum of every
// format of this package.
func CRC(data []byte) uint32 { return crc32.Checksum(data, castagnoli) }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidName reports why name cannot be a file of a checkpoint, or nil: a
// file name is 1 to MaxNameLen bytes of [A-Za-z0-9._-], starts with a
// letter or digit and does not end in ".tmp". So it never names a directory,
// never leaves the checkpoint, never collides with _metadata or a temporary
// file, and a checkpoint directory can be moved or copied as a whole.
func ValidName(name string) error {
	switch {
	case len(name) == 0 || len(name) > MaxNameLen:
		return fmt.Errorf("file name of %d bytes (want 1 to %d)", len(name), MaxNameLen)
	case !nameRE.MatchString(name):
		return fmt.Errorf("file name %q: want [A-Za-z0-9._-], starting with a letter or digit", name)
	case strings.HasSuffix(name, ".tmp"):
		return fmt.Errorf("file name %q: the suffix .tmp is reserved for temporary files", name)
	}
	return nil
}

// Validate checks the invariants of m (see docs/format/checkpoint.md,
// "Validation"). EncodeMetadata and DecodeMetadata apply it.
func (m *Metadata) Validate() error {
	if m == nil {
		return errors.New("nil metadata")
	}
	if m.ID < 1 {
		return fmt.Errorf("checkpoint id %d (want at least 1)", m.ID)
	}
	if m.Kind != Checkpoint && m.Kind != Savepoint {
		return fmt.Errorf("unknown kind %d", uint8(m.Kind))
	}
	if len(m.JobFingerprint) > MaxStringLen {
		return fmt.Errorf("job fingerprint of %d bytes (max %d)", len(m.JobFingerprint), MaxStringLen)
	}
	if m.MaxParallelism < 1 || m.MaxParallelism > MaxKeyGroups {
		return fmt.Errorf("max parallelism %d (want 1 to %d)", m.MaxParallelism, MaxKeyGroups)
	}
	uids := make(map[string]bool, len(m.Operators))
	files := map[string]string{} // name -> operator
	for i := range m.Operators {
		op := &m.Operators[i]
		if op.UID == "" || len(op.UID) > MaxStringLen {
			return fmt.Errorf("operator %d: UID of %d bytes (want 1 to %d)", i, len(op.UID), MaxStringLen)
		}
		if len(op.Signature) > MaxSignatureLen {
			return fmt.Errorf("operator %q: state signature of %d bytes (max %d)", op.UID, len(op.Signature), MaxSignatureLen)
		}
		if uids[op.UID] {
			return fmt.Errorf("operator %q appears twice", op.UID)
		}
		uids[op.UID] = true
		if op.Parallelism < 1 || op.Parallelism > m.MaxParallelism {
			return fmt.Errorf("operator %q: parallelism %d (want 1 to max parallelism %d)", op.UID, op.Parallelism, m.MaxParallelism)
		}
		if len(op.Subtasks) > op.Parallelism {
			return fmt.Errorf("operator %q: %d subtask states for parallelism %d", op.UID, len(op.Subtasks), op.Parallelism)
		}
		if len(op.Keyed) > op.Parallelism {
			return fmt.Errorf("operator %q: %d keyed files for parallelism %d", op.UID, len(op.Keyed), op.Parallelism)
		}
		var covered [MaxKeyGroups / 64]uint64
		for _, f := range op.Keyed {
			if len(f.Deltas) > MaxDeltas {
				return fmt.Errorf("operator %q: file %q has %d deltas (max %d)", op.UID, f.Name, len(f.Deltas), MaxDeltas)
			}
			for _, l := range f.Links(m.ID) {
				if err := ValidName(l.Name); err != nil {
					return fmt.Errorf("operator %q: %w", op.UID, err)
				}
				if l.Dir < 1 || l.Dir > m.ID {
					return fmt.Errorf("operator %q: file %q in chk-%d, not an earlier checkpoint", op.UID, l.Name, l.Dir)
				}
				if l.Size < keyedMinSize(f.End-f.Start) {
					return fmt.Errorf("operator %q: file %q of %d bytes cannot hold key groups [%d,%d)", op.UID, l.Name, l.Size, f.Start, f.End)
				}
				at := fmt.Sprintf("chk-%d/%s", l.Dir, l.Name)
				if other, dup := files[at]; dup {
					return fmt.Errorf("file %q referenced twice (operators %q and %q)", at, other, op.UID)
				}
				files[at] = op.UID
			}
			if f.Dir == m.ID {
				return fmt.Errorf("operator %q: file %q: a file of the checkpoint itself has directory 0", op.UID, f.Name)
			}
			for _, d := range f.Deltas {
				if d.Dir == m.ID {
					return fmt.Errorf("operator %q: file %q: a file of the checkpoint itself has directory 0", op.UID, d.Name)
				}
			}
			if f.Start < 0 || f.Start >= f.End || f.End > m.MaxParallelism {
				return fmt.Errorf("operator %q: file %q covers key groups [%d,%d), not inside [0,%d)", op.UID, f.Name, f.Start, f.End, m.MaxParallelism)
			}
			for kg := f.Start; kg < f.End; kg++ {
				w, b := kg/64, uint64(1)<<(kg%64)
				if covered[w]&b != 0 {
					return fmt.Errorf("operator %q: key group %d is in two files", op.UID, kg)
				}
				covered[w] |= b
			}
		}
	}
	return nil
}

// Metadata envelope (docs/format/checkpoint.md, "Metadata file").
const (
	metadataMagic = "STRMCKPT"
	// metadataVersion is the newest: a checkpoint whose keyed chains end
	// in links with timers of version 2 (Metadata.TimersV2) is written as
	// version 4 (version 3's layout), one with state signatures as
	// version 3, one with chains and no signature as version 2, any other
	// as version 1 (so files without either are the bytes of earlier
	// builds).
	metadataVersion = 4
	metadataHeader  = 8 + 2 + 2 + 4 // magic, version, flags, body length
	metadataTrailer = 4             // CRC-32C
)

// EncodeMetadata returns the bytes of the metadata file for m, or an error
// when m is not valid.
func EncodeMetadata(m *Metadata) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint: invalid metadata: %w", err)
	}
	b := make([]byte, metadataHeader, 256)
	copy(b, metadataMagic)
	version := uint16(1)
	switch {
	case m.TimersV2:
		version = 4
	case m.signed():
		version = 3
	case m.incremental():
		version = 2
	}
	binary.BigEndian.PutUint16(b[8:], version)
	binary.BigEndian.PutUint16(b[10:], 0) // flags
	b = binary.AppendVarint(b, m.ID)
	b = append(b, byte(m.Kind))
	b = binary.AppendVarint(b, m.TimestampMs)
	b = appendString(b, m.JobFingerprint)
	b = binary.AppendUvarint(b, uint64(m.MaxParallelism))
	b = append(b, boolByte(m.Final))
	b = binary.AppendUvarint(b, uint64(len(m.Operators)))
	for i := range m.Operators {
		op := &m.Operators[i]
		b = appendString(b, op.UID)
		if version >= 3 {
			b = appendString(b, op.Signature)
		}
		b = binary.AppendUvarint(b, uint64(op.Parallelism))
		b = binary.AppendUvarint(b, uint64(len(op.Keyed)))
		for _, f := range op.Keyed {
			b = appendString(b, f.Name)
			b = binary.AppendUvarint(b, uint64(f.Start))
			b = binary.AppendUvarint(b, uint64(f.End))
			b = binary.AppendUvarint(b, uint64(f.Size))
			b = binary.BigEndian.AppendUint32(b, f.CRC)
			if version >= 2 {
				b = binary.AppendUvarint(b, uint64(f.Dir))
				b = binary.AppendUvarint(b, uint64(len(f.Deltas)))
				for _, d := range f.Deltas {
					b = binary.AppendUvarint(b, uint64(d.Dir))
					b = appendString(b, d.Name)
					b = binary.AppendUvarint(b, uint64(d.Size))
					b = binary.BigEndian.AppendUint32(b, d.CRC)
				}
			}
		}
		b = binary.AppendUvarint(b, uint64(len(op.Subtasks)))
		for _, s := range op.Subtasks {
			b = appendString(b, string(s))
		}
	}
	body := len(b) - metadataHeader
	if body+metadataHeader+metadataTrailer > MaxMetadataSize {
		return nil, fmt.Errorf("checkpoint: metadata of %d bytes exceeds %d: operator state blobs are too large", body+metadataHeader+metadataTrailer, MaxMetadataSize)
	}
	binary.BigEndian.PutUint32(b[12:], uint32(body))
	return binary.BigEndian.AppendUint32(b, CRC(b)), nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// DecodeMetadata decodes and validates a metadata file. It never panics,
// and it allocates nothing before checking that the bytes it describes are
// there. Errors wrap ErrCorrupt.
func DecodeMetadata(data []byte) (*Metadata, error) {
	if len(data) < metadataHeader+metadataTrailer {
		return nil, corruptf("metadata of %d bytes is shorter than the %d of an empty envelope (truncated)", len(data), metadataHeader+metadataTrailer)
	}
	if string(data[:8]) != metadataMagic {
		return nil, corruptf("metadata magic %q, want %q (not a strom checkpoint)", data[:8], metadataMagic)
	}
	// The envelope (magic, version, flags, length, body, CRC) is the same
	// in every version, so the CRC is checked first: a version or flags
	// this build does not know under a good CRC are a newer build's file,
	// not damage.
	body := uint64(binary.BigEndian.Uint32(data[12:]))
	if want := uint64(metadataHeader) + body + metadataTrailer; uint64(len(data)) != want {
		return nil, corruptf("metadata is %d bytes, its header says %d (truncated or trailing junk)", len(data), want)
	}
	end := len(data) - metadataTrailer
	if got, want := CRC(data[:end]), binary.BigEndian.Uint32(data[end:]); got != want {
		return nil, corruptf("metadata CRC-32C is %#08x, the file says %#08x", got, want)
	}
	version := binary.BigEndian.Uint16(data[8:])
	switch {
	case version > metadataVersion:
		return nil, newerf("metadata format version %d; this build reads versions 1 to %d", version, metadataVersion)
	case version == 0:
		return nil, corruptf("metadata format version 0; this build reads versions 1 to %d", metadataVersion)
	}
	if f := binary.BigEndian.Uint16(data[10:]); f != 0 {
		return nil, newerf("metadata format version %d with flags %#x; this build knows none", version, f)
	}
	r := &reader{b: data[metadataHeader:end]}
	m := &Metadata{TimersV2: version >= 4}
	m.ID = r.varint("checkpoint id")
	m.Kind = Kind(r.byte("kind"))
	m.TimestampMs = r.varint("timestamp")
	m.JobFingerprint = r.string("job fingerprint", MaxStringLen)
	m.MaxParallelism = r.int("max parallelism", MaxKeyGroups)
	switch r.byte("final flag") {
	case 0:
	case 1:
		m.Final = true
	default:
		r.fail("final flag is not 0 or 1")
	}
	// Minimum encoded sizes bound the counts before anything is allocated.
	const minOperator, minKeyed, minBlob, minDelta = 2 + 1 + 1 + 1, 2 + 1 + 1 + 1 + 4, 1, 1 + 2 + 1 + 4
	if n := r.count("operators", minOperator); n > 0 {
		m.Operators = make([]OperatorState, n)
	}
	for i := range m.Operators {
		op := &m.Operators[i]
		op.UID = r.string("operator UID", MaxStringLen)
		if version >= 3 {
			op.Signature = r.string("state signature", MaxSignatureLen)
		}
		op.Parallelism = r.int("parallelism", MaxKeyGroups)
		if n := r.count("keyed files", minKeyed); n > 0 {
			op.Keyed = make([]KeyedFile, n)
		}
		for j := range op.Keyed {
			f := &op.Keyed[j]
			f.Name = r.string("file name", MaxNameLen)
			f.Start = r.int("key group start", MaxKeyGroups)
			f.End = r.int("key group end", MaxKeyGroups)
			f.Size = int64(r.uvarint("file size", math.MaxInt64))
			f.CRC = r.uint32("file CRC")
			if version >= 2 {
				f.Dir = int64(r.uvarint("file directory", math.MaxInt64))
				if n := r.count("deltas", minDelta); n > MaxDeltas {
					r.fail(fmt.Sprintf("%d deltas (max %d)", n, MaxDeltas))
				} else if n > 0 {
					f.Deltas = make([]FileRef, n)
				}
				for k := range f.Deltas {
					d := &f.Deltas[k]
					d.Dir = int64(r.uvarint("delta directory", math.MaxInt64))
					d.Name = r.string("delta file name", MaxNameLen)
					d.Size = int64(r.uvarint("delta file size", math.MaxInt64))
					d.CRC = r.uint32("delta file CRC")
				}
			}
		}
		if n := r.count("subtask states", minBlob); n > 0 {
			op.Subtasks = make([][]byte, n)
		}
		for j := range op.Subtasks {
			if s := r.bytes("subtask state"); len(s) > 0 {
				op.Subtasks[j] = append([]byte(nil), s...)
			}
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail(fmt.Sprintf("%d bytes after the last operator", len(r.b)))
	}
	if r.err == nil && version == 2 && !m.incremental() {
		r.fail("version 2 without a chain (such metadata is written as version 1)")
	}
	if r.err == nil && version == 3 && !m.signed() {
		r.fail("version 3 without a state signature (such metadata is written as version 1 or 2)")
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := m.Validate(); err != nil {
		return nil, corruptf("metadata: %v", err)
	}
	return m, nil
}

// reader decodes the metadata body. The first error sticks; later reads
// return zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = corruptf("metadata: %s", what)
	}
	r.b = nil
}

func (r *reader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.fail(what + ": truncated")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uint32(what string) uint32 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 4 {
		r.fail(what + ": truncated")
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

// uvarint reads a canonical (shortest) unsigned varint no larger than max.
func (r *reader) uvarint(what string, max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		r.fail(what + ": truncated")
		return 0
	case n < 0:
		r.fail(what + ": varint overflows 64 bits")
		return 0
	case n != len(binary.AppendUvarint(nil, v)):
		r.fail(what + ": varint is not in its shortest form")
		return 0
	case v > max:
		r.fail(fmt.Sprintf("%s %d exceeds %d", what, v, max))
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	switch {
	case n == 0:
		r.fail(what + ": truncated")
		return 0
	case n < 0:
		r.fail(what + ": varint overflows 64 bits")
		return 0
	case n != len(binary.AppendVarint(nil, v)):
		r.fail(what + ": varint is not in its shortest form")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) int(what string, max int) int { return int(r.uvarint(what, uint64(max))) }

// count reads a number of items of at least minSize bytes each and checks
// that the remaining bytes can hold them.
func (r *reader) count(what string, minSize int) int {
	n := r.uvarint("number of "+what, uint64(len(r.b)/minSize))
	return int(n)
}

// bytes reads a length-prefixed byte string; the result aliases the input.
func (r *reader) bytes(what string) []byte {
	n := r.uvarint(what+" length", uint64(len(r.b)))
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.fail(what + ": truncated")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string(what string, max int) string {
	n := r.uvarint(what+" length", uint64(max))
	if r.err != nil {
		return ""
	}
	if uint64(len(r.b)) < n {
		r.fail(what + ": truncated")
		return ""
	}
	v := string(r.b[:n])
	r.b = r.b[n:]
	return v
}
