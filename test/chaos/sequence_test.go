package chaos

type p2Params struct{ seeds, panics, keys, perKey int }
