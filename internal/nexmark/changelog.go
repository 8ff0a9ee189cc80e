package nexmark

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Canonical turns result rows into a sorted multiset of canonical JSON rows
// (keys sorted, "op" removed). For updating queries the rows are a
// changelog applied in order: +I and +U add a row, -U and -D remove one
// equal row (an error if there is none).
func Canonical(rows []any, updating bool) ([]string, error) {
	count := map[string]int{}
	for i, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		op, _ := m["op"].(string)
		delete(m, "op")
		cb, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		key := string(cb)
		switch {
		case !updating || op == "+I" || op == "+U":
			count[key]++
		case op == "-U" || op == "-D":
			if count[key] == 0 {
				return nil, fmt.Errorf("row %d: %s of a row that is not in the result: %s", i, op, key)
			}
			count[key]--
		default:
			return nil, fmt.Errorf("row %d: updating query row without a valid op (%q)", i, op)
		}
	}
	var out []string
	for k, n := range count {
		for range n {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}
