package cli

import (
	"fmt"
	"strings"

	connnexmark "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
	"github.com/stromio/strom/internal/server"
	"github.com/stromio/strom/stream"
)

// builtinRate is the event rate of a compiled-in Nexmark job's generator
// (events per second, rate-limited: the job runs until cancelled).
const builtinRate = 10_000

// builtinJobs is the server's fixed registry of compiled-in DataStream
// jobs: "nexmark-qN" for every Nexmark query of internal/nexmark that
// needs no files (q10 writes files, q13 reads a side input), over an
// unbounded rate-limited generator whose event time starts at the job's
// creation, into a discarding sink.
func builtinJobs() map[string]server.Builtin {
	out := map[string]server.Builtin{}
	for _, name := range nexmark.Names() {
		if name == "q10" || name == "q13" {
			continue
		}
		q, err := nexmark.Lookup(name)
		if err != nil {
			continue
		}
		desc := fmt.Sprintf("Nexmark %s over a generator of %d events/s (event time from the job's creation) into a discarding sink", name, builtinRate)
		if a, ok := nexmark.AboutQuery(name); ok {
			desc = fmt.Sprintf("Nexmark %s, %s: %s. Over a generator of %d events/s (event time from the job's creation); the results (%s) go to a discarding sink.",
				name, a.Title, a.Summary, builtinRate, strings.Join(q.Columns, ", "))
		}
		out["nexmark-"+name] = server.Builtin{
			Description: desc,
			Build: func(env *stream.Environment, baseTime int64) error {
				events := nexmark.GeneratorStream(env, connnexmark.GeneratorConfig{Rate: builtinRate, RateLimited: true, BaseTime: baseTime})
				q.Build(events, nexmark.Config{}).Discard()
				return nil
			},
		}
	}
	return out
}
