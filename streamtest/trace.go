package streamtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RunTrace replays a trace file against h and compares every output with the
// file. A trace is text, one step a line:
//
//	# comment
//	> record TS JSON        push a record (TS "-" for no timestamp)
//	> watermark TS          advance event time
//	> advance DURATION      advance processing time (Go duration syntax)
//	> end                   end the input
//	> state BYTES           assert the operators' total keyed state size
//	> late N                assert the number of late records so far
//	< TS JSON               an expected output of the step above, in order
//
// With STREAMTEST_UPDATE=1 in the environment the "<" lines are rewritten
// from the actual output instead of compared.
func RunTrace[I, O any](t *testing.T, path string, h *Harness[I, O]) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("STREAMTEST_UPDATE") == "1"
	var out bytes.Buffer
	var expected []string
	var actual []string
	lineNo := 0
	flush := func() {
		if !update && strings.Join(actual, "\n") != strings.Join(expected, "\n") {
			t.Errorf("%s:%d: output mismatch\n got:\n  %s\nwant:\n  %s", path, lineNo,
				strings.Join(actual, "\n  "), strings.Join(expected, "\n  "))
		}
		if update {
			for _, a := range actual {
				out.WriteString("< " + a + "\n")
			}
		}
		expected, actual = nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		lineNo++
		switch {
		case strings.HasPrefix(line, "< "):
			expected = append(expected, strings.TrimPrefix(line, "< "))
			continue
		case strings.HasPrefix(line, "> "):
			flush()
			out.WriteString(line + "\n")
			if err := step(h, strings.Fields(strings.TrimPrefix(line, "> ")), line); err != nil {
				t.Fatalf("%s:%d: %v", path, lineNo, err)
			}
			for _, r := range h.Output() {
				b, err := json.Marshal(r.Value)
				if err != nil {
					t.Fatalf("%s:%d: encode output: %v", path, lineNo, err)
				}
				actual = append(actual, fmt.Sprintf("%s %s", fmtTS(r.TS), b))
			}
		default:
			flush()
			out.WriteString(line + "\n")
		}
	}
	flush()
	if update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fmtTS(ts int64) string {
	if ts == minTime {
		return "-"
	}
	return strconv.FormatInt(ts, 10)
}

const minTime = -1 << 63

func parseTS(s string) (int64, error) {
	if s == "-" {
		return minTime, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

func step[I, O any](h *Harness[I, O], f []string, line string) error {
	if len(f) == 0 {
		return fmt.Errorf("empty step")
	}
	switch f[0] {
	case "record":
		if len(f) < 3 {
			return fmt.Errorf("want: > record TS JSON")
		}
		ts, err := parseTS(f[1])
		if err != nil {
			return fmt.Errorf("bad timestamp %q: %w", f[1], err)
		}
		_, rest, _ := strings.Cut(strings.TrimPrefix(line, "> "), "record")
		_, raw, _ := strings.Cut(strings.TrimSpace(rest), " ")
		var v I
		if err := json.Unmarshal([]byte(strings.TrimSpace(raw)), &v); err != nil {
			return fmt.Errorf("bad record JSON %q: %w", raw, err)
		}
		return h.Record(ts, v)
	case "watermark":
		ts, err := parseTS(f[1])
		if err != nil {
			return err
		}
		return h.Watermark(ts)
	case "advance":
		d, err := time.ParseDuration(f[1])
		if err != nil {
			return err
		}
		return h.AdvanceClock(d)
	case "end":
		return h.EndInput()
	case "state":
		want, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return err
		}
		if got := h.StateBytes(); got != want {
			return fmt.Errorf("state holds %d bytes, want %d", got, want)
		}
	case "late":
		want, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return err
		}
		if got := h.LateRecords(); got != want {
			return fmt.Errorf("%d late records, want %d", got, want)
		}
	default:
		return fmt.Errorf("unknown step %q", f[0])
	}
	return nil
}
