// Package streamsql runs streaming SQL (Flink's dialect) on strom: a Session
// keeps a catalog of tables and views, executes DDL, SET, SHOW, DESCRIBE
// and EXPLAIN at once, and runs INSERT INTO (and STATEMENT SET: one job
// writing several tables) and bare SELECT queries as jobs built with the
// DataStream API. Tables read and write through connector.TableFactory
// implementations given in Options.
//
//	s := streamsql.NewSession(streamsql.Options{Factories: factories})
//	_, err := s.Exec(ctx, `
//	    CREATE TABLE bids (...) WITH ('connector' = 'nexmark');
//	    CREATE TABLE out (...) WITH ('connector' = 'print');
//	    INSERT INTO out SELECT ... FROM bids;`)
package streamsql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/internal/sql/planner"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Options configure a Session and the jobs it runs.
type Options struct {
	// Factories are the connectors tables may name in WITH ('connector' = ...).
	Factories []connector.TableFactory
	// Parallelism of the jobs (default 1); MaxParallelism their key groups.
	Parallelism    int
	MaxParallelism int
	// Checkpoints and Restart as in stream.Options (nil: none).
	Checkpoints *stream.CheckpointOptions
	Restart     *stream.RestartStrategy
	// Name of the jobs (default "sql").
	Name string
	// Clock is the jobs' processing-time clock (state TTL; default: the
	// system clock), stream.NewManualClock in tests.
	Clock stream.Clock
	// Out receives, as they happen, what the statements print (also in
	// Result.Text) and the rows of bare SELECT queries as a table (not in
	// Result; default: they are discarded).
	Out io.Writer
	// Warnf receives warnings about the jobs (a job whose output would
	// stay invisible, SET checkpoint keys that Checkpoints overrides);
	// default: standard error.
	Warnf func(format string, args ...any)
	// NoCheckpoints, when set, is why the session's jobs run without
	// checkpoints (the interactive shell's): SET of a checkpoint key
	// ('execution.checkpointing.interval', 'state.checkpoints.dir', ...)
	// is then an error saying so, rather than accepted and ignored.
	NoCheckpoints string
	// Execute runs a job that Exec built (default: env.Execute(ctx)); the
	// CLI serves its savepoint control socket around it.
	Execute func(ctx context.Context, env *stream.Environment) error
}

// Session is a SQL session: a catalog and the options of its jobs. It is
// not safe for concurrent use.
type Session struct {
	opts Options
	cat  *catalog.Catalog
	reg  *expr.Registry
	pl   *planner.Planner
}

// NewSession returns a session with an empty catalog.
func NewSession(opts Options) *Session {
	cat := catalog.New()
	reg := expr.NewBuiltinRegistry()
	pl := planner.New(cat, reg, opts.Factories)
	pl.Parallelism = opts.Parallelism
	return &Session{opts: opts, cat: cat, reg: reg, pl: pl}
}

// Result is what executing a script gave: the text the statements printed
// (OK lines, SHOW, DESCRIBE, EXPLAIN output), one block per statement.
type Result struct {
	Text string
}

// Error is a planning or parsing error with its position in the script.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg) }

// Pretty is the error with the line of src it is on and a caret under its
// column.
func (e *Error) Pretty(src string) string {
	return e.Error() + parser.Excerpt(src, e.Line, e.Col)
}

func convertErr(err error) error {
	var pe *planner.Error
	if errors.As(err, &pe) {
		return &Error{Line: pe.Line, Col: pe.Col, Msg: pe.Msg}
	}
	var se *parser.Error
	if errors.As(err, &se) {
		return &Error{Line: se.Line, Col: se.Col, Msg: strings.TrimPrefix(se.Error(), fmt.Sprintf("line %d, column %d: ", se.Line, se.Col))}
	}
	return err
}

// RegisterScalar adds a Go scalar function to the session's functions:
// name(params...) -> result. fn is not called when an argument is NULL
// (the result is NULL).
func (s *Session) RegisterScalar(name string, result table.Type, params []table.Type, fn func(args []table.Value) (table.Value, error)) {
	var sig []string
	for _, p := range params {
		sig = append(sig, p.String())
	}
	s.reg.Register(name, expr.Overload{
		Sig:  fmt.Sprintf("%s(%s) -> %s", strings.ToUpper(name), strings.Join(sig, ", "), result),
		Bind: expr.Fixed(result, params...),
		Impl: func(*expr.Bound) (expr.Func, error) {
			return expr.Func{FN: fn}, nil
		},
		UserDefined: true,
	})
}

// AggregateFunc is the interface of an aggregate function: an accumulator
// of table.Values (its types for state), Add/Retract/Merge and Result.
type AggregateFunc = expr.AggregateFunc

// RegisterAggregate adds a Go aggregate function: newFn returns the
// function for the argument types of a call (or an error saying what it
// expects). It is used like the built-in ones, with FILTER (WHERE ...) but
// without DISTINCT; over an updating input it must retract.
func (s *Session) RegisterAggregate(name string, newFn func(args []table.Type) (AggregateFunc, error)) {
	s.pl.RegisterAggregate(name, planner.AggregateFactory(newFn))
}

// Exec executes a script of statements separated by ";". Statements that
// run a job (INSERT INTO, STATEMENT SET, SELECT) block until it ends
// (bounded sources) or ctx is canceled.
func (s *Session) Exec(ctx context.Context, text string) (Result, error) {
	var res Result
	err := s.exec(ctx, text, &res, func(env *stream.Environment) error {
		if s.opts.Execute != nil {
			return s.opts.Execute(ctx, env)
		}
		return env.Execute(ctx)
	})
	return res, err
}

// Job is a running job started by Submit.
type Job = stream.Job

// Submit executes the script like Exec, except that the job of its
// INSERT INTO statements (all of them, as one job) is started and returned
// rather than waited for. A script without INSERT returns a nil Job.
func (s *Session) Submit(ctx context.Context, text string) (*Job, Result, error) {
	script, err := parser.ParseScript(text)
	if err != nil {
		return nil, Result{}, convertErr(err)
	}
	var res Result
	var sinks []*planner.Sink
	// fail puts the catalog (tables, views, SET options) and the names
	// CREATE FUNCTION gave back as they were before the script: nothing
	// of a failed script is kept.
	cat, funcs := s.cat.Snapshot(), s.pl.SnapshotFunctions()
	fail := func(err error) (*Job, Result, error) {
		s.cat.Restore(cat)
		s.pl.RestoreFunctions(funcs)
		return nil, res, err
	}
	for _, st := range script.Stmts {
		switch x := st.(type) {
		case *parser.Insert:
			sk, err := s.pl.Insert(x)
			if err != nil {
				return fail(convertErr(err))
			}
			sinks = append(sinks, sk)
		case *parser.StatementSet:
			for _, ins := range x.Inserts {
				sk, err := s.pl.Insert(ins)
				if err != nil {
					return fail(convertErr(err))
				}
				sinks = append(sinks, sk)
			}
		case *parser.CreateTable:
			if x.AsQuery == nil {
				if err := s.execOne(ctx, st, &res, nil); err != nil {
					return fail(err)
				}
				continue
			}
			_, sk, _, err := s.pl.CreateTableAs(x)
			if err != nil {
				return fail(convertErr(err))
			}
			sinks = append(sinks, sk)
		case *parser.QueryStmt:
			return fail(convertErr(errAt(x, "Submit runs INSERT INTO statements; use Exec for a bare SELECT")))
		default:
			if err := s.execOne(ctx, st, &res, nil); err != nil {
				return fail(err)
			}
		}
	}
	if len(sinks) == 0 {
		return nil, res, nil
	}
	env, err := s.jobEnv(ctx, sinks)
	if err != nil {
		return fail(err)
	}
	j, err := env.Start(ctx)
	if err != nil {
		return fail(err)
	}
	return j, res, nil
}

func errAt(n parser.Node, format string, args ...any) error {
	p := n.Pos()
	return &planner.Error{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

func (s *Session) exec(ctx context.Context, text string, res *Result, run func(*stream.Environment) error) error {
	script, err := parser.ParseScript(text)
	if err != nil {
		return convertErr(err)
	}
	for _, st := range script.Stmts {
		if err := s.execOne(ctx, st, res, run); err != nil {
			return err
		}
	}
	return nil
}

// env returns the environment of a job: the session's options, with the
// SET options 'parallelism.default' and 'pipeline.name' taking precedence,
// and checkpoints as checkpoints() says.
func (s *Session) env() (*stream.Environment, error) {
	ck, err := s.checkpoints()
	if err != nil {
		return nil, err
	}
	s.warnOverridden()
	name := s.opts.Name
	if name == "" {
		name = "sql"
	}
	if n := s.cat.Options["pipeline.name"]; n != "" {
		name = n
	}
	par := s.opts.Parallelism
	if p, ok := s.cat.Options["parallelism.default"]; ok {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 || v > 1024 {
			return nil, fmt.Errorf("SET 'parallelism.default' = '%s': expected a number from 1 to 1024", p)
		}
		par = v
	}
	return stream.NewEnvironment(stream.Options{Parallelism: par, MaxParallelism: s.opts.MaxParallelism,
		Checkpoints: ck, Restart: s.opts.Restart, Name: name, Clock: s.opts.Clock}), nil
}

// jobTiming is the checkpoint interval of the session's jobs (the
// default of stream.CheckpointOptions when it gives none; 0 without
// checkpoints) and the longest delay of their restart strategy before a
// restart (0 without one): the sinks check their transaction timeouts
// against the sum.
func (s *Session) jobTiming() (interval, restart time.Duration, err error) {
	c, err := s.checkpoints()
	if err != nil {
		return 0, 0, err
	}
	if c != nil {
		interval = c.Interval
		if interval <= 0 {
			interval = time.Second // stream.CheckpointOptions' default
		}
	}
	if r := s.opts.Restart; r != nil && r.MaxAttempts > 0 {
		// The delay of restart k is Delay * Backoff^(k-1), capped at
		// MaxDelay (stream's restart loop).
		d := r.Delay
		restart = d
		for k := 1; k < r.MaxAttempts && r.Backoff > 1; k++ {
			d = time.Duration(float64(d) * r.Backoff)
			if r.MaxDelay > 0 && d > r.MaxDelay {
				d = r.MaxDelay
			}
			if d <= restart {
				break
			}
			restart = d
		}
		if r.MaxDelay > 0 && restart > r.MaxDelay {
			restart = r.MaxDelay
		}
	}
	return interval, restart, nil
}

// jobEnv plans the job of sinks: each sink is asked whether it takes its
// plan's changelog before anything runs.
func (s *Session) jobEnv(ctx context.Context, sinks []*planner.Sink) (*stream.Environment, error) {
	interval, restart, err := s.jobTiming()
	if err != nil {
		return nil, err
	}
	var conns []connector.Sink[table.Row]
	var names []string
	for _, sk := range sinks {
		names = append(names, sk.Table.Name)
		c, err := s.pl.CheckSink(ctx, sk, interval, restart)
		if err != nil {
			return nil, convertErr(err)
		}
		conns = append(conns, c)
	}
	env, err := s.env()
	if err != nil {
		return nil, err
	}
	if err := s.pl.Translate(ctx, env, sinks, conns); err != nil {
		return nil, convertErr(err)
	}
	s.warnUncommitted(env, names, conns)
	return env, nil
}

func (s *Session) execOne(ctx context.Context, st parser.Stmt, res *Result, run func(*stream.Environment) error) error {
	out := func(format string, args ...any) {
		t := fmt.Sprintf(format, args...)
		res.Text += t
		if s.opts.Out != nil {
			io.WriteString(s.opts.Out, t)
		}
	}
	switch x := st.(type) {
	case *parser.CreateTable:
		if x.AsQuery != nil {
			// CTAS: create the table from the query, then run the INSERT.
			_, sk, undo, err := s.pl.CreateTableAs(x)
			if err != nil {
				return convertErr(err)
			}
			env, err := s.jobEnv(ctx, []*planner.Sink{sk})
			if err != nil {
				// The query cannot be run into the table (e.g. an
				// append-only sink for an updating query): the catalog
				// as it was.
				if uerr := undo(); uerr != nil {
					return fmt.Errorf("%w (and putting the catalog back: %v)", err, uerr)
				}
				return err
			}
			if run == nil {
				return nil
			}
			return run(env)
		}
		if err := s.pl.CreateTable(x); err != nil {
			return convertErr(err)
		}
		out("OK\n")
	case *parser.CreateView:
		if err := s.pl.CreateView(x); err != nil {
			return convertErr(err)
		}
		out("OK\n")
	case *parser.CreateFunction:
		if err := s.pl.CreateFunction(x); err != nil {
			return convertErr(err)
		}
		out("OK\n")
	case *parser.Drop:
		if x.Object == "FUNCTION" {
			if err := s.pl.DropFunction(x); err != nil {
				return convertErr(err)
			}
			out("OK\n")
			return nil
		}
		if err := s.cat.Drop(x.Object, x.Name.Parts[len(x.Name.Parts)-1].Name, x.IfExists); err != nil {
			return convertErr(errAt(x.Name, "%v", err))
		}
		out("OK\n")
	case *parser.Show:
		switch x.What {
		case "TABLES":
			for _, n := range s.cat.Tables() {
				out("%s\n", n)
			}
		case "VIEWS":
			for _, n := range s.cat.Views() {
				out("%s\n", n)
			}
		case "FUNCTIONS":
			for _, n := range s.reg.Names() {
				if !strings.HasPrefix(n, "$") { // internal: $FIELD, $ITEM, $ARRAY ...
					out("%s\n", n)
				}
			}
		case "CREATE TABLE":
			t, ok := s.cat.Table(x.Name.Parts[len(x.Name.Parts)-1].Name)
			if !ok {
				return convertErr(errAt(x.Name, "unknown table `%s`", x.Name))
			}
			out("%s\n", t.Def.String())
		default:
			return convertErr(errAt(x, "SHOW %s is not supported yet", x.What))
		}
	case *parser.Describe:
		name := x.Name.Parts[len(x.Name.Parts)-1].Name
		t, ok := s.cat.Table(name)
		if !ok {
			if v, ok := s.cat.View(name); ok {
				n, err := s.pl.Query(v.Query)
				if err != nil {
					return convertErr(err)
				}
				for _, c := range n.Cols() {
					out("%-16s %s\n", c.Name, c.Type)
				}
				return nil
			}
			msg := fmt.Sprintf("unknown table `%s`", name)
			if sug := s.cat.Suggest(name); sug != "" {
				msg += fmt.Sprintf("; did you mean `%s`?", sug)
			}
			return convertErr(errAt(x.Name, "%s", msg))
		}
		out("%s", t.Describe())
	case *parser.Set:
		if x.Key == nil {
			var ks []string
			for k := range s.cat.Options {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				out("'%s' = '%s'\n", k, s.cat.Options[k])
			}
			return nil
		}
		if *x.Key == planner.StateTTLOption {
			if _, err := connector.ParseDuration(*x.Value); err != nil {
				return convertErr(errAt(x, "SET '%s': %v (write e.g. '1 h', '30 min' or '3600000')", *x.Key, err))
			}
		}
		if isCheckpointKey(*x.Key) {
			if s.opts.NoCheckpoints != "" {
				return convertErr(errAt(x, "SET '%s': %s", *x.Key, s.opts.NoCheckpoints))
			}
			if err := checkCheckpointSetting(*x.Key, *x.Value); err != nil {
				return convertErr(errAt(x, "SET '%s': %v", *x.Key, err))
			}
		}
		if *x.Key == planner.LocalTimeZoneOption {
			if _, err := planner.ParseTimeZone(*x.Value); err != nil {
				return convertErr(errAt(x, "SET '%s': %v", *x.Key, err))
			}
		}
		s.cat.Options[*x.Key] = *x.Value
		out("OK\n")
	case *parser.Reset:
		if x.Key == nil {
			clear(s.cat.Options)
		} else {
			delete(s.cat.Options, *x.Key)
		}
		out("OK\n")
	case *parser.Explain:
		text, err := s.explain(x.Stmt)
		if err != nil {
			return err
		}
		out("%s", text)
	case *parser.Insert:
		return s.runInserts(ctx, []*parser.Insert{x}, res, run)
	case *parser.StatementSet:
		return s.runInserts(ctx, x.Inserts, res, run)
	case *parser.QueryStmt:
		return s.runSelect(ctx, x, res, run)
	default:
		return convertErr(errAt(st, "%T statements are not supported yet", st))
	}
	return nil
}

func (s *Session) explain(st parser.Stmt) (string, error) {
	var b strings.Builder
	switch x := st.(type) {
	case *parser.Insert:
		sk, err := s.pl.Insert(x)
		if err != nil {
			return "", convertErr(err)
		}
		text, err := s.pl.ExplainJob(planner.KeepSharedJoins([]*planner.Sink{sk})[0])
		if err != nil {
			return "", convertErr(err)
		}
		b.WriteString(text)
	case *parser.StatementSet:
		var sinks []*planner.Sink
		for _, ins := range x.Inserts {
			sk, err := s.pl.Insert(ins)
			if err != nil {
				return "", convertErr(err)
			}
			sinks = append(sinks, sk)
		}
		// The plans the job runs (without filter push-down when it
		// would unshare a join: planner.KeepSharedJoins), with the
		// subtrees they share (planner.ExplainJob).
		var roots []planner.Node
		for _, sk := range planner.KeepSharedJoins(sinks) {
			roots = append(roots, sk)
		}
		text, err := s.pl.ExplainJob(roots...)
		if err != nil {
			return "", convertErr(err)
		}
		b.WriteString(text)
	case *parser.QueryStmt:
		n, err := s.pl.Query(x.Query)
		if err != nil {
			return "", convertErr(err)
		}
		text, err := s.pl.ExplainJob(n)
		if err != nil {
			return "", convertErr(err)
		}
		b.WriteString(text)
	case *parser.CreateTable:
		if x.AsQuery == nil {
			return "", convertErr(errAt(st, "EXPLAIN of CREATE TABLE is only supported with AS query"))
		}
		// The plan of the INSERT into the table as it would be created;
		// the catalog stays as it is.
		_, sk, undo, err := s.pl.CreateTableAs(x)
		if err != nil {
			return "", convertErr(err)
		}
		text, err := s.pl.ExplainJob(planner.KeepSharedJoins([]*planner.Sink{sk})[0])
		if uerr := undo(); uerr != nil {
			return "", uerr
		}
		if err != nil {
			return "", convertErr(err)
		}
		b.WriteString(text)
	default:
		return "", convertErr(errAt(st, "EXPLAIN of %T is not supported", st))
	}
	return b.String(), nil
}

func (s *Session) runInserts(ctx context.Context, ins []*parser.Insert, res *Result, run func(*stream.Environment) error) error {
	var sinks []*planner.Sink
	for _, in := range ins {
		sk, err := s.pl.Insert(in)
		if err != nil {
			return convertErr(err)
		}
		sinks = append(sinks, sk)
	}
	env, err := s.jobEnv(ctx, sinks)
	if err != nil {
		return err
	}
	if run == nil {
		return nil
	}
	return run(env)
}

func (s *Session) runSelect(ctx context.Context, q *parser.QueryStmt, res *Result, run func(*stream.Environment) error) error {
	n, err := s.pl.Query(q.Query)
	if err != nil {
		return convertErr(err)
	}
	env, err := s.env()
	if err != nil {
		return err
	}
	loc, err := s.pl.Location()
	if err != nil {
		return err
	}
	sink := &tableWriter{w: s.opts.Out, cols: n.Cols(), loc: loc}
	if err := s.pl.TranslateTo(ctx, env, n, sink); err != nil {
		return convertErr(err)
	}
	if run == nil {
		return nil
	}
	return run(env)
}

// tableWriter prints the rows of a bare SELECT: a header, then one line per
// row with its kind; a TIMESTAMP_LTZ as wall-clock time in the session time
// zone, as Flink's SQL client shows it.
type tableWriter struct {
	mu     sync.Mutex
	w      io.Writer
	cols   []planner.Col
	loc    *time.Location
	header bool
}

func (t *tableWriter) Open(context.Context, connector.SinkInfo) (connector.Writer[table.Row], error) {
	return t, nil
}

func (t *tableWriter) Write(r table.Row, _ int64) error {
	if t.w == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.header {
		t.header = true
		h := []string{"op"}
		for _, c := range t.cols {
			h = append(h, c.Name)
		}
		fmt.Fprintln(t.w, strings.Join(h, " | "))
	}
	f := []string{r.Kind.String()}
	for i, v := range r.Fields {
		f = append(f, string(AppendText(nil, v, t.cols[i].Type, t.loc)))
	}
	_, err := fmt.Fprintln(t.w, strings.Join(f, " | "))
	return err
}

// AppendText appends v, a value of type t, as text as Flink's SQL client
// shows it (table.AppendTypedText): a TIMESTAMP(p) or TIMESTAMP_LTZ(p) with
// p fraction digits, a TIMESTAMP_LTZ as its wall-clock time in loc (the
// session time zone), also inside arrays, maps and rows.
func AppendText(dst []byte, v table.Value, t table.Type, loc *time.Location) []byte {
	return table.AppendTypedText(dst, v, t, loc)
}

func (t *tableWriter) Flush(context.Context) error { return nil }
func (t *tableWriter) Close() error                { return nil }

// Column is a column of a query's result.
type Column struct {
	Name string
	Type table.Type
}

// ResultSchema is what a query's rows need to be shown as a bare SELECT
// of Exec prints them: the result's columns and the session time zone
// the query was planned in.
type ResultSchema struct {
	Columns  []Column
	Location *time.Location // the session time zone (never nil)
}

// AppendText appends field i of a result row r as text (AppendText): a
// TIMESTAMP_LTZ as wall-clock time in the session time zone.
func (rs *ResultSchema) AppendText(dst []byte, r table.Row, i int) []byte {
	return AppendText(dst, r.Fields[i], rs.Columns[i].Type, rs.Location)
}

// Query executes the script's statements before its last one (DDL, SET)
// like Exec, then plans its last statement, which must be a SELECT, and
// starts its job: each result row, with its change kind, is passed to emit,
// one call at a time (emit must not keep r.Fields past the call; an error
// from emit fails the job). It returns the job and the result's columns;
// the caller waits for or cancels the job. Rows may come before Query
// returns: QuerySchema gives emit the columns and the time zone with them.
func (s *Session) Query(ctx context.Context, text string, emit func(r table.Row) error) (*Job, []Column, error) {
	j, rs, err := s.QuerySchema(ctx, text, func(_ *ResultSchema, r table.Row) error { return emit(r) })
	if err != nil {
		return nil, nil, err
	}
	return j, rs.Columns, nil
}

// QuerySchema is Query, with the result's schema (its columns and the
// session time zone, known before the job starts) passed to emit with
// each row and returned, so that rows can be shown as Exec shows them
// (ResultSchema.AppendText) from the first one on.
func (s *Session) QuerySchema(ctx context.Context, text string, emit func(rs *ResultSchema, r table.Row) error) (*Job, *ResultSchema, error) {
	script, err := parser.ParseScript(text)
	if err != nil {
		return nil, nil, convertErr(err)
	}
	if len(script.Stmts) == 0 {
		return nil, nil, errors.New("streamsql: Query needs a SELECT statement, the script is empty")
	}
	last := script.Stmts[len(script.Stmts)-1]
	q, ok := last.(*parser.QueryStmt)
	if !ok {
		return nil, nil, convertErr(errAt(last, "Query runs a SELECT as the script's last statement; use Submit for INSERT INTO"))
	}
	var res Result
	for _, st := range script.Stmts[:len(script.Stmts)-1] {
		switch st.(type) {
		case *parser.QueryStmt, *parser.Insert, *parser.StatementSet:
			return nil, nil, convertErr(errAt(st, "Query runs one SELECT after DDL statements; a script with INSERT INTO is run by Submit"))
		case *parser.CreateTable:
			if st.(*parser.CreateTable).AsQuery != nil {
				return nil, nil, convertErr(errAt(st, "Query runs one SELECT after DDL statements; CREATE TABLE ... AS runs a job: use Submit or Exec"))
			}
		}
		if err := s.execOne(ctx, st, &res, nil); err != nil {
			return nil, nil, err
		}
	}
	n, err := s.pl.Query(q.Query)
	if err != nil {
		return nil, nil, convertErr(err)
	}
	env, err := s.env()
	if err != nil {
		return nil, nil, err
	}
	loc, err := s.pl.Location()
	if err != nil {
		return nil, nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	rs := &ResultSchema{Columns: make([]Column, 0, len(n.Cols())), Location: loc}
	for _, c := range n.Cols() {
		rs.Columns = append(rs.Columns, Column{Name: c.Name, Type: c.Type})
	}
	if err := s.pl.TranslateTo(ctx, env, n, &funcWriter{emit: func(r table.Row) error { return emit(rs, r) }}); err != nil {
		return nil, nil, convertErr(err)
	}
	j, err := env.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	return j, rs, nil
}

// funcWriter passes the rows of a query to a function, one call at a time.
type funcWriter struct {
	mu   sync.Mutex
	emit func(table.Row) error
}

func (f *funcWriter) Open(context.Context, connector.SinkInfo) (connector.Writer[table.Row], error) {
	return f, nil
}

func (f *funcWriter) Write(r table.Row, _ int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.emit(r)
}

func (f *funcWriter) Flush(context.Context) error { return nil }
func (f *funcWriter) Close() error                { return nil }
