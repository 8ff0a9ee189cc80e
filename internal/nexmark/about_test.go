package nexmark

import "testing"

// Every registered query says what it computes, and nothing else does.
func TestEveryQueryHasAbout(t *testing.T) {
	for _, name := range Names() {
		if a, ok := AboutQuery(name); !ok || a.Title == "" || a.Summary == "" {
			t.Errorf("query %s: no About (%+v)", name, a)
		}
	}
	for name := range about {
		if _, err := Lookup(name); err != nil {
			t.Errorf("About of an unregistered query %s", name)
		}
	}
}
