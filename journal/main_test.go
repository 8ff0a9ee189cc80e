package journal

import (
	"testing"

	"go.uber.org/goleak"
)

// Every writer goroutine has an owner that waits for it: Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
