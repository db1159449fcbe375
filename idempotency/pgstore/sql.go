package pgstore

// The statements, with %[1]s the quoted table. Times are the database's
// (now()), so server instances' clocks need not agree. Scope, key and
// fingerprint are bytea: the Store contract allows any string, and text
// refuses NUL and invalid UTF-8.

const createTableSQL = `CREATE TABLE IF NOT EXISTS %[1]s (
	scope       bytea       NOT NULL,
	key         bytea       NOT NULL,
	fingerprint bytea       NOT NULL,
	token       text,
	result      bytea,
	expires_at  timestamptz NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (scope, key)
)`

// %[2]s is the index's name, the table's and "_expires_at".
const createIndexSQL = `CREATE INDEX IF NOT EXISTS %[2]s ON %[1]s (expires_at)`

// claimSQL: $1 scope, $2 key, $3 fingerprint, $4 token, $5 lease ms.
// Returns ('c'), ('i', fingerprint) or ('d', fingerprint, result).
const claimSQL = `WITH claimed AS (
	INSERT INTO %[1]s AS t (scope, key, fingerprint, token, expires_at)
	VALUES ($1, $2, $3, $4, now() + $5::bigint * interval '1 millisecond')
	ON CONFLICT (scope, key) DO UPDATE
		SET fingerprint = excluded.fingerprint, token = excluded.token, result = NULL,
			expires_at = excluded.expires_at, created_at = now()
		WHERE t.expires_at <= now()
	RETURNING 1
)
SELECT 'c'::text, NULL::bytea, NULL::bytea FROM claimed
UNION ALL
SELECT CASE WHEN token IS NULL THEN 'd' ELSE 'i' END, fingerprint, result
	FROM %[1]s
	WHERE scope = $1 AND key = $2 AND expires_at > now() AND NOT EXISTS (SELECT 1 FROM claimed)`

// completeSQL: $1 scope, $2 key, $3 token, $4 result, $5 retention ms.
const completeSQL = `UPDATE %[1]s
	SET token = NULL, result = $4, expires_at = now() + $5::bigint * interval '1 millisecond'
	WHERE scope = $1 AND key = $2 AND token = $3 AND expires_at > now()`

// releaseSQL: $1 scope, $2 key, $3 token.
const releaseSQL = `DELETE FROM %[1]s WHERE scope = $1 AND key = $2 AND token = $3`

// sweepSQL: $1 limit.
const sweepSQL = `DELETE FROM %[1]s WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM %[1]s WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED))`
