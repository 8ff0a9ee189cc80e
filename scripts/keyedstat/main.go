// Command keyedstat prints what keyed state files of a checkpoint hold, per
// table: entries, subs, removed keys and bytes (BENCHMARKS.md, branch
// q9ov). It checks every CRC on the way (checkpoint.DecodeKeyed).
//
//	go run ./scripts/keyedstat DIR/chk-*/*.state
package main

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/task"
)

type st struct{ entries, subs, tombs, bytes, keyb, subb, valb int64 }

func main() {
	for _, p := range os.Args[1:] {
		data, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		_, _, chunks, err := checkpoint.DecodeKeyed(data)
		if err != nil {
			panic(err)
		}
		tabs := map[string]*st{}
		var kind byte
		for _, c := range chunks {
			s, _, err := task.SplitKeyedChunk(c)
			if err != nil {
				panic(err)
			}
			kind = s[0]
			b := s[1:]
			uv := func() uint64 { v, n := binary.Uvarint(b); b = b[n:]; return v }
			by := func() []byte { n := uv(); r := b[:n]; b = b[n:]; return r }
			nt := uv()
			for i := uint64(0); i < nt; i++ {
				name := string(by())
				t := tabs[name]
				if t == nil {
					t = &st{}
					tabs[name] = t
				}
				start := len(b)
				if kind == 2 {
					nr := uv()
					for j := uint64(0); j < nr; j++ {
						by()
						t.tombs++
					}
					ne := uv()
					for j := uint64(0); j < ne; j++ {
						t.keyb += int64(len(by()))
						t.entries++
						ns := uv()
						for k := uint64(0); k < ns; k++ {
							t.subb += int64(len(by()))
							t.valb += int64(len(by()))
							t.subs++
						}
					}
				} else {
					ne := uv()
					for j := uint64(0); j < ne; j++ {
						t.keyb += int64(len(by()))
						t.subb += int64(len(by()))
						t.valb += int64(len(by()))
						t.subs++
					}
				}
				t.bytes += int64(start - len(b))
			}
		}
		fmt.Printf("%s kind %d (1 full, 2 delta) size %d\n", p, kind, len(data))
		for n, t := range tabs {
			fmt.Printf("  %-12s entries %9d subs %9d tombs %8d bytes %11d key %10d sub %10d val %11d\n", n, t.entries, t.subs, t.tombs, t.bytes, t.keyb, t.subb, t.valb)
		}
	}
}
