package main

import (
	"fmt"
	"io"
	"time"
)

// printTable prints results as a Markdown table, so README can quote it.
func printTable(w io.Writer, results []result) {
	fmt.Fprintln(w, "| scenario | client | success | goodput (calls/s) | requests at dependency per call | p50 | p99 | p99.9 | time to recover |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		rec := "—"
		if r.recover >= 0 {
			rec = ms(r.recover)
		}
		fmt.Fprintf(w, "| %s | %s | %.1f%% | %.0f | %.2f | %s | %s | %s | %s |\n",
			r.scenario, r.client, 100*r.success, r.goodput, r.attemptsPerCall, ms(r.p50), ms(r.p99), ms(r.p999), rec)
	}
}

// ms formats d for the table: milliseconds below 10 s, else seconds.
func ms(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
