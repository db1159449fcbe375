// Package newcomer holds the newcomer test: from the README alone, on a
// fresh clone of the repository, the two commands it gives a newcomer work.
// It has no code; see newcomer_test.go.
package newcomer
