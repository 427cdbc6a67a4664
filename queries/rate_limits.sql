-- name: TakeRateLimit :one
-- Takes one request from key's budget (GCRA): allowed when, after it, the key's
-- theoretical arrival time is at most span (burst x interval) ahead; then it moves on by
-- interval (1/rate). A refused request changes nothing, and wait_seconds says how long
-- until the next would be allowed. One statement, so that every process shares the budget.
WITH taken AS (
    INSERT INTO rate_limits AS r (key, tat) VALUES (sqlc.arg(key), now() + make_interval(secs => sqlc.arg(interval_seconds)::float8))
    ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, now()) + make_interval(secs => sqlc.arg(interval_seconds)::float8)
    WHERE greatest(r.tat, now()) + make_interval(secs => sqlc.arg(interval_seconds)::float8)
        <= now() + make_interval(secs => sqlc.arg(span_seconds)::float8)
    RETURNING tat
)
SELECT EXISTS (SELECT 1 FROM taken)::bool AS allowed,
    (extract(epoch FROM coalesce((SELECT l.tat FROM rate_limits l WHERE l.key = sqlc.arg(key)), now()) - now())
        - sqlc.arg(span_seconds)::float8 + sqlc.arg(interval_seconds)::float8)::float8 AS wait_seconds;

-- name: DeleteOldRateLimits :execrows
-- A key whose budget is whole again is the same as no key.
DELETE FROM rate_limits WHERE tat < now();
