-- name: ClaimReplay :one
-- Claims key for a request: inserted (claimed = true) when new, or taken over when the
-- request that claimed it died running (older than stale_before); otherwise the row as
-- it is (claimed = false), to replay or to wait for.
INSERT INTO request_replays (scope, key, request_hash)
VALUES (sqlc.arg(scope), sqlc.arg(key), sqlc.arg(request_hash))
ON CONFLICT (scope, key) DO UPDATE SET created_at = now(), request_hash = EXCLUDED.request_hash
    WHERE request_replays.state = 'running' AND request_replays.created_at < sqlc.arg(stale_before)::timestamptz
RETURNING state, status, headers, body, request_hash, true AS claimed;

-- name: GetReplay :one
SELECT state, status, headers, body, request_hash FROM request_replays WHERE scope = $1 AND key = $2;

-- name: FinishReplay :exec
UPDATE request_replays SET state = 'done', status = $3, headers = $4, body = $5
WHERE scope = $1 AND key = $2 AND state = 'running';

-- name: ForgetReplay :exec
-- A request that failed on the server's side is not remembered: the retry runs again.
DELETE FROM request_replays WHERE scope = $1 AND key = $2 AND state = 'running';

-- name: DeleteOldReplays :execrows
DELETE FROM request_replays WHERE created_at < $1;
