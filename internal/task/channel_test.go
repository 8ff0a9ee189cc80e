package task

import (
	"errors"
	"sync"
	"testing"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
)

func TestChanFIFOAndBackpressure(t *testing.T) {
	ib := NewInbox()
	c := NewChan(3, ib, base.SystemClock{})
	const n = 1000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			c.Push(operator.Event{Kind: operator.EventWatermark, Time: int64(i)})
			if l := c.Len(); l > 3 {
				t.Errorf("channel holds %d events, capacity 3", l)
			}
		}
	}()
	next := int64(0)
	for next < n {
		e, ok := c.Poll()
		if !ok {
			<-ib.signal
			continue
		}
		if e.Time != next {
			t.Fatalf("got %d, want %d", e.Time, next)
		}
		next++
	}
	wg.Wait()
}

func TestChanCloseWakesBlockedProducer(t *testing.T) {
	c := NewChan(1, NewInbox(), base.SystemClock{})
	c.Push(operator.Event{})
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		c.Push(operator.Event{}) // blocks: full
	}()
	c.Close()
	r := <-done
	if err, ok := r.(error); !ok || !errors.Is(err, base.ErrCanceled) {
		t.Fatalf("blocked Push after Close: recovered %v, want ErrCanceled", r)
	}
}
