package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := `plain client         -> 502  replayed="", card charged 1 time(s)
WithIdempotencyKeys  -> 201 {"charge":"ch_2"} replayed="true", card charged 1 time(s)
`
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}
