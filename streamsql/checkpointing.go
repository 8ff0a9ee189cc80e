package streamsql

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Flink's checkpoint configuration keys, which SET takes: with
// 'execution.checkpointing.interval' and 'state.checkpoints.dir' the
// session's jobs take checkpoints when Options.Checkpoints gives none.
const (
	OptCheckpointInterval      = "execution.checkpointing.interval"
	OptCheckpointTimeout       = "execution.checkpointing.timeout"
	OptCheckpointMinPause      = "execution.checkpointing.min-pause"
	OptCheckpointMaxConcurrent = "execution.checkpointing.max-concurrent-checkpoints"
	OptCheckpointMode          = "execution.checkpointing.mode"
	OptCheckpointDir           = "state.checkpoints.dir"
	OptCheckpointsRetained     = "state.checkpoints.num-retained"
)

// checkpointKeys are the keys above, in the order messages list them.
var checkpointKeys = []string{OptCheckpointInterval, OptCheckpointDir, OptCheckpointTimeout, OptCheckpointMinPause,
	OptCheckpointMaxConcurrent, OptCheckpointsRetained, OptCheckpointMode}

func isCheckpointKey(k string) bool {
	for _, c := range checkpointKeys {
		if k == c {
			return true
		}
	}
	return false
}

// checkCheckpointSetting validates SET key = value for a checkpoint key;
// the error says what the key takes.
func checkCheckpointSetting(key, value string) error {
	switch key {
	case OptCheckpointInterval, OptCheckpointTimeout, OptCheckpointMinPause:
		d, err := connector.ParseDuration(value)
		if err != nil {
			return fmt.Errorf("%v (write e.g. '10 s', '1 min' or '10000')", err)
		}
		if key != OptCheckpointMinPause && d < time.Millisecond {
			return fmt.Errorf("'%s' must be at least 1 ms", value)
		}
	case OptCheckpointMaxConcurrent, OptCheckpointsRetained:
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("'%s' is not a number from 1 to 1000", value)
		}
	case OptCheckpointMode:
		switch strings.ToUpper(strings.TrimSpace(value)) {
		case "EXACTLY_ONCE":
		case "AT_LEAST_ONCE":
			return fmt.Errorf("strom's checkpoints are always exactly-once (aligned barriers): only 'EXACTLY_ONCE' is supported")
		default:
			return fmt.Errorf("'%s' is not a checkpointing mode: 'EXACTLY_ONCE' is supported", value)
		}
	case OptCheckpointDir:
		if strings.TrimSpace(value) == "" {
			return fmt.Errorf("the directory is empty")
		}
	}
	return nil
}

// checkpointSettings returns the checkpoint keys SET in the session.
func (s *Session) checkpointSettings() []string {
	var ks []string
	for _, k := range checkpointKeys {
		if _, ok := s.cat.Options[k]; ok {
			ks = append(ks, k)
		}
	}
	return ks
}

func quoteKeys(ks []string) string {
	q := make([]string, len(ks))
	for i, k := range ks {
		q[i] = "'" + k + "'"
	}
	return strings.Join(q, ", ")
}

// checkpoints returns the checkpoint options of the session's next job:
// Options.Checkpoints (given, the SET checkpoint keys are ignored with a
// warning), else those the SET keys give (nil: none). SET keys that would
// have no effect (no interval, or no directory) are an error.
func (s *Session) checkpoints() (*stream.CheckpointOptions, error) {
	set := s.checkpointSettings()
	if s.opts.Checkpoints != nil {
		return s.opts.Checkpoints, nil
	}
	if len(set) == 0 {
		return nil, nil
	}
	o := s.cat.Options
	dir, hasDir := o[OptCheckpointDir]
	_, hasIv := o[OptCheckpointInterval]
	switch {
	case !hasIv:
		return nil, fmt.Errorf("SET %s has no effect without '%s': the job takes no checkpoints; SET '%s' = '10 s' (and '%s') to take them, or RESET the keys",
			quoteKeys(set), OptCheckpointInterval, OptCheckpointInterval, OptCheckpointDir)
	case !hasDir:
		return nil, fmt.Errorf("SET '%s' turns checkpoints on, which need a directory: SET '%s' = 'DIR' (a directory, or s3://BUCKET/PREFIX), or give --checkpoint-dir",
			OptCheckpointInterval, OptCheckpointDir)
	}
	c := &stream.CheckpointOptions{Dir: strings.TrimPrefix(strings.TrimSpace(dir), "file://")}
	var err error
	dur := func(k string) time.Duration {
		if v, ok := o[k]; ok && err == nil {
			var d time.Duration
			if d, err = connector.ParseDuration(v); err != nil {
				err = fmt.Errorf("SET '%s' = '%s': %v", k, v, err)
			}
			return d
		}
		return 0
	}
	num := func(k string) int {
		if v, ok := o[k]; ok && err == nil {
			n, perr := strconv.Atoi(strings.TrimSpace(v))
			if perr != nil {
				err = fmt.Errorf("SET '%s' = '%s': not a number", k, v)
			}
			return n
		}
		return 0
	}
	c.Interval, c.Timeout, c.MinPause = dur(OptCheckpointInterval), dur(OptCheckpointTimeout), dur(OptCheckpointMinPause)
	c.MaxConcurrent, c.Retained = num(OptCheckpointMaxConcurrent), num(OptCheckpointsRetained)
	if err != nil {
		return nil, err
	}
	if c.Timeout != 0 && c.Timeout < c.Interval {
		return nil, fmt.Errorf("SET '%s' (%v) must not be below '%s' (%v)", OptCheckpointTimeout, c.Timeout, OptCheckpointInterval, c.Interval)
	}
	return c, nil
}

// warnOverridden warns, once per job, when Options.Checkpoints overrides
// SET checkpoint keys.
func (s *Session) warnOverridden() {
	if set := s.checkpointSettings(); s.opts.Checkpoints != nil && len(set) > 0 {
		s.warnf("the job takes checkpoints as the command line's --checkpoint-dir and --checkpoint-* flags say (they take precedence): SET %s ignored", quoteKeys(set))
	}
}

func (s *Session) warnf(format string, args ...any) {
	if s.opts.Warnf != nil {
		s.opts.Warnf(format, args...)
		return
	}
	fmt.Fprintf(os.Stderr, "strom: WARNING: "+format+"\n", args...)
}

// warnUncommitted warns when a job without checkpoints that never ends
// writes into sinks that make their output visible only when a checkpoint
// completes (the file sink, exactly-once journal and Kafka sinks): its
// output would never be visible. A bounded job commits at its end.
func (s *Session) warnUncommitted(env *stream.Environment, names []string, conns []connector.Sink[table.Row]) {
	if env.CheckpointOptions() != nil || env.Bounded() {
		return
	}
	var tables []string
	for i, c := range conns {
		if _, ok := c.(connector.Committer); !ok {
			continue
		}
		if t, ok := c.(connector.Transactional); ok && !t.Transactional() {
			continue // an at-least-once journal or Kafka sink: visible at once
		}
		tables = append(tables, "`"+names[i]+"`")
	}
	if len(tables) == 0 {
		return
	}
	s.warnf("the job writes %s, which makes its output visible only when a checkpoint completes (or at the end of a bounded input), "+
		"and it runs without checkpoints on an unbounded input: its output stays invisible (hidden .inprogress files for the file connector). "+
		"Take checkpoints: --checkpoint-dir DIR --checkpoint-interval 10s, or SET '%s' = '10 s'; SET '%s' = 'DIR';",
		strings.Join(tables, ", "), OptCheckpointInterval, OptCheckpointDir)
}
