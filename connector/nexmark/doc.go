// Package nexmark is the Nexmark benchmark's data: the event model, a
// faithful, deterministic and splittable generator (as a connector.Source
// and as plain functions), and the JSON-lines interchange format. The
// specification is ../shared/nexmark/SPEC.md of the project (§1 and §3.1,
// §3.2).
//
//	src := nexmark.NewSource(nexmark.GeneratorConfig{Events: 10_000_000, Splits: 4})
//	events := stream.FromSource[nexmark.Event](env, src, wm, "nexmark")
//
//	all := nexmark.Generate(nexmark.GeneratorConfig{Events: 1000}) // for oracles
//	n, err := nexmark.WriteJSONLines(w, slices.Values(all))
//
// # The generator
//
// It follows Apache Beam's Generator and the Flink nexmark repository
// (SPEC.md §1): the event type comes from the event id (1 person, 3
// auctions, 46 bids in every 50 ids), ids from the "last person / last
// auction" arithmetic, references to people and auctions with the +10 lead,
// hot auctions, sellers and bidders (ratios 2/4/4, blocks of 100),
// log-uniform prices from $1 to $1M, random strings, padding to the average
// sizes 200/500/100 bytes, the Flink repository's bid channel and URL, and
// auction expiry one "in-flight horizon" ahead on average. Event times
// follow the rate: event number m of a split has time
// BaseTime + floor(m * 1000 * Splits / Rate) ms (computed exactly in
// integers), so the whole source covers Rate events per second of event
// time, every split walking the same timeline.
//
// Choices where the specification leaves room:
//
//   - Determinism (Beam style): every event is generated from a small
//     PRNG (wyrand) seeded from (Seed, event id) through the splitmix64
//     finalizer, so the data is a pure function of
//     (Seed, Events, Rate, BaseTime, Splits and the shape fields), and a
//     reader restarts at any event. The numbers differ bit for bit from
//     both Java generators (other PRNG); the distributions are the same.
//     Prices use a table and a polynomial instead of math.Pow, with every
//     float operation rounded explicitly, so the data is also the same on
//     every platform (the golden file testdata/golden.jsonl pins it).
//   - The first event id and event number are 0 (Beam): event 0 is person
//     1000 at BaseTime.
//   - Bidders get the person-id offset once (Beam), not twice (Flink bug).
//   - Splits: with Events = q*Splits + r, splits 0..r-1 get q+1 events and
//     the others q; the id ranges follow each other in split order, so the
//     union of all splits is exactly the ids 0..Events-1 (Beam gives the
//     remainder to the last split instead). Every split's event numbers,
//     hence times, start at 0. An unbounded split owns a range of about
//     10^15 ids (UnboundedSplitEvents) and ends after it.
//   - Out-of-order groups (OutOfOrderGroupSize n > 1): the event number is
//     permuted inside each complete group of n (base + (m*953) mod n); the
//     last, incomplete group of a bounded split stays in order so that the
//     split keeps exactly its ids.
//   - Strings do not allocate: names, cities, states and channels come
//     from fixed tables; random strings (itemName, description, the parts
//     of an email) are substrings of a 1 MiB pool of 'a'..'z' with 1/13
//     spaces, trimmed; padding (extra) is a substring of a 1 MiB pool of
//     uniform 'a'..'z' (Flink's generator does the same since 2024). The
//     pools, the 4 hot URLs and the 10,000 channel URLs are built once per
//     process from a fixed seed, so they are the same for every Seed. A
//     person's email and credit card share one allocation with the
//     Person, so every event is exactly one allocation.
//   - Channel ids follow Java's abs(Integer.reverse(i)), including the
//     quirk abs(MinInt32) = MinInt32 for channel-1.
//
// # Unique ids (the SQL connector's unique keys)
//
// Ids are functions of the event id (the "last person / last auction"
// arithmetic), and every event id is generated once, by one split, for
// every seed, rate and option (splits cover disjoint ranges, out-of-order
// groups permute inside a split's range): no two auctions share an id, nor
// two persons. The 'nexmark' SQL connector (TableConnector.UniqueKeys,
// connector.UniqueKeyTableSource) states it as unique keys of its table:
// auction.id among the rows with event_type = 1 and person.id among those
// with event_type = 0. The SQL planner derives from them that the Nexmark
// DDL's auction and person views (their filters on event_type, their
// projections auction.id AS id, person.id AS id) have at most one row per
// id, and runs an inner regular join on that id in its unique mode: the
// bids (or auctions) of an id are kept only until its row has come
// (EXPLAIN: uniqueKey=[left] or [right]; DESIGN.md §7). The ids a bid or
// an auction refers to (bid.auction, auction.seller) are not unique.
//
// # Interchange format
//
// One event a line, {"event_type":0,"person":{...}} (see AppendJSON),
// timestamps as integer epoch milliseconds. The bytes equal encoding/json's
// with HTML escaping off, and an Event decodes with plain json.Unmarshal, so
// the file connector reads these files as file.JSONLines[nexmark.Event].
// ParseLine and Decoder are stricter and more lenient where it matters for
// files from other tools: see parse.go. GenerateJSONLines writes a
// generated stream on all cores; WriteSideInput writes q13's side input.
//
// # Concurrency
//
// GeneratorConfig, Source and the package functions are safe for
// concurrent use. A Reader, Encoder or Decoder is used by one goroutine at
// a time.
package nexmark
