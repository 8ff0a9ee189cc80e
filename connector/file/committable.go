package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"path/filepath"
	"strings"
)

// A committable lists the part files one TransactionalSink writer staged for
// one checkpoint. It is persisted in the checkpoint, so its layout is a
// format (docs/format/file-sink.md). Version 1:
//
//	byte     version (1)
//	uvarint  subtask
//	uvarint  checkpoint id
//	uvarint  file count (at least 1)
//	per file, in the order the files were opened:
//	  uvarint + bytes  partition: directory relative to Dir, '/'-separated ("" = Dir)
//	  uvarint + bytes  staged name (a base name in the partition directory)
//	  uvarint + bytes  final name  (a base name in the partition directory)
//	  uvarint          size in bytes
//	uint32   CRC-32C (Castagnoli), big-endian, of the bytes above
//
// Varints must be minimal and nothing may follow the checksum. Anything else
// is rejected with ErrCorruptCommittable.
//
// Version 2 is version 1 with the sink's directory after the version byte:
//
//	byte     version (2)
//	uvarint + bytes  dir: the sink's Dir when the files were staged (absolute, clean)
//	...      as version 1 from subtask on
//
// Commit resolves the files' names against that directory, so a restore
// into a sink whose Dir changed commits (or finds committed) the files
// where they were written. A committable without Dir is written as
// version 1, byte for byte as before.
const (
	committableVersion    = 1
	committableVersionDir = 2
)

// ErrCorruptCommittable is wrapped by the error Commit, AbortExcept and
// DecodeCommittable return for bytes that are not a committable of this
// sink (corrupt, truncated, or of an unknown version).
var ErrCorruptCommittable = errors.New("strom: file sink: corrupt or foreign committable")

// ErrDataLost is wrapped by the error Commit returns when a staged part
// file of a completed checkpoint is gone and its final file does not exist
// either: the output of that checkpoint is incomplete.
var ErrDataLost = errors.New("strom: file sink: data lost")

// Committable is the decoded form of what a transactional writer's
// PreCommit returns: the part files it staged for one checkpoint.
type Committable struct {
	// Dir is the sink's directory the files were staged in (absolute,
	// clean; version 2), "" for the directory of the sink committing it
	// (version 1).
	Dir        string
	Subtask    int
	Checkpoint int64
	Files      []StagedFile
}

// StagedFile is one part file of a Committable. Staged and Final are base
// names in the directory Partition (relative to the sink's Dir,
// '/'-separated, "" for Dir itself); Size is the file's length in bytes.
type StagedFile struct {
	Partition     string
	Staged, Final string
	Size          int64
}

// maxNameLen bounds a name or partition in a committable.
const maxNameLen = 4096

func (c *Committable) appendBinary(b []byte) []byte {
	start := len(b)
	if c.Dir != "" {
		b = append(b, committableVersionDir)
		b = binary.AppendUvarint(b, uint64(len(c.Dir)))
		b = append(b, c.Dir...)
	} else {
		b = append(b, committableVersion)
	}
	b = binary.AppendUvarint(b, uint64(c.Subtask))
	b = binary.AppendUvarint(b, uint64(c.Checkpoint))
	b = binary.AppendUvarint(b, uint64(len(c.Files)))
	for _, f := range c.Files {
		for _, s := range [...]string{f.Partition, f.Staged, f.Final} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		b = binary.AppendUvarint(b, uint64(f.Size))
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// DecodeCommittable decodes and validates a committable produced by a
// TransactionalSink writer. Every path in it is checked (no "..", not
// absolute, staged names hidden, final names visible), so a decoded
// committable can only name files inside the sink's directory, or, from
// version 2, inside the directory it records (Dir, absolute, where the
// sink staged them; its CRC covers it).
func DecodeCommittable(p []byte) (Committable, error) {
	var c Committable
	bad := func(format string, args ...any) (Committable, error) {
		return Committable{}, fmt.Errorf("%w (%s)", ErrCorruptCommittable, fmt.Sprintf(format, args...))
	}
	if len(p) < 1+3+4 {
		return bad("length %d", len(p))
	}
	if p[0] != committableVersion && p[0] != committableVersionDir {
		return bad("unknown version %d", p[0])
	}
	body, sum := p[:len(p)-4], binary.BigEndian.Uint32(p[len(p)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return bad("checksum mismatch")
	}
	d := decoder{rest: body[1:]}
	if p[0] == committableVersionDir {
		c.Dir = d.str()
		if d.err != "" {
			return bad("dir: %s", d.err)
		}
		if c.Dir == "" || !filepath.IsAbs(c.Dir) || filepath.Clean(c.Dir) != c.Dir || strings.ContainsRune(c.Dir, 0) {
			return bad("dir %q is not an absolute clean path", c.Dir)
		}
	}
	subtask := d.uvarint()
	chk := d.uvarint()
	n := d.uvarint()
	if d.err != "" {
		return bad("header: %s", d.err)
	}
	if subtask > math.MaxInt32 || chk > math.MaxInt64 {
		return bad("subtask %d, checkpoint %d", subtask, chk)
	}
	// Every file takes at least 4 bytes, which bounds the count before
	// anything is allocated.
	if n == 0 || n > uint64(len(d.rest))/4 {
		return bad("%d files in %d bytes", n, len(d.rest))
	}
	c.Subtask, c.Checkpoint = int(subtask), int64(chk)
	c.Files = make([]StagedFile, n)
	seen := make(map[string]bool, 2*n)
	for i := range c.Files {
		f := &c.Files[i]
		f.Partition, f.Staged, f.Final = d.str(), d.str(), d.str()
		size := d.uvarint()
		if d.err != "" {
			return bad("file %d: %s", i, d.err)
		}
		if size > math.MaxInt64 {
			return bad("file %d: size %d", i, size)
		}
		f.Size = int64(size)
		if err := validPartition(f.Partition); err != nil {
			return bad("file %d: partition %q: %v", i, f.Partition, err)
		}
		if !validBase(f.Staged) || !strings.HasPrefix(f.Staged, ".") || !strings.HasSuffix(f.Staged, stagedSuffix) {
			return bad("file %d: staged name %q", i, f.Staged)
		}
		if !validBase(f.Final) || hiddenName(f.Final) {
			return bad("file %d: final name %q", i, f.Final)
		}
		ks, kf := f.Partition+"/"+f.Staged, f.Partition+"/"+f.Final
		if seen[ks] || seen[kf] {
			return bad("file %d: duplicate name", i)
		}
		seen[ks], seen[kf] = true, true
	}
	if len(d.rest) != 0 {
		return bad("%d bytes after the last file", len(d.rest))
	}
	return c, nil
}

// decoder reads varints and strings; the first problem sticks in err.
type decoder struct {
	rest []byte
	err  string
}

func (d *decoder) uvarint() uint64 {
	if d.err != "" {
		return 0
	}
	v, n := binary.Uvarint(d.rest)
	if n <= 0 || n != uvarintLen(v) {
		d.err = "bad varint"
		return 0
	}
	d.rest = d.rest[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != "" {
		return ""
	}
	if n > maxNameLen || n > uint64(len(d.rest)) {
		d.err = fmt.Sprintf("string of %d bytes", n)
		return ""
	}
	s := string(d.rest[:n])
	d.rest = d.rest[n:]
	return s
}

// validBase reports whether name can be a file name in a directory: not
// empty, ".", "..", without separators or NUL.
func validBase(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= 255 &&
		!strings.ContainsAny(name, "/\\\x00")
}

// hiddenName reports whether readers skip name (as the Source does).
func hiddenName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// validPartition checks a partition directory: "" (the sink's Dir) or a
// relative '/'-separated path without ".", ".." or empty elements, without
// backslashes or NUL, and without hidden elements (starting with '.').
func validPartition(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > maxNameLen {
		return fmt.Errorf("it is longer than %d bytes", maxNameLen)
	}
	if strings.ContainsAny(p, "\\\x00") {
		return errors.New(`it contains "\" or NUL`)
	}
	if strings.HasPrefix(p, "/") {
		return errors.New("it is absolute (it must be relative to Dir)")
	}
	if !fs.ValidPath(p) {
		return errors.New(`it must be a relative '/'-separated path without "", "." or ".." elements and without a trailing '/'`)
	}
	if _, err := filepath.Localize(p); err != nil {
		return fmt.Errorf("it is not a valid local path: %v", err)
	}
	for elem := range strings.SplitSeq(p, "/") {
		if strings.HasPrefix(elem, ".") {
			return fmt.Errorf("its element %q starts with '.' (hidden directories are not allowed)", elem)
		}
		if len(elem) > 255 {
			return fmt.Errorf("it has an element of %d bytes (at most 255)", len(elem))
		}
	}
	return nil
}
