package file_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/file"
)

type Event struct {
	User  string `json:"user" csv:"user"`
	Score int    `json:"score" csv:"score"`
}

// A job uses the source and sink through the stream API:
//
//	events := stream.FromSource[Event](env, file.JSONLines[Event]("in/*.jsonl"), wm, "events")
//	stream.SinkTo[Event](events, file.CSVSink[Event]("out"), "out")
//
// This example drives them through the connector SPI, as the engine does.
func Example() {
	dir, _ := os.MkdirTemp("", "strom-example")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "events.jsonl")
	_ = os.WriteFile(in, []byte(`{"user":"ann","score":3}
{"score":5,"user":"bob","ignored":true}
not json
`), 0o644)

	ctx := context.Background()
	src, err := file.NewSource[Event](file.SourceOptions{Paths: []string{in}, OnError: file.OnErrorSkip})
	if err != nil {
		panic(err)
	}
	sink := file.CSVSink[Event](filepath.Join(dir, "out"))
	w, err := sink.Open(ctx, connector.SinkInfo{Subtask: 0, Parallelism: 1})
	if err != nil {
		panic(err)
	}
	splits, _ := src.Splits(ctx)
	for _, sp := range splits {
		r, err := src.Open(ctx, sp, nil) // or at a checkpointed r.Position()
		if err != nil {
			panic(err)
		}
		buf := make([]Event, 16)
		for {
			n, err := r.Read(ctx, buf)
			for _, e := range buf[:n] {
				fmt.Printf("%+v\n", e)
				_ = w.Write(e, 0)
			}
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				panic(err)
			}
		}
		r.Close()
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Println("skipped:", src.Skipped())
	out, _ := os.ReadFile(filepath.Join(dir, "out", file.PartFile(0, file.FormatCSV)))
	fmt.Print(string(out))
	// Output:
	// {User:ann Score:3}
	// {User:bob Score:5}
	// skipped: 1
	// user,score
	// ann,3
	// bob,5
}

// A bad line stops the reader with an error that says where and what to do.
func ExampleLineError() {
	dir, _ := os.MkdirTemp("", "strom-example")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "events.jsonl")
	_ = os.WriteFile(in, []byte("{\"user\":\"ann\"}\n{\"user\":\"bob\",\"score\":\"high\"}\n"), 0o644)

	ctx := context.Background()
	src := file.JSONLines[Event](in)
	splits, _ := src.Splits(ctx)
	r, _ := src.Open(ctx, splits[0], nil)
	defer r.Close()
	buf := make([]Event, 16)
	for {
		_, err := r.Read(ctx, buf)
		if err == nil {
			continue
		}
		var le *file.LineError
		if errors.As(err, &le) {
			fmt.Println("line", le.Line, "offset", le.Offset)
			fmt.Println(le.Reason)
		}
		return
	}
	// Output:
	// line 2 offset 15
	// JSON does not fit file_test.Event: json: cannot unmarshal string into Go struct field Event.score of type int
}
