package file_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/file"
)

// The engine drives a transactional sink like this: PreCommit at a
// checkpoint barrier, Commit once the checkpoint completed, and on a
// restore Commit of the restored checkpoint's committables followed by
// AbortExcept before the writers open.
func ExampleNewTransactionalSink() {
	dir, _ := os.MkdirTemp("", "strom-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	sink, err := file.NewTransactionalSink(file.TransactionalSinkOptions[Event]{
		Dir:       dir,
		Partition: func(e Event) string { return "user=" + e.User },
	})
	if err != nil {
		panic(err)
	}
	w, _ := sink.Open(ctx, connector.SinkInfo{Subtask: 0, Parallelism: 1})
	tw := w.(connector.TransactionalWriter[Event])
	_ = tw.Write(Event{User: "ann", Score: 3}, 0)
	_ = tw.Write(Event{User: "bob", Score: 5}, 0)
	committable, _ := tw.PreCommit(ctx, 1) // at the barrier of checkpoint 1
	// ... checkpoint 1 completes, with committable stored in it ...
	if err := sink.Commit(ctx, [][]byte{committable}); err != nil {
		panic(err)
	}
	_ = tw.Write(Event{User: "ann", Score: 4}, 0) // not committed: stays hidden
	_ = tw.Close()

	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			if d.Name()[0] != '.' {
				b, _ := os.ReadFile(p)
				files = append(files, fmt.Sprintf("%s %s", filepath.ToSlash(rel), b))
			} else {
				files = append(files, "(staged)")
			}
		}
		return err
	})
	slices.Sort(files)
	for _, f := range files {
		fmt.Print(f)
		if f == "(staged)" {
			fmt.Println()
		}
	}
	// Output:
	// (staged)
	// user=ann/part-0-1-0.jsonl {"user":"ann","score":3}
	// user=bob/part-0-1-1.jsonl {"user":"bob","score":5}
}
