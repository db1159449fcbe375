// Package clock injects time into paved, so that every policy that waits —
// backoff, breaker open intervals, timeouts, rate-limit refills — can be tested
// without sleeping: time is injected everywhere, so your tests can drive
// paved's policies, and your own code, on fake time.
//
// Production code takes a [Clock] and defaults it to [Real], a zero-cost wrapper
// over package time and package context. Tests pass a [Fake] and move it
// forward explicitly with [Fake.Advance]; [Fake.BlockUntil] lets a test wait
// until the code under test has armed its timers, instead of sleeping.
//
// Use [Clock.WithTimeout] and [Clock.WithDeadline] rather than the context
// package's functions wherever a deadline comes from a policy: with a Fake they
// give contexts that expire when the fake clock reaches the deadline, report it
// through Deadline, and end with [context.DeadlineExceeded] exactly as the real
// ones do.
//
// Block with [Sleep], which returns promptly when its context is canceled and
// never leaves a timer behind.
package clock
