package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
)

func sampleChunks() map[int][]byte {
	return map[int][]byte{
		3: []byte("key group three"),
		4: {0},
		7: bytes.Repeat([]byte("seven"), 100),
	}
}

func equalChunks(a, b map[int][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}

func TestKeyedRoundTrip(t *testing.T) {
	cases := []struct {
		start, end int
		chunks     map[int][]byte
	}{
		{3, 8, sampleChunks()},
		{0, 1, nil},
		{5, 5, nil},
		{0, 128, map[int][]byte{0: []byte("a"), 127: []byte("z")}},
		{0, MaxKeyGroups, map[int][]byte{MaxKeyGroups - 1: []byte("last")}},
		{10, 12, map[int][]byte{10: {}, 11: []byte("x")}}, // an empty chunk is absent
	}
	for _, c := range cases {
		data := EncodeKeyed(c.start, c.end, c.chunks)
		start, end, chunks, err := DecodeKeyed(data)
		if err != nil {
			t.Fatalf("[%d,%d): %v", c.start, c.end, err)
		}
		want := maps.Clone(c.chunks)
		maps.DeleteFunc(want, func(_ int, v []byte) bool { return len(v) == 0 })
		if start != c.start || end != c.end || !equalChunks(chunks, want) {
			t.Fatalf("[%d,%d): round trip gives [%d,%d) %v", c.start, c.end, start, end, chunks)
		}
		if again := EncodeKeyed(start, end, chunks); !bytes.Equal(again, data) {
			t.Fatalf("[%d,%d): re-encoding differs", c.start, c.end)
		}
		if int64(len(data)) < keyedMinSize(c.end-c.start) {
			t.Fatalf("[%d,%d): %d bytes, below the minimum", c.start, c.end, len(data))
		}
	}
}

func TestKeyedGolden(t *testing.T) {
	golden(t, "keyed-v1.bin", EncodeKeyed(3, 8, sampleChunks()))
}

func TestKeyedWriterStreams(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewKeyedWriter(&buf, 3, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, kg := range []int{3, 4, 7} {
		if err := w.WriteChunk(kg, sampleChunks()[kg]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteChunk(5, []byte("late")); err == nil {
		t.Fatal("out-of-order key group accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), EncodeKeyed(3, 8, sampleChunks())) {
		t.Fatal("the streaming writer and EncodeKeyed differ")
	}
	if sum := w.Sum(); sum.Size != int64(buf.Len()) || sum.CRC != CRC(buf.Bytes()) {
		t.Fatalf("Sum = %+v", sum)
	}
	if err := w.WriteChunk(7, nil); err == nil {
		t.Fatal("WriteChunk after Close accepted")
	}
	if _, err := NewKeyedWriter(&buf, 5, 4); err == nil {
		t.Fatal("inverted range accepted")
	}
	if _, err := NewKeyedWriter(&buf, 0, MaxKeyGroups+1); err == nil {
		t.Fatal("range past MaxKeyGroups accepted")
	}
}

func TestEncodeKeyedPanicsOnForeignKeyGroup(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "key group 9") {
			t.Fatalf("recovered %v", r)
		}
	}()
	EncodeKeyed(3, 8, map[int][]byte{9: []byte("x")})
}

// TestKeyedCorruption: every bit flip, truncation and junk tail is rejected
// by DecodeKeyed and by the index reader (frame and index) or Chunk.
func TestKeyedCorruption(t *testing.T) {
	data := EncodeKeyed(3, 8, map[int][]byte{3: []byte("abc"), 6: []byte("defgh")})
	viaIndex := func(b []byte) error {
		x, err := ReadKeyedIndex(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return err
		}
		for kg := x.Start; kg < x.End; kg++ {
			if _, err := x.Chunk(kg); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range data {
		for bit := range 8 {
			c := bytes.Clone(data)
			c[i] ^= 1 << bit
			_, _, _, err := DecodeKeyed(c)
			mustCorrupt(t, fmt.Sprintf("bit flip at byte %d", i), err)
			mustCorrupt(t, fmt.Sprintf("bit flip at byte %d via the index", i), viaIndex(c))
		}
	}
	for n := range len(data) {
		_, _, _, err := DecodeKeyed(data[:n])
		mustCorrupt(t, "truncation", err)
		mustCorrupt(t, "truncation via the index", viaIndex(data[:n]))
	}
	for _, junk := range [][]byte{{0}, []byte("junk"), bytes.Repeat([]byte{0xff}, 100), []byte(keyedMagic)} {
		c := append(bytes.Clone(data), junk...)
		_, _, _, err := DecodeKeyed(c)
		mustCorrupt(t, "junk tail", err)
		mustCorrupt(t, "junk tail via the index", viaIndex(c))
	}
}

func TestKeyedIndexReadsOneKeyGroup(t *testing.T) {
	data := EncodeKeyed(3, 8, sampleChunks())
	x, err := ReadKeyedIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if x.Start != 3 || x.End != 8 {
		t.Fatalf("range [%d,%d)", x.Start, x.End)
	}
	for kg := 3; kg < 8; kg++ {
		got, err := x.Chunk(kg)
		if err != nil || !bytes.Equal(got, sampleChunks()[kg]) {
			t.Fatalf("kg %d: %q, %v", kg, got, err)
		}
	}
	if _, err := x.Chunk(8); err == nil {
		t.Fatal("key group outside the range accepted")
	}
	// A damaged chunk fails only its own key group.
	c := bytes.Clone(data)
	c[keyedHeader+len("key group three")+1+2] ^= 1 // inside the chunk of 7
	x, err = ReadKeyedIndex(bytes.NewReader(c), int64(len(c)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Chunk(3); err != nil {
		t.Fatalf("intact key group 3: %v", err)
	}
	if _, err := x.Chunk(7); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged key group 7: %v", err)
	}
}

func FuzzDecodeKeyed(f *testing.F) {
	f.Add(EncodeKeyed(3, 8, sampleChunks()))
	f.Add(EncodeKeyed(0, 1, nil))
	f.Add(EncodeKeyed(0, 4, map[int][]byte{0: {1}, 1: {2, 3}, 3: {4}}))
	f.Add([]byte(keyedMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		start, end, chunks, err := DecodeKeyed(data)
		x, ierr := ReadKeyedIndex(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerVersion) {
				t.Fatalf("error wraps neither ErrCorrupt nor ErrNewerVersion: %v", err)
			}
			if ierr == nil { // the frame and index are fine: a chunk must be bad
				bad := false
				for kg := x.Start; kg < x.End; kg++ {
					if _, cerr := x.Chunk(kg); cerr != nil {
						bad = true
					}
				}
				if !bad {
					t.Fatalf("DecodeKeyed rejects (%v) what the index reader accepts", err)
				}
			}
		} else {
			// Accepted input is canonical, and the index agrees.
			if again := EncodeKeyed(start, end, chunks); !bytes.Equal(again, data) {
				t.Fatal("decode then encode changes the bytes")
			}
			if ierr != nil {
				t.Fatalf("the index reader rejects a valid file: %v", ierr)
			}
			for kg := start; kg < end; kg++ {
				c, err := x.Chunk(kg)
				if err != nil || !bytes.Equal(c, chunks[kg]) {
					t.Fatalf("Chunk(%d) = %q, %v; DecodeKeyed has %q", kg, c, err, chunks[kg])
				}
			}
		}
		// Round trip of arbitrary contents: the input cut into chunks.
		n := min(len(data)/4+1, 64)
		in := map[int][]byte{}
		for i, c := range bytes.SplitN(data, []byte{0}, n) {
			if len(c) > 0 {
				in[i] = c
			}
		}
		enc := EncodeKeyed(0, n, in)
		s, e, out, err := DecodeKeyed(enc)
		if err != nil || s != 0 || e != n || !equalChunks(in, out) {
			t.Fatalf("round trip of %d chunks: [%d,%d) %v", len(in), s, e, err)
		}
	})
}
