package operator

import "github.com/stromio/strom/connector"

// Releaser is implemented by an operator input that can say whether it is
// done with every record passed to Collect (or CollectBatch) by the time
// the call returns: it keeps no reference to the record itself (for a
// table.Row: its Fields slice; values copied out of it may be kept, see
// connector.RecordReuser), and passes it on only to inputs that are done
// too.
// Anything that does not implement it (a Writer to another subtask, which
// holds records in its batch; a fan-out; a window or join operator that
// keeps records in state) is taken as keeping them.
//
// A source whose output is done with its records lets its readers reuse
// record memory from one Read to the next (connector.RecordReuser).
type Releaser interface {
	ReleasesRecords() bool
}

// Releases reports whether c is done with every record it collects by the
// time Collect returns (Releaser); false for anything else.
func Releases(c any) bool {
	r, ok := c.(Releaser)
	return ok && r.ReleasesRecords()
}

// ReleasesRecords reports whether the sink's writer keeps no reference to
// a record after Write (connector.RecordReleaser). It is asked after Open.
func (o *Sink[T]) ReleasesRecords() bool {
	r, ok := o.w.(connector.RecordReleaser)
	return ok && r.ReleasesRecords()
}

// ReleasesRecords reports whether the function keeps no reference to an
// input record (Releases, set by whoever knows the function) and the
// output and every side output are done with what they are given (a
// function may hand its input to a side output; today a side output is
// always a channel to another subtask, which keeps records, so a function
// with side outputs never releases).
func (o *Process[I, O]) ReleasesRecords() bool {
	if o.Releases && o.Fresh {
		return true // what Out and the side outputs keep is the function's own
	}
	if !o.Releases || !Releases(o.Out) {
		return false
	}
	if o.RT != nil {
		for _, side := range o.RT.Sides {
			if !Releases(side) {
				return false
			}
		}
	}
	return true
}

// ReleasesRecords reports whether the keyed function keeps no reference to
// an input record (Releases, set by whoever knows the function) and the
// output and every side output are done with what they are given, as for
// Process. The key is encoded into the operator's own buffer, and timers
// and state hold only what Fn copies out of a record.
func (o *KeyedProcess[K, I, O]) ReleasesRecords() bool {
	if o.Releases && o.Fresh {
		return true // what Out, the side outputs and the buffer keep is the function's own
	}
	if !o.Releases || !Releases(o.Out) {
		return false
	}
	if _, buffers := o.Fn.(KeyedBuffer[K]); buffers {
		return false // a buffering function keeps what it buffers
	}
	if o.RT != nil {
		for _, side := range o.RT.Sides {
			if !Releases(side) {
				return false
			}
		}
	}
	return true
}

// ReleasesRecords reports whether the keyed co-process function keeps no
// reference to an input record and emits none (Releases and Fresh, set by
// whoever knows the function): only then, as what its output and side
// outputs keep is the function's own. Each input answers for the
// operator (coIn1, coIn2).
func (o *KeyedCoProcess[K, I1, I2, O]) ReleasesRecords() bool {
	return o.Releases && o.Fresh
}

func (c coIn1[K, I1, I2, O]) ReleasesRecords() bool { return c.o.ReleasesRecords() }
func (c coIn2[K, I1, I2, O]) ReleasesRecords() bool { return c.o.ReleasesRecords() }

// ReleasesRecords reports whether the window operator keeps no reference
// to an input record: Releases (set by whoever knows the contents and the
// key function), the default trigger (a trigger may read the element
// through its context) and no side output of late elements (which passes
// them on). What Out receives is built by the window function from the
// contents, never an input record. The current element the operator
// keeps for the trigger context is read only during Collect.
func (o *KeyedWindow[K, T, R, O]) ReleasesRecords() bool {
	return o.Releases && o.Trigger == nil && o.LateTag == ""
}

// EmitterReleases reports whether everything e passes records to is done
// with each record by the time Emit returns (Releaser): the emitting
// function may then build its next record in the memory of the last one.
// False for an Emitter other than the operators' own (TSEmitter). Ask it
// once the operators are open (a sink answers after Open).
func EmitterReleases[T any](e Emitter[T]) bool {
	te, ok := e.(*TSEmitter[T])
	return ok && Releases(te.Out)
}
