// Package pgstore is an idempotency.Store in PostgreSQL, for server
// instances that share one record of every key (STANDARDS.md RS-11),
// after Brandur Leach's "Implementing Stripe-like Idempotency Keys in
// Postgres": a row per (scope, key) under a unique index, holding the
// request's fingerprint, its holder's token and lease, and once done its
// stored response.
//
// The table is created by an explicit Migrate(ctx), never behind the
// caller's back. Each transition (claim, complete, release) is one
// statement, so its own transaction and one round trip: a first request
// costs two (claim, complete), a replay one (claim). A claim takes a key
// that is free or whose lease or retention has passed, in the same
// statement that reads it otherwise. Times are the database's clock.
//
// Expired rows are never read, and Sweep deletes them in bounded batches;
// call it periodically. Every call returns when its context is done (pgx
// cancels the query), so the Guard's store timeout bounds it.
package pgstore
