// Package table is the SQL data model of strom: Flink's logical types
// ([Type]), values ([Value], [Decimal]), changelog rows ([Row], [RowKind]),
// table schemas ([Schema]), and the binary ([RowCodec]) and JSON
// ([AppendJSON], [ParseJSON]) forms of a row for a schema.
//
// It is a leaf: it imports nothing of the module, so that connectors and
// formats can see rows without the SQL layers.
//
// Representation. A [Value] is a 24-byte tagged struct. Numbers, booleans,
// dates, times, timestamps, intervals and decimals of up to 18 digits are
// held inline, so building or reading them never allocates; strings and
// bytes are held by reference (no copy); larger decimals hold a *big.Int and
// ARRAY, MAP and ROW values a pointer to their elements. Values are
// immutable: the bytes given to [Bytes] and the slices given to [Array],
// [Map] and [RowValue] must not be modified afterwards.
//
// Time. DATE is days since 1970-01-01, TIME milliseconds of the day,
// TIMESTAMP and TIMESTAMP_LTZ milliseconds since the epoch plus the
// nanoseconds within the millisecond (for precision > 3). TIMESTAMP has no
// zone: its epoch form is the UTC reading of the wall-clock fields, as in
// Flink's TimestampData. INTERVAL DAY TO SECOND is milliseconds and INTERVAL
// YEAR TO MONTH months, as in Flink.
package table
