package operator

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/stromio/strom/internal/state"
)

// windowMergingTable holds the merging window set of each key.
const windowMergingTable = "window-merging"

// mergingWindows is Flink's MergingWindowSet for the current key: the
// key's live (merged) windows, each with its state window, the namespace
// under which its contents are kept. When windows merge, the result takes
// over the state window of one of them and the contents of the others are
// merged into it, so a growing session never copies its contents.
//
// It is persisted in keyed state (table "window-merging", no namespace) as
// pairs (window, state window) of AppendWindow bytes, sorted by start.
type mergingWindows struct {
	t      state.Table
	kc     *KeyContext
	m      []mwPair
	dirty  bool
	buf    []byte
	cands  []Window
	merged []Window
	mstate []Window
	// absorbed: the window the last add returned is, or took in, a
	// window that was in the set (whose timers the merge moved to it).
	absorbed bool
}

type mwPair struct{ w, state Window }

func (s *mergingWindows) bind(kc *KeyContext) {
	s.kc = kc
	s.t = kc.Backend.Table(windowMergingTable)
}

// load reads the set of the current key.
func (s *mergingWindows) load() {
	s.m = s.m[:0]
	s.dirty = false
	b, ok := s.t.Get(s.kc.KG, s.kc.Key, nil)
	if !ok {
		return
	}
	if len(b)%32 != 0 {
		panic(fmt.Errorf("operator: merging window set of %x is corrupt (%d bytes)", s.kc.Key, len(b)))
	}
	for ; len(b) > 0; b = b[32:] {
		s.m = append(s.m, mwPair{w: decodeWindow(b), state: decodeWindow(b[16:])})
	}
}

// persist writes the set back if it changed.
func (s *mergingWindows) persist() {
	if !s.dirty {
		return
	}
	s.dirty = false
	if len(s.m) == 0 {
		s.t.Delete(s.kc.KG, s.kc.Key, nil)
		return
	}
	b := s.buf[:0]
	for _, p := range s.m {
		b = AppendWindow(b, p.w)
		b = AppendWindow(b, p.state)
	}
	s.buf = b
	s.t.Put(s.kc.KG, s.kc.Key, nil, b)
}

func (s *mergingWindows) index(w Window) int {
	for i, p := range s.m {
		if p.w == w {
			return i
		}
	}
	return -1
}

// stateWindow is the state window of w, false when w is not live (it was
// merged away or retired).
func (s *mergingWindows) stateWindow(w Window) (Window, bool) {
	if i := s.index(w); i >= 0 {
		return s.m[i].state, true
	}
	return Window{}, false
}

// retire removes w from the set.
func (s *mergingWindows) retire(w Window) {
	if i := s.index(w); i >= 0 {
		s.m = slices.Delete(s.m, i, i+1)
		s.dirty = true
	}
}

func cmpWindow(a, b Window) int {
	if c := cmp.Compare(a.Start, b.Start); c != 0 {
		return c
	}
	return cmp.Compare(a.End, b.End)
}

// mergeFunc is called for every merge: merged (including possibly the new
// window, which has no state) became result; stateResult is the state
// window result keeps, mergedState the state windows to fold into it. The
// slices are reused after the call.
type mergeFunc func(result Window, merged []Window, stateResult Window, mergedState []Window)

// add adds nw to the set, merging it with the windows it overlaps (Flink's
// MergingWindowSet.addWindow with TimeWindow.mergeWindows), and returns the
// window nw ended up in.
func (s *mergingWindows) add(nw Window, merge mergeFunc) Window {
	exists := s.index(nw) >= 0
	s.cands = s.cands[:0]
	for _, p := range s.m {
		s.cands = append(s.cands, p.w)
	}
	if !exists {
		i, _ := slices.BinarySearchFunc(s.cands, nw, cmpWindow)
		s.cands = slices.Insert(s.cands, i, nw)
	}
	result, mergedNew := nw, false
	for i := 0; i < len(s.cands); {
		cover := s.cands[i]
		j := i + 1
		for j < len(s.cands) && cover.Intersects(s.cands[j]) {
			cover = cover.Cover(s.cands[j])
			j++
		}
		if j-i > 1 {
			s.merged = append(s.merged[:0], s.cands[i:j]...)
			if slices.Contains(s.merged, nw) {
				mergedNew, result = true, cover
			}
			s.mergeGroup(cover, merge)
		}
		i = j
	}
	if !mergedNew && !exists {
		s.m = append(s.m, mwPair{w: nw, state: nw})
		slices.SortFunc(s.m, func(a, b mwPair) int { return cmpWindow(a.w, b.w) })
		s.dirty = true
	}
	s.absorbed = exists || mergedNew
	return result
}

// mergeGroup replaces the windows of s.merged by cover.
func (s *mergingWindows) mergeGroup(cover Window, merge mergeFunc) {
	var stResult Window
	found := false
	s.mstate = s.mstate[:0]
	for _, w := range s.merged {
		i := s.index(w)
		if i < 0 {
			continue // the new window: no state yet
		}
		st := s.m[i].state
		s.m = slices.Delete(s.m, i, i+1)
		if !found {
			stResult, found = st, true
		} else {
			s.mstate = append(s.mstate, st)
		}
	}
	if !found {
		stResult = cover
	}
	s.m = append(s.m, mwPair{w: cover, state: stResult})
	slices.SortFunc(s.m, func(a, b mwPair) int { return cmpWindow(a.w, b.w) })
	s.dirty = true
	merge(cover, s.merged, stResult, s.mstate)
}

// decodeWindow decodes 16 bytes of AppendWindow (the caller checked the
// length).
func decodeWindow(b []byte) Window {
	return Window{Start: int64(binary.BigEndian.Uint64(b)), End: int64(binary.BigEndian.Uint64(b[8:16]))}
}
