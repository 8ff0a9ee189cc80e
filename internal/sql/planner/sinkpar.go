package planner

import (
	"fmt"
	"strconv"

	"github.com/stromio/strom/connector"
)

// sinkDist is how the rows of a query reach a sink table that has Flink's
// 'sink.parallelism' (CommonExecSink): the sink operator runs at that
// parallelism; when it differs from its input's, the rows are hashed by
// the table's primary key if it has one and the sink has more than one
// subtask (so that the changes of one key reach one subtask; they stay in
// order only when the input has them in order per key, else the planner
// adds a SinkMaterializer: sinkmat.go), else rebalanced. An updating
// query into such a sink without a primary key is refused: nothing would
// send a key's changes to one subtask.
type sinkDist struct {
	// Parallelism is 'sink.parallelism' (0: none; the sink runs at its
	// input's parallelism, forward).
	Parallelism int
	// InParallelism is the parallelism of the sink's input the decision
	// was taken for.
	InParallelism int
	// Keys are the input columns of the primary key the rows are hashed
	// by (nil: forward at equal parallelism, else rebalance).
	Keys []int
}

// JobParallelism is the parallelism of the session's jobs: SET
// 'parallelism.default' if it is a valid number, else Parallelism (the
// session's option), else 1.
func (p *Planner) JobParallelism() int {
	if v, ok := p.Cat.Options["parallelism.default"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 {
			return n
		}
	}
	if p.Parallelism > 0 {
		return p.Parallelism
	}
	return 1
}

// sinkParallelismOf returns the table's 'sink.parallelism' when its
// factory takes that option (0 otherwise, or when not given).
func (p *Planner) sinkParallelismOf(s *Sink) (int, error) {
	f := p.Factories[s.Table.Connector]
	if f == nil {
		return 0, nil
	}
	takes := false
	for _, o := range f.Options() {
		takes = takes || o.Key == connector.OptSinkParallelism
	}
	if !takes {
		return 0, nil
	}
	n, err := connector.SinkParallelism(s.Table.Options)
	if err != nil {
		return 0, &Error{Line: s.Pos.Line, Col: s.Pos.Col, Msg: connText(s.Table, err)}
	}
	return n, nil
}

// inputParallelism is the parallelism the sink's input will run at: a
// scan's 'scan.parallelism' when the sink reads a scan directly, or
// through Calcs that the translation makes no operator of (an identity
// projection, as a table with a watermark has for SELECT *; calc.go),
// else the job's (Translate decides again on the built input).
func (p *Planner) inputParallelism(s *Sink) int {
	tr := translator{p: p}
	in := s.In
	if c, ok := in.(*Calc); ok {
		if f := fuseCalc(c, tr.shared); tr.noOperator(c, f.in) {
			in = f.in
		}
	}
	if sc, ok := in.(*Scan); ok {
		if n, err := connector.ScanParallelism(sc.Table.Options); err == nil && n > 0 {
			if tr.scansInParallel(sc.Table) {
				return n
			}
		}
	}
	return p.JobParallelism()
}

// distribute decides the sink's distribution for an input running at
// inPar, with Flink's rule and error.
func (p *Planner) distribute(s *Sink, inPar int) (sinkDist, error) {
	par, err := p.sinkParallelismOf(s)
	if err != nil || par == 0 {
		return sinkDist{}, err
	}
	d := sinkDist{Parallelism: par, InParallelism: inPar}
	if par == inPar {
		return d, nil
	}
	var keys []int
	for _, k := range s.Table.Schema.PrimaryKey {
		i := s.Table.Physical().Index(k)
		if i < 0 || i >= len(s.In.Cols()) {
			return d, fmt.Errorf("planner: primary key column `%s` of `%s` is not an input column of its sink", k, s.Table.Name)
		}
		keys = append(keys, i)
	}
	if s.Updating() && len(keys) == 0 {
		return d, &Error{Line: s.Pos.Line, Col: s.Pos.Col, Msg: fmt.Sprintf(
			"table `%s` (connector '%s') has '%s' = '%d' while its input runs at parallelism %d, and the query's changelog is updating (%s makes it updating): "+
				"the changes of a key must reach one sink subtask in order, which needs a primary key to distribute them by; "+
				"declare the table's PRIMARY KEY (...) NOT ENFORCED, or remove '%s' (or set it to %d)",
			s.Table.Name, s.Table.Connector, connector.OptSinkParallelism, par, inPar, updater(s), connector.OptSinkParallelism, inPar)}
	}
	if len(keys) > 0 && par != 1 {
		d.Keys = keys
	}
	return d, nil
}

// distText is the sink's distribution for EXPLAIN ("" without
// 'sink.parallelism').
func (s *Sink) distText() string {
	d := s.Dist
	if d.Parallelism == 0 {
		return ""
	}
	how := "forward"
	switch {
	case d.Keys != nil:
		how = "hash[" + keysText(s.In, d.Keys) + "]"
	case d.Parallelism != d.InParallelism:
		how = "rebalance"
	}
	return fmt.Sprintf("parallelism=[%d], distribution=[%s], ", d.Parallelism, how)
}
