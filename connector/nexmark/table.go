package nexmark

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// TableConnector is the 'nexmark' connector of SQL tables: the generator
// as a source of rows, for the DDL of the Flink Nexmark benchmark
// (internal/nexmark/sql/ddl.sql):
//
//	CREATE TABLE nexmark (
//	    event_type INT,
//	    person ROW<id BIGINT, name VARCHAR, ..., dateTime TIMESTAMP(3), extra VARCHAR>,
//	    auction ROW<...>,
//	    bid ROW<...>,
//	    dateTime AS CASE ... END,
//	    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
//	) WITH ('connector' = 'nexmark', 'events.num' = '100000000', ...)
//
// Columns are matched by name, case-insensitively: 'event_type' (an
// integer: 0 person, 1 auction, 2 bid), 'person', 'auction', 'bid' (ROW
// types whose fields are matched by name against the fields of Person,
// Auction and Bid in SPEC.md §1; the member not of the event's type is
// NULL), and optionally a physical 'dateTime' TIMESTAMP(3) column, filled
// with the event time. Computed columns are NULL (the SQL layer computes
// them). Rows are built directly from the generated events (no JSON); the
// readers implement connector.Timestamped (the event time). The table has
// unique keys (UniqueKeys: auction.id among the rows with event_type = 1,
// person.id among those with event_type = 0; see the package doc), which
// the SQL planner uses for joins on them.
type TableConnector struct{}

// TableFactory returns the 'nexmark' connector of SQL tables.
func TableFactory() *TableConnector { return &TableConnector{} }

var _ connector.TableSourceFactory = (*TableConnector)(nil)

// The option keys of the 'nexmark' connector: Flink's Nexmark source's,
// plus 'splits', 'seed', 'base-time' and 'rate.limited'.
const (
	OptEventsNum         = "events.num"
	OptFirstEventRate    = "first-event.rate"
	OptNextEventRate     = "next-event.rate"
	OptPersonProportion  = "person.proportion"
	OptAuctionProportion = "auction.proportion"
	OptBidProportion     = "bid.proportion"
	OptHotAuctionRatio   = "hot-auction.ratio"
	OptHotSellerRatio    = "hot-seller.ratio"
	OptHotBidderRatio    = "hot-bidder.ratio"
	OptAvgPersonSize     = "avg-person.byte-size"
	OptAvgAuctionSize    = "avg-auction.byte-size"
	OptAvgBidSize        = "avg-bid.byte-size"
	OptSplits            = "splits"
	OptSeed              = "seed"
	OptBaseTime          = "base-time"
	OptRateLimited       = "rate.limited"
)

// Name returns "nexmark".
func (*TableConnector) Name() string { return "nexmark" }

// Options lists the option keys of the connector.
func (*TableConnector) Options() []connector.TableOption {
	return []connector.TableOption{
		{Key: OptEventsNum, Default: "0", Description: "the number of events of all splits together; 0: unbounded"},
		{Key: OptFirstEventRate, Default: strconv.Itoa(DefaultRate), Description: "events per second of event time of the whole source"},
		{Key: OptNextEventRate, Description: "must equal 'first-event.rate' when given (the rate does not change over time here)"},
		{Key: OptPersonProportion, Default: strconv.Itoa(DefaultPersonProportion), Description: "persons among every person+auction+bid proportion events"},
		{Key: OptAuctionProportion, Default: strconv.Itoa(DefaultAuctionProportion), Description: "auctions among every person+auction+bid proportion events"},
		{Key: OptBidProportion, Default: strconv.Itoa(DefaultBidProportion), Description: "bids among every person+auction+bid proportion events"},
		{Key: OptHotAuctionRatio, Default: strconv.Itoa(DefaultHotAuctionRatio), Description: "1 in this many bids goes to a hot auction"},
		{Key: OptHotSellerRatio, Default: strconv.Itoa(DefaultHotSellersRatio), Description: "1 in this many auctions is by a hot seller"},
		{Key: OptHotBidderRatio, Default: strconv.Itoa(DefaultHotBiddersRatio), Description: "1 in this many bids is by a hot bidder"},
		{Key: OptAvgPersonSize, Default: strconv.Itoa(DefaultAvgPersonBytes), Description: "the average size of a person in bytes (padding in 'extra')"},
		{Key: OptAvgAuctionSize, Default: strconv.Itoa(DefaultAvgAuctionBytes), Description: "the average size of an auction in bytes"},
		{Key: OptAvgBidSize, Default: strconv.Itoa(DefaultAvgBidBytes), Description: "the average size of a bid in bytes"},
		{Key: OptSplits, Default: "1", Description: "the number of splits (parallel generators), at most 1024"},
		{Key: OptSeed, Default: "0", Description: "selects the data: equal seeds give equal events"},
		{Key: OptBaseTime, Default: strconv.Itoa(DefaultBaseTime), Description: "the event time of the first event: epoch milliseconds or 'yyyy-MM-dd HH:mm:ss'"},
		{Key: OptRateLimited, Default: "false", Description: "'true' paces the events on the wall clock at the rate (from the time the source opens); 'wall-clock' makes each event due when the wall clock reaches its event time (a past 'base-time' comes at once, a restored job catches up); 'false' generates as fast as the job reads"},
	}
}

var _ connector.ProjectableTableSource = (*TableConnector)(nil)

// TableSource returns the generator source of the table's rows.
func (c *TableConnector) TableSource(_ context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	cfg, o, err := c.config(t)
	if err != nil {
		return nil, err
	}
	conv, err := newRowConverter(t.Schema)
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return &tableSource{src: NewSource(cfg), conv: conv}, nil
}

// ProjectedTableSource returns the generator source of the given columns
// and member fields only (connector.ProjectableTableSource): flat rows,
// one allocation per batch, no member ROW built for a field path.
func (c *TableConnector) ProjectedTableSource(_ context.Context, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	cfg, o, err := c.config(t)
	if err != nil {
		return nil, err
	}
	conv, err := newRowConverter(t.Schema)
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	if err := conv.project(t.Schema, fields); err != nil {
		return nil, o.Errorf("%v", err)
	}
	return &tableSource{src: NewSource(cfg), conv: conv}, nil
}

// ReaderTime describes the timestamps of the readers (the event's time,
// connector.ReaderTimeTableSource): the dateTime field of the person,
// auction or bid ROW by event_type (0, 1, else), the rowtime of the
// Nexmark DDL. ok is false when the schema lacks one of them.
func (c *TableConnector) ReaderTime(t connector.TableContext) (connector.ReaderTime, bool) {
	conv, err := newRowConverter(t.Schema)
	if err != nil || conv.eventType < 0 {
		return connector.ReaderTime{}, false
	}
	path := func(col int, codes []int, code int) []int {
		for k, x := range codes {
			if x == code {
				return []int{col, k}
			}
		}
		return nil
	}
	p := path(conv.person, conv.personF, personDateTime)
	a := path(conv.auction, conv.auctionF, auctionDateTime)
	b := path(conv.bid, conv.bidF, bidDateTime)
	if conv.person < 0 || conv.auction < 0 || conv.bid < 0 || p == nil || a == nil || b == nil {
		return connector.ReaderTime{}, false
	}
	return connector.ReaderTime{Tag: conv.eventType, Tags: []int64{TypePerson, TypeAuction}, Paths: [][]int{p, a}, Else: b}, true
}

var _ connector.UniqueKeyTableSource = (*TableConnector)(nil)

// UniqueKeys states what the generator guarantees
// (connector.UniqueKeyTableSource): among the rows with event_type = 1
// (auctions) no two have the same auction.id, and among those with
// event_type = 0 (persons) no two have the same person.id. The ids are
// functions of the event number (generator.go, lastAuction and
// lastPerson), and every event number is generated once, by one split,
// for every seed, rate and option; a restored reader goes on from its
// position. A key is listed only when the schema has the event_type
// column and the member's id field.
func (c *TableConnector) UniqueKeys(t connector.TableContext) []connector.UniqueKey {
	conv, err := newRowConverter(t.Schema)
	if err != nil || conv.eventType < 0 {
		return nil
	}
	var out []connector.UniqueKey
	add := func(col int, codes []int, tag int64) {
		for k, code := range codes {
			if col >= 0 && code == 0 { // the id: code 0 of personCols and auctionCols
				out = append(out, connector.UniqueKey{Paths: [][]int{{col, k}}, Tag: conv.eventType, TagValue: tag})
				return
			}
		}
	}
	add(conv.person, conv.personF, TypePerson)
	add(conv.auction, conv.auctionF, TypeAuction)
	return out
}

// The codes of the members' dateTime fields (personCols ...).
const (
	personDateTime  = 6
	auctionDateTime = 5
	bidDateTime     = 5
)

func (c *TableConnector) config(t connector.TableContext) (GeneratorConfig, *connector.TableOptions, error) {
	var cfg GeneratorConfig
	o, err := connector.CheckTableOptions(c, t)
	if err != nil {
		return cfg, o, err
	}
	if err := o.NoPartitions(t); err != nil {
		return cfg, o, err
	}
	ints := []struct {
		key    string
		lo, hi int64
		set    func(int64)
	}{
		{OptEventsNum, 0, math.MaxInt64, func(v int64) { cfg.Events = v }},
		{OptFirstEventRate, 1, math.MaxInt64, func(v int64) { cfg.Rate = v }},
		{OptPersonProportion, 0, 1000, func(v int64) { cfg.PersonProportion = int(v) }},
		{OptAuctionProportion, 0, 1000, func(v int64) { cfg.AuctionProportion = int(v) }},
		{OptBidProportion, 0, 1000, func(v int64) { cfg.BidProportion = int(v) }},
		{OptHotAuctionRatio, 1, 1 << 20, func(v int64) { cfg.HotAuctionRatio = int(v) }},
		{OptHotSellerRatio, 1, 1 << 20, func(v int64) { cfg.HotSellersRatio = int(v) }},
		{OptHotBidderRatio, 1, 1 << 20, func(v int64) { cfg.HotBiddersRatio = int(v) }},
		{OptAvgPersonSize, 1, MaxAvgBytes, func(v int64) { cfg.AvgPersonBytes = int(v) }},
		{OptAvgAuctionSize, 1, MaxAvgBytes, func(v int64) { cfg.AvgAuctionBytes = int(v) }},
		{OptAvgBidSize, 1, MaxAvgBytes, func(v int64) { cfg.AvgBidBytes = int(v) }},
		{OptSplits, 1, MaxSplits, func(v int64) { cfg.Splits = int(v) }},
		{OptSeed, math.MinInt64, math.MaxInt64, func(v int64) { cfg.Seed = v }},
	}
	for _, i := range ints {
		v, err := o.Int(i.key, i.lo, i.hi)
		if err != nil {
			return cfg, o, err
		}
		i.set(v)
	}
	if o.Has(OptNextEventRate) && strings.TrimSpace(o.Get(OptNextEventRate)) != strings.TrimSpace(o.Get(OptFirstEventRate)) {
		return cfg, o, o.Errorf("'next-event.rate' (%s) must equal 'first-event.rate' (%s): a changing rate is not supported", o.Get(OptNextEventRate), o.Get(OptFirstEventRate))
	}
	if bt := strings.TrimSpace(o.Get(OptBaseTime)); bt != "" {
		if ms, err := strconv.ParseInt(bt, 10, 64); err == nil {
			cfg.BaseTime = ms
		} else if ms, _, err := table.ParseTimestamp(bt); err == nil {
			cfg.BaseTime = ms
		} else {
			return cfg, o, o.Errorf("option 'base-time' is '%s', want epoch milliseconds or 'yyyy-MM-dd HH:mm:ss'", bt)
		}
	}
	limited, err := o.Enum(OptRateLimited, "true", "wall-clock", "false")
	if err != nil {
		return cfg, o, err
	}
	cfg.RateLimited = limited != "false"
	cfg.WallClock = limited == "wall-clock"
	if cfg.WallClock && !o.Has(OptBaseTime) {
		// The default base time is in the past: every event would be due
		// at once, and nothing would be rate-limited.
		return cfg, o, o.Errorf("'%s' = 'wall-clock' needs '%s' (the event time of the first event, e.g. the time the job is first started)", OptRateLimited, OptBaseTime)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, o, o.Errorf("%v", err)
	}
	return cfg, o, nil
}

// rowConverter builds the rows of a schema from events.
type rowConverter struct {
	n                       int
	eventType, dateTime     int // column positions, -1: none
	person, auction, bid    int
	personF, auctionF, bidF []int // field codes (indexes into personCols ...) in ROW order
	width                   int   // the widest member ROW
	proj                    []projField
	// The fields of proj that are not NULL for an event of each type (the
	// rest stay NULL).
	projPerson, projAuction, projBid, projOther []int
	// flat is set when proj has no whole member ROW: then every field of
	// a row is written by the ops of its event's type (NULLs too), in
	// one switch per field.
	flat                             bool
	flatPerson, flatAuction, flatBid []flatOp
	// memWidth is the widest whole member ROW that proj holds (0: none):
	// a Read carves the member ROWs of its rows from one array of
	// memWidth values per row.
	memWidth int
}

// flatOp writes field dst of a flat projected row: NULL (flatNull), the
// event type, the event time, or the member's field of code src-flatField.
type flatOp struct {
	dst, src int
}

const (
	flatNull = iota
	flatType
	flatTime
	flatField
)

// projField is one field of a projected row: what it reads and, for a
// member's field, the field code.
type projField struct {
	what int // projEventType ...
	code int
}

const (
	projEventType = iota
	projDateTime
	projPerson // the whole member ROW
	projAuction
	projBid
	projPersonField
	projAuctionField
	projBidField
)

// project makes c build rows of the given column and field paths of s.
func (c *rowConverter) project(s table.Schema, fields [][]int) error {
	c.proj = make([]projField, len(fields))
	for i, path := range fields {
		if len(path) == 0 || path[0] < 0 || path[0] >= len(s.Columns) || len(path) > 2 {
			return fmt.Errorf("no such column or field: %v", path)
		}
		col := path[0]
		var f projField
		switch col {
		case c.eventType:
			f.what = projEventType
		case c.dateTime:
			f.what = projDateTime
		case c.person:
			f.what = projPerson
		case c.auction:
			f.what = projAuction
		case c.bid:
			f.what = projBid
		default:
			return fmt.Errorf("column %q is not one of the generator's", s.Columns[col].Name)
		}
		if len(path) == 2 {
			var codes []int
			switch f.what {
			case projPerson:
				codes = c.personF
			case projAuction:
				codes = c.auctionF
			case projBid:
				codes = c.bidF
			default:
				return fmt.Errorf("column %q has no fields", s.Columns[col].Name)
			}
			if path[1] < 0 || path[1] >= len(codes) {
				return fmt.Errorf("column %q has no field %d", s.Columns[col].Name, path[1])
			}
			f.what += projPersonField - projPerson
			f.code = codes[path[1]]
		}
		c.proj[i] = f
	}
	c.n, c.width = len(fields), 0
	c.flat = true
	for i, f := range c.proj {
		src := [3]int{flatNull, flatNull, flatNull} // person, auction, bid
		switch f.what {
		case projEventType:
			src = [3]int{flatType, flatType, flatType}
		case projDateTime:
			src = [3]int{flatTime, flatTime, flatTime}
		case projPersonField:
			src[0] = flatField + f.code
		case projAuctionField:
			src[1] = flatField + f.code
		case projBidField:
			src[2] = flatField + f.code
		default:
			c.flat = false
		}
		c.flatPerson = append(c.flatPerson, flatOp{i, src[0]})
		c.flatAuction = append(c.flatAuction, flatOp{i, src[1]})
		c.flatBid = append(c.flatBid, flatOp{i, src[2]})
	}
	for i, f := range c.proj {
		switch f.what {
		case projEventType, projDateTime:
			c.projPerson = append(c.projPerson, i)
			c.projAuction = append(c.projAuction, i)
			c.projBid = append(c.projBid, i)
			c.projOther = append(c.projOther, i)
		case projPerson, projPersonField:
			if f.what == projPerson {
				c.memWidth = max(c.memWidth, len(c.personF))
			}
			c.projPerson = append(c.projPerson, i)
		case projAuction, projAuctionField:
			if f.what == projAuction {
				c.memWidth = max(c.memWidth, len(c.auctionF))
			}
			c.projAuction = append(c.projAuction, i)
		case projBid, projBidField:
			if f.what == projBid {
				c.memWidth = max(c.memWidth, len(c.bidF))
			}
			c.projBid = append(c.projBid, i)
		}
	}
	return nil
}

// flatRow converts e into the projected fields (len n) of a flat
// projection, writing every field; ok is false for an event without a
// member.
func (c *rowConverter) flatRow(e *Event, fields []table.Value) (ok bool) {
	fields = fields[:c.n]
	switch {
	case e.Bid != nil:
		b := e.Bid
		for _, op := range c.flatBid {
			switch op.src {
			case flatNull:
				fields[op.dst] = table.Value{}
			case flatType:
				fields[op.dst] = table.Int(int64(e.Type))
			case flatTime:
				fields[op.dst] = table.TimestampMillis(b.DateTime)
			case flatField + 0:
				fields[op.dst] = table.Int(b.Auction)
			case flatField + 1:
				fields[op.dst] = table.Int(b.Bidder)
			case flatField + 2:
				fields[op.dst] = table.Int(b.Price)
			case flatField + 3:
				fields[op.dst] = table.Str(b.Channel)
			case flatField + 4:
				fields[op.dst] = table.Str(b.URL)
			case flatField + 5:
				fields[op.dst] = table.TimestampMillis(b.DateTime)
			default:
				fields[op.dst] = table.Str(b.Extra)
			}
		}
	case e.Auction != nil:
		a := e.Auction
		for _, op := range c.flatAuction {
			switch op.src {
			case flatNull:
				fields[op.dst] = table.Value{}
			case flatType:
				fields[op.dst] = table.Int(int64(e.Type))
			case flatTime:
				fields[op.dst] = table.TimestampMillis(a.DateTime)
			default:
				fields[op.dst] = auctionValue(a, op.src-flatField)
			}
		}
	case e.Person != nil:
		p := e.Person
		for _, op := range c.flatPerson {
			switch op.src {
			case flatNull:
				fields[op.dst] = table.Value{}
			case flatType:
				fields[op.dst] = table.Int(int64(e.Type))
			case flatTime:
				fields[op.dst] = table.TimestampMillis(p.DateTime)
			default:
				fields[op.dst] = personValue(p, op.src-flatField)
			}
		}
	default:
		return false
	}
	return true
}

// projRow converts e into the projected fields (len n, all NULL), the
// fields of its whole member ROW (an event has one) in mem (len memWidth,
// zero; nil: allocated).
func (c *rowConverter) projRow(e *Event, fields, mem []table.Value) table.Row {
	member := func(n int) []table.Value {
		if len(mem) < n {
			return make([]table.Value, n)
		}
		return mem[:n:n]
	}
	set := c.projOther
	switch {
	case e.Bid != nil:
		set = c.projBid
	case e.Person != nil:
		set = c.projPerson
	case e.Auction != nil:
		set = c.projAuction
	}
	for _, i := range set {
		f := c.proj[i]
		var v table.Value
		switch f.what {
		case projEventType:
			v = table.Int(int64(e.Type))
		case projDateTime:
			v = table.TimestampMillis(e.Time())
		case projPersonField:
			if e.Person != nil {
				v = personValue(e.Person, f.code)
			}
		case projAuctionField:
			if e.Auction != nil {
				v = auctionValue(e.Auction, f.code)
			}
		case projBidField:
			if e.Bid != nil {
				v = bidValue(e.Bid, f.code)
			}
		case projPerson:
			if e.Person != nil {
				mem := member(len(c.personF))
				for k, code := range c.personF {
					mem[k] = personValue(e.Person, code)
				}
				v = table.RowValue(mem)
			}
		case projAuction:
			if e.Auction != nil {
				mem := member(len(c.auctionF))
				for k, code := range c.auctionF {
					mem[k] = auctionValue(e.Auction, code)
				}
				v = table.RowValue(mem)
			}
		case projBid:
			if e.Bid != nil {
				mem := member(len(c.bidF))
				for k, code := range c.bidF {
					mem[k] = bidValue(e.Bid, code)
				}
				v = table.RowValue(mem)
			}
		}
		fields[i] = v
	}
	return table.Row{Fields: fields}
}

// The fields of the members, by lower-case name: the code is the index.
var (
	personCols   = []string{"id", "name", "emailaddress", "creditcard", "city", "state", "datetime", "extra"}
	personKinds  = []table.Kind{table.KindInt, table.KindString, table.KindString, table.KindString, table.KindString, table.KindString, table.KindTimestamp, table.KindString}
	auctionCols  = []string{"id", "itemname", "description", "initialbid", "reserve", "datetime", "expires", "seller", "category", "extra"}
	auctionKinds = []table.Kind{table.KindInt, table.KindString, table.KindString, table.KindInt, table.KindInt, table.KindTimestamp, table.KindTimestamp, table.KindInt, table.KindInt, table.KindString}
	bidCols      = []string{"auction", "bidder", "price", "channel", "url", "datetime", "extra"}
	bidKinds     = []table.Kind{table.KindInt, table.KindInt, table.KindInt, table.KindString, table.KindString, table.KindTimestamp, table.KindString}
)

func fieldsOf(col table.Column, names []string, kinds []table.Kind) ([]int, error) {
	if col.Type.Root() != table.RootRow {
		return nil, fmt.Errorf("column %q must be a ROW, not %s", col.Name, col.Type)
	}
	var out []int
	for _, f := range col.Type.Fields() {
		code := slices.Index(names, strings.ToLower(f.Name))
		if code < 0 {
			return nil, fmt.Errorf("column %q: the generator has no field %q", col.Name, f.Name)
		}
		if table.KindOf(f.Type) != kinds[code] {
			return nil, fmt.Errorf("column %q: field %q must be a %s, not %s", col.Name, f.Name, kinds[code], f.Type)
		}
		out = append(out, code)
	}
	return out, nil
}

func newRowConverter(s table.Schema) (*rowConverter, error) {
	c := &rowConverter{n: len(s.Columns), eventType: -1, dateTime: -1, person: -1, auction: -1, bid: -1}
	for i, col := range s.Columns {
		if col.Computed != "" {
			continue
		}
		if col.Metadata != "" {
			return nil, fmt.Errorf("column %q: the nexmark connector has no metadata (METADATA FROM '%s')", col.Name, col.Metadata)
		}
		var err error
		switch strings.ToLower(col.Name) {
		case "event_type":
			if !col.Type.IsInteger() {
				return nil, fmt.Errorf("column %q must be an integer, not %s", col.Name, col.Type)
			}
			c.eventType = i
		case "datetime":
			if !col.Type.IsTimestamp() {
				return nil, fmt.Errorf("column %q must be a TIMESTAMP(3), not %s", col.Name, col.Type)
			}
			c.dateTime = i
		case "person":
			c.person = i
			c.personF, err = fieldsOf(col, personCols, personKinds)
		case "auction":
			c.auction = i
			c.auctionF, err = fieldsOf(col, auctionCols, auctionKinds)
		case "bid":
			c.bid = i
			c.bidF, err = fieldsOf(col, bidCols, bidKinds)
		default:
			return nil, fmt.Errorf("column %q: the generator has event_type, person, auction, bid and dateTime", col.Name)
		}
		if err != nil {
			return nil, err
		}
	}
	c.width = max(len(c.personF), len(c.auctionF), len(c.bidF))
	return c, nil
}

func personValue(p *Person, code int) table.Value {
	switch code {
	case 0:
		return table.Int(p.ID)
	case 1:
		return table.Str(p.Name)
	case 2:
		return table.Str(p.EmailAddress)
	case 3:
		return table.Str(p.CreditCard)
	case 4:
		return table.Str(p.City)
	case 5:
		return table.Str(p.State)
	case 6:
		return table.TimestampMillis(p.DateTime)
	}
	return table.Str(p.Extra)
}

func auctionValue(a *Auction, code int) table.Value {
	switch code {
	case 0:
		return table.Int(a.ID)
	case 1:
		return table.Str(a.ItemName)
	case 2:
		return table.Str(a.Description)
	case 3:
		return table.Int(a.InitialBid)
	case 4:
		return table.Int(a.Reserve)
	case 5:
		return table.TimestampMillis(a.DateTime)
	case 6:
		return table.TimestampMillis(a.Expires)
	case 7:
		return table.Int(a.Seller)
	case 8:
		return table.Int(a.Category)
	}
	return table.Str(a.Extra)
}

func bidValue(b *Bid, code int) table.Value {
	switch code {
	case 0:
		return table.Int(b.Auction)
	case 1:
		return table.Int(b.Bidder)
	case 2:
		return table.Int(b.Price)
	case 3:
		return table.Str(b.Channel)
	case 4:
		return table.Str(b.URL)
	case 5:
		return table.TimestampMillis(b.DateTime)
	}
	return table.Str(b.Extra)
}

// row converts e into fields (len n), taking the member ROW's values from
// mem (len width; of a projected row: len memWidth, fresh). Projected rows
// may be reused ones: every field is written. Rows of the whole schema
// are fresh (zeroed) ones.
func (c *rowConverter) row(e *Event, fields, mem []table.Value) table.Row {
	if c.flat && c.flatRow(e, fields) {
		return table.Row{Fields: fields}
	}
	if c.proj != nil {
		clear(fields) // a reused row's
		return c.projRow(e, fields, mem)
	}
	if c.eventType >= 0 {
		fields[c.eventType] = table.Int(int64(e.Type))
	}
	if c.dateTime >= 0 {
		fields[c.dateTime] = table.TimestampMillis(e.Time())
	}
	switch {
	case e.Person != nil && c.person >= 0:
		mem = mem[:len(c.personF):len(c.personF)]
		for i, code := range c.personF {
			mem[i] = personValue(e.Person, code)
		}
		fields[c.person] = table.RowValue(mem)
	case e.Auction != nil && c.auction >= 0:
		mem = mem[:len(c.auctionF):len(c.auctionF)]
		for i, code := range c.auctionF {
			mem[i] = auctionValue(e.Auction, code)
		}
		fields[c.auction] = table.RowValue(mem)
	case e.Bid != nil && c.bid >= 0:
		mem = mem[:len(c.bidF):len(c.bidF)]
		for i, code := range c.bidF {
			mem[i] = bidValue(e.Bid, code)
		}
		fields[c.bid] = table.RowValue(mem)
	}
	return table.Row{Fields: fields}
}

type tableSource struct {
	src  *Source
	conv *rowConverter
}

func (s *tableSource) Bounded() bool { return s.src.Bounded() }

func (s *tableSource) Splits(ctx context.Context) ([]connector.Split, error) {
	return s.src.Splits(ctx)
}

func (s *tableSource) Open(ctx context.Context, split connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r, err := s.src.Open(ctx, split, pos)
	if err != nil {
		return nil, err
	}
	return &tableReader{r: r.(*Reader), conv: s.conv}, nil
}

// tableReader converts a Reader's events to rows. The rows of one Read and
// their member ROW values share one backing array: one allocation per
// batch, or none once the engine said that it is done with a batch's rows
// by the next Read (ReuseRecords, projected rows only). Events are
// generated into a scratch member one at a time and converted at once:
// the rows keep only its values and strings (slices of the generator's
// tables; a person, whose email and credit card are bytes of its own, is
// allocated).
type tableReader struct {
	r     *Reader
	conv  *rowConverter
	sc    scratch
	reuse bool          // ReuseRecords was called
	store []table.Value // the last batch's backing array, when reused
}

var (
	_ connector.ReaderTimeTableSource  = (*TableConnector)(nil)
	_ connector.Reader[table.Row]      = (*tableReader)(nil)
	_ connector.Timestamped[table.Row] = (*tableReader)(nil)
	_ connector.RecordReuser           = (*tableReader)(nil)
)

func (r *tableReader) Read(ctx context.Context, buf []table.Row) (int, error) {
	return r.read(ctx, buf, nil)
}

func (r *tableReader) ReadTimestamped(ctx context.Context, buf []table.Row, ts []int64) (int, error) {
	buf = buf[:min(len(buf), len(ts))]
	return r.read(ctx, buf, ts[:len(buf)])
}

// ReuseRecords lets the next Read build its rows in the memory of the
// rows of this one (connector.RecordReuser), for projected rows only:
// their values refer to nothing in the backing array (numbers,
// timestamps, strings of the generator's tables or a person's own bytes,
// a whole member ROW's fields allocated per row), so a value copied out
// of a row stays valid when the row is rebuilt. Unprojected rows keep
// their member ROW's fields in the backing array: never reused.
func (r *tableReader) ReuseRecords() { r.reuse = r.conv.proj != nil }

func (r *tableReader) read(ctx context.Context, buf []table.Row, ts []int64) (int, error) {
	if r.r.closed {
		return 0, errors.New("nexmark: read from a closed reader")
	}
	n, err := r.r.take(ctx, len(buf))
	if n == 0 {
		return 0, err
	}
	w, m := r.conv.n, r.conv.width
	var store []table.Value
	if size := n * (w + m); r.reuse && cap(r.store) >= size {
		store = r.store[:size] // row writes or clears every field
	} else {
		store = make([]table.Value, size)
		if r.reuse {
			r.store = store
		}
	}
	// The whole member ROWs of projected rows: one fresh array per
	// batch, never reused (a ROW value copied out of a row keeps its
	// fields when the row's memory is reused).
	var members []table.Value
	mw := r.conv.memWidth
	if r.conv.proj != nil && mw > 0 {
		members = make([]table.Value, n*mw)
	}
	r.sc.freshPerson = true
	for i := range n {
		e, t := r.r.g.event(r.r.next+int64(i), &r.sc)
		row := store[i*(w+m) : (i+1)*(w+m)]
		mem := row[w:]
		if members != nil {
			mem = members[i*mw : (i+1)*mw]
		}
		buf[i] = r.conv.row(&e, row[:w:w], mem)
		if ts != nil {
			ts[i] = t
		}
	}
	r.r.next += int64(n)
	return n, nil
}

func (r *tableReader) Position() []byte { return r.r.Position() }
func (r *tableReader) Close() error     { return r.r.Close() }
