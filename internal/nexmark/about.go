package nexmark

// About is what a query computes, in a line: its name in the benchmark and
// a summary (after the query table of ../shared/nexmark/SPEC.md). The
// server shows it for its compiled-in Nexmark jobs.
type About struct {
	Title   string
	Summary string
}

var about = map[string]About{
	"q0":  {"Pass-through", "every bid, projected to the sink (the cost of source, serialisation and sink)"},
	"q1":  {"Currency conversion", "every bid with its price × 0.908 as DECIMAL(23,3)"},
	"q2":  {"Selection", "auction and price of the bids whose auction id is a multiple of 123"},
	"q3":  {"Local item suggestion", "sellers in OR, ID or CA of auctions in category 10 (an unwindowed join of auctions and persons)"},
	"q4":  {"Average price per category", "the average winning price of the auctions of each category (join, two aggregations over updates)"},
	"q5":  {"Hot items", "the auctions with the most bids in each sliding window of 10 s every 2 s"},
	"q6":  {"Average selling price by seller", "the average of each seller's last 10 winning prices"},
	"q7":  {"Highest bid", "the bids with the highest price of their 10 s tumbling window"},
	"q8":  {"Monitor new users", "persons who registered and opened an auction in the same 10 s window (a windowed join)"},
	"q9":  {"Winning bids", "each auction with its winning bid (highest price, earliest time)"},
	"q10": {"Log to file system", "every bid to CSV files partitioned by day and minute"},
	"q11": {"User sessions", "the bids of each bidder per session (10 s gap)"},
	"q12": {"Processing-time windows", "the bids of each bidder per 10 s window of processing time"},
	"q13": {"Bounded side-input join", "each bid enriched with a value from a side-input file"},
	"q14": {"Calculation", "bids with converted prices in a range, labelled day, night or other, with a count of 'c' in extra"},
	"q15": {"Bidding statistics report", "per day: bids, bidders and auctions in total and per price bucket (distinct counts)"},
	"q16": {"Channel statistics report", "q15 per channel and day"},
	"q17": {"Auction statistics report", "per auction and day: bids per price bucket, min, max, average and sum of the prices"},
	"q18": {"Find last bid", "the last bid of each (bidder, auction) pair"},
	"q19": {"Auction top-10 price", "the 10 highest bids of each auction"},
	"q20": {"Expand bid with auction", "bids joined with their auction, category 10 only"},
	"q21": {"Add channel id", "bids with a channel id from their channel or URL"},
	"q22": {"URL directories", "the first three directories of each bid's URL"},
}

// AboutQuery returns what the named query computes (false for an unknown
// name).
func AboutQuery(name string) (About, bool) {
	a, ok := about[name]
	return a, ok
}
