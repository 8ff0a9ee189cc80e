package stream

// DisableWindowBuffer makes env's window operators keep every window in
// keyed state (the generic path), for tests that compare it with the window
// buffer.
func DisableWindowBuffer(env *Environment) { env.noWindowBuffer = true }
