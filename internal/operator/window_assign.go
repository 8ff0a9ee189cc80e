package operator

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/stromio/strom/internal/base"
)

// Window is the half-open event- or processing-time interval [Start, End).
// The global window is [MinTime, MaxTime).
type Window struct {
	Start, End int64
}

// MaxTimestamp is the last timestamp inside the window (End-1), the time its
// event-time trigger fires at, as in Flink.
func (w Window) MaxTimestamp() int64 {
	if w.End == base.MaxTime {
		return base.MaxTime
	}
	return w.End - 1
}

// Intersects reports whether the windows overlap or touch (session merging).
func (w Window) Intersects(o Window) bool { return w.Start <= o.End && o.Start <= w.End }

// Cover is the smallest window containing both.
func (w Window) Cover(o Window) Window {
	return Window{Start: min(w.Start, o.Start), End: max(w.End, o.End)}
}

func (w Window) String() string { return fmt.Sprintf("[%d,%d)", w.Start, w.End) }

// AppendWindow encodes w as 16 big-endian bytes (a state namespace).
func AppendWindow(dst []byte, w Window) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(w.Start))
	return binary.BigEndian.AppendUint64(dst, uint64(w.End))
}

// DecodeWindow decodes AppendWindow's bytes.
func DecodeWindow(b []byte) (Window, error) {
	if len(b) != 16 {
		return Window{}, fmt.Errorf("operator: window namespace needs 16 bytes, got %d", len(b))
	}
	return Window{Start: int64(binary.BigEndian.Uint64(b)), End: int64(binary.BigEndian.Uint64(b[8:]))}, nil
}

// WindowAssigner maps a record's timestamp to the windows it belongs to.
type WindowAssigner interface {
	// Assign appends the windows of an element with timestamp ts (event time)
	// or at processing time now (processing-time assigners) to dst.
	Assign(dst []Window, ts, now int64) []Window
	// EventTime reports whether windows are in event time.
	EventTime() bool
	// Merging reports whether windows merge (sessions).
	Merging() bool
}

// TumblingWindows are fixed-size, non-overlapping windows aligned to the
// epoch plus Offset.
type TumblingWindows struct {
	Size, Offset time.Duration
	Processing   bool
}

func (a TumblingWindows) Assign(dst []Window, ts, now int64) []Window {
	if a.Processing {
		ts = now
	}
	size := a.Size.Milliseconds()
	start := windowStart(ts, a.Offset.Milliseconds(), size)
	return append(dst, Window{Start: start, End: start + size})
}
func (a TumblingWindows) EventTime() bool { return !a.Processing }
func (a TumblingWindows) Merging() bool   { return false }

// SlidingWindows are windows of Size starting every Slide.
type SlidingWindows struct {
	Size, Slide, Offset time.Duration
	Processing          bool
}

func (a SlidingWindows) Assign(dst []Window, ts, now int64) []Window {
	if a.Processing {
		ts = now
	}
	size, slide := a.Size.Milliseconds(), a.Slide.Milliseconds()
	last := windowStart(ts, a.Offset.Milliseconds(), slide)
	for start := last; start > ts-size; start -= slide {
		dst = append(dst, Window{Start: start, End: start + size})
	}
	return dst
}
func (a SlidingWindows) EventTime() bool { return !a.Processing }
func (a SlidingWindows) Merging() bool   { return false }

// SessionWindows start a window [ts, ts+Gap) per element; windows that
// overlap merge.
type SessionWindows struct {
	Gap        time.Duration
	Processing bool
}

func (a SessionWindows) Assign(dst []Window, ts, now int64) []Window {
	if a.Processing {
		ts = now
	}
	return append(dst, Window{Start: ts, End: ts + a.Gap.Milliseconds()})
}
func (a SessionWindows) EventTime() bool { return !a.Processing }
func (a SessionWindows) Merging() bool   { return true }

// GlobalWindows put every element into the single global window; it fires
// only through a custom trigger (a count trigger, typically). As in Flink it
// is not an event-time assigner: elements need no timestamp, nothing is ever
// late, and the window's state is never cleaned up by time.
type GlobalWindows struct{}

func (GlobalWindows) Assign(dst []Window, _, _ int64) []Window {
	return append(dst, Window{Start: base.MinTime, End: base.MaxTime})
}
func (GlobalWindows) EventTime() bool { return false }
func (GlobalWindows) Merging() bool   { return false }

// windowStart is Flink's TimeWindow.getWindowStartWithOffset (floor
// division, correct for negative timestamps).
func windowStart(ts, offset, size int64) int64 {
	r := (ts - offset) % size
	if r < 0 {
		r += size
	}
	return ts - r
}

// Validate checks an assigner's sizes.
func ValidateAssigner(a WindowAssigner) error {
	switch a := a.(type) {
	case TumblingWindows:
		if a.Size < time.Millisecond || a.Offset < 0 || a.Offset >= a.Size {
			return fmt.Errorf("tumbling window: size must be >= 1ms and 0 <= offset < size (size %v, offset %v)", a.Size, a.Offset)
		}
	case SlidingWindows:
		if a.Size < time.Millisecond || a.Slide < time.Millisecond || a.Offset < 0 || a.Offset >= a.Slide {
			return fmt.Errorf("sliding window: size and slide must be >= 1ms and 0 <= offset < slide (size %v, slide %v, offset %v)", a.Size, a.Slide, a.Offset)
		}
	case SessionWindows:
		if a.Gap < time.Millisecond {
			return fmt.Errorf("session window: gap must be >= 1ms, got %v", a.Gap)
		}
	}
	return nil
}
