// Package plan turns the logical graph built by the stream API into the
// physical job graph the runtime executes: operators fused into chains,
// parallelism per vertex, and the partitioning of every edge.
//
// The planner is untyped: each node carries closures made by the typed API
// (operator.TypeOps and Build) that do the type-specific wiring, so nothing
// here knows record types.
//
// Concurrency: a Graph is built on one goroutine and read-only afterwards.
package plan

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/operator"
)

// Outputs are the collectors a node's operator emits into.
type Outputs struct {
	// Main is a Collector[Out] of the node's output type.
	Main any
	// Sides maps side-output tags to Collector[T] of the tag's type.
	Sides map[string]any
}

// Built is an instantiated operator with the collectors of its inputs.
type Built struct {
	Op operator.Operator
	// Inputs[i] is the Collector of logical input i (none for sources).
	Inputs []any
}

// SourceSpec is the untyped handle of a source node.
type SourceSpec struct {
	// Enumerate lists the splits once per job run.
	Enumerate func(ctx context.Context) ([]connector.Split, error)
	// Bounded reports whether the source ends.
	Bounded bool
}

// Input is an edge into a node.
type Input struct {
	From *Node
	// Side names the side output of From this edge reads ("" = main output).
	Side string
	// Index is the logical input of the consumer (0, or 1 for two-input operators).
	Index int
	Part  operator.Partitioning
	// KeyGroup is a func() func(T) int making key-group functions for Hash
	// edges (one per writer, since each has its own scratch buffer).
	KeyGroup func() any
}

// Node is one logical operator.
type Node struct {
	ID   int
	Name string
	UID  string
	// StateSignature describes what the operator's state means and how it
	// is laid out (the SQL planner's; empty: none, no check). Checkpoints
	// record it next to the UID, and a restore refuses state of the UID
	// recorded with another signature (internal/cluster).
	StateSignature string
	Parallelism    int // 0: the environment's default
	Inputs         []Input
	// Keyed operators get a keyed state backend.
	Keyed bool
	// Out describes the main output type; SideTypes each side output's type.
	Out       operator.TypeOps
	SideTypes map[string]operator.TypeOps
	// Source is set for source nodes.
	Source *SourceSpec
	// Build instantiates the operator for one subtask. For source nodes
	// Built.Op must be an operator.SourceDriver and splits are the splits
	// assigned to the subtask.
	Build func(outs Outputs, splits []connector.Split) (Built, error)
	// NoChain isolates the node: it is chained neither to its producer nor
	// to its consumers (Flink's ChainingStrategy NEVER).
	NoChain bool
	// ChainHead starts a new chain at the node; its consumers may still
	// chain to it (Flink's HEAD, startNewChain).
	ChainHead bool
	// Sink marks nodes whose output nobody is expected to consume.
	Sink bool
	// Committer is set for sinks that commit through checkpoints (two-phase
	// commit): the coordinator commits their pre-committed transactions.
	Committer connector.Committer
}

// Graph is the logical graph of a job.
type Graph struct {
	Nodes          []*Node
	Parallelism    int
	MaxParallelism int
	Chaining       bool
	// ChainKeyed lets a hash (keyBy) edge from one producer subtask to one
	// consumer subtask (both of parallelism 1) chain like a forward edge:
	// there is only one place every key can go, and keyed operators compute
	// a record's key group themselves, so the hand-off through a channel
	// buys nothing. Only with Chaining.
	ChainKeyed bool
	// Signatures: state signatures by UID (Node.StateSignature), for
	// operators whose UID is set where their signature is not known;
	// Compile copies each to the node of its UID.
	Signatures map[string]string
}

// AddNode appends n, assigning its ID and a default name and UID.
func (g *Graph) AddNode(n *Node) *Node {
	n.ID = len(g.Nodes)
	if n.Name == "" {
		n.Name = fmt.Sprintf("op-%d", n.ID)
	}
	g.Nodes = append(g.Nodes, n)
	return n
}

// Edge is a physical edge between two vertices.
type Edge struct {
	From, To *Vertex
	// FromNode is the node in From's chain that produces the records.
	FromNode *Node
	Input    Input
}

// Vertex is a chain of nodes run together in each of Parallelism subtasks.
type Vertex struct {
	ID          int
	Chain       []*Node // head first
	Parallelism int
	In          []*Edge
	Out         []*Edge
}

// Name is the chain's display name ("a -> b -> c").
func (v *Vertex) Name() string {
	names := make([]string, len(v.Chain))
	for i, n := range v.Chain {
		names[i] = n.Name
	}
	return strings.Join(names, " -> ")
}

// JobGraph is the physical graph.
type JobGraph struct {
	Vertices       []*Vertex
	MaxParallelism int
	// VertexOf maps node ID to its vertex.
	VertexOf map[int]*Vertex
}

var uidRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Compile validates the logical graph and builds the physical one.
func Compile(g *Graph) (*JobGraph, error) {
	if len(g.Nodes) == 0 {
		return nil, fmt.Errorf("plan: the job has no operators")
	}
	if g.Parallelism <= 0 {
		return nil, fmt.Errorf("plan: parallelism must be positive, got %d", g.Parallelism)
	}
	if g.MaxParallelism <= 0 || g.MaxParallelism > 1<<15 {
		return nil, fmt.Errorf("plan: max parallelism must be in 1..32768, got %d", g.MaxParallelism)
	}
	uids := map[string]string{}
	consumers := map[int][]*Node{}
	for _, n := range g.Nodes {
		if n.Parallelism == 0 {
			n.Parallelism = g.Parallelism
		}
		if n.Parallelism > g.MaxParallelism {
			return nil, fmt.Errorf("plan: operator %q has parallelism %d above the max parallelism %d", n.Name, n.Parallelism, g.MaxParallelism)
		}
		if n.UID == "" {
			n.UID = fmt.Sprintf("%s-%d", sanitize(n.Name), n.ID)
		}
		if !uidRE.MatchString(n.UID) {
			return nil, fmt.Errorf("plan: operator %q: uid %q may only contain letters, digits, '.', '_' and '-'", n.Name, n.UID)
		}
		if other, dup := uids[n.UID]; dup {
			return nil, fmt.Errorf("plan: operators %q and %q share the uid %q; uids must be unique", other, n.Name, n.UID)
		}
		uids[n.UID] = n.Name
		if sig, ok := g.Signatures[n.UID]; ok && n.StateSignature == "" {
			n.StateSignature = sig
		}
		if n.Source == nil && len(n.Inputs) == 0 {
			return nil, fmt.Errorf("plan: operator %q has no input", n.Name)
		}
		for _, in := range n.Inputs {
			consumers[in.From.ID] = append(consumers[in.From.ID], n)
		}
	}
	// The default (forward) edge between different parallelisms becomes
	// rebalance, as Flink's default partitioner does.
	for _, n := range g.Nodes {
		for i := range n.Inputs {
			if n.Inputs[i].Part == operator.Forward && n.Inputs[i].From.Parallelism != n.Parallelism {
				n.Inputs[i].Part = operator.Rebalance
			}
		}
	}
	jg := &JobGraph{MaxParallelism: g.MaxParallelism, VertexOf: map[int]*Vertex{}}
	// Nodes are in topological order (an input is always added before its
	// consumer), so one pass builds the chains.
	for _, n := range g.Nodes {
		if g.Chaining && chainable(n, consumers, g.ChainKeyed) {
			up := n.Inputs[0].From
			v := jg.VertexOf[up.ID]
			if v.Chain[len(v.Chain)-1] == up {
				v.Chain = append(v.Chain, n)
				jg.VertexOf[n.ID] = v
				continue
			}
		}
		v := &Vertex{ID: len(jg.Vertices), Chain: []*Node{n}, Parallelism: n.Parallelism}
		jg.Vertices = append(jg.Vertices, v)
		jg.VertexOf[n.ID] = v
	}
	for _, n := range g.Nodes {
		to := jg.VertexOf[n.ID]
		for _, in := range n.Inputs {
			from := jg.VertexOf[in.From.ID]
			if from == to {
				continue // chained
			}
			e := &Edge{From: from, To: to, FromNode: in.From, Input: in}
			from.Out = append(from.Out, e)
			to.In = append(to.In, e)
		}
	}
	return jg, nil
}

// chainable: n has one main-output forward input of equal parallelism whose
// producer feeds nothing else, and neither side disabled chaining. With
// keyed, a hash input between two nodes of parallelism 1 counts as forward.
func chainable(n *Node, consumers map[int][]*Node, keyed bool) bool {
	if n.NoChain || n.ChainHead || len(n.Inputs) != 1 || n.Source != nil {
		return false
	}
	in := n.Inputs[0]
	forward := in.Part == operator.Forward ||
		keyed && in.Part == operator.Hash && in.From.Parallelism == 1 && n.Parallelism == 1
	return !in.From.NoChain && forward && in.Side == "" && in.From.Parallelism == n.Parallelism &&
		len(consumers[in.From.ID]) == 1
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Describe prints the physical graph, one vertex a line.
func (jg *JobGraph) Describe() string {
	var sb strings.Builder
	for _, v := range jg.Vertices {
		fmt.Fprintf(&sb, "%d: %s (parallelism %d)", v.ID, v.Name(), v.Parallelism)
		for _, e := range v.In {
			fmt.Fprintf(&sb, " <-%s- %d", e.Input.Part, e.From.ID)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
