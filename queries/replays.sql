-- name: ClaimReplay :one
-- Claims key for a request (owner names this claim): inserted (claimed = true) when new,
-- or taken over when the request that claimed it stopped saying it is alive more than
-- stale_ms ago (its process died); otherwise the row as it is (no row), to replay or to
-- wait for. Times are the database's, so that the processes' clocks do not matter.
INSERT INTO request_replays (scope, key, request_hash, owner)
VALUES (sqlc.arg(scope), sqlc.arg(key), sqlc.arg(request_hash), sqlc.arg(owner))
ON CONFLICT (scope, key) DO UPDATE SET created_at = now(), alive_at = now(), request_hash = EXCLUDED.request_hash,
    owner = EXCLUDED.owner
    WHERE request_replays.state = 'running' AND request_replays.committed_at IS NULL
      AND request_replays.alive_at < now() - sqlc.arg(stale_ms)::bigint * interval '1 millisecond'
RETURNING true AS claimed;

-- name: GetReplay :one
-- answer_lost: the request's change committed, but its process died before it stored the
-- answer.
SELECT state, status, headers, body, request_hash,
       (state = 'running' AND committed_at IS NOT NULL
        AND alive_at < now() - sqlc.arg(stale_ms)::bigint * interval '1 millisecond')::boolean AS answer_lost
FROM request_replays WHERE scope = sqlc.arg(scope) AND key = sqlc.arg(key);

-- name: MarkReplayCommitted :exec
-- In the transaction of the claimed request's change: the change is made.
UPDATE request_replays SET committed_at = now()
WHERE scope = $1 AND key = $2 AND owner = $3 AND state = 'running';

-- name: KeepReplayAlive :execrows
-- The owner of a running request says it still runs; no row: the claim is no longer its.
UPDATE request_replays SET alive_at = now()
WHERE scope = $1 AND key = $2 AND owner = $3 AND state = 'running';

-- name: FinishReplay :exec
UPDATE request_replays SET state = 'done', status = $4, headers = $5, body = $6
WHERE scope = $1 AND key = $2 AND owner = $3 AND state = 'running';

-- name: ForgetReplay :exec
-- A request that failed on the server's side is not remembered: the retry runs again.
-- One whose change committed is never forgotten (ReplayClaim.Committed).
DELETE FROM request_replays WHERE scope = $1 AND key = $2 AND owner = $3 AND state = 'running' AND committed_at IS NULL;

-- name: DeleteOldReplays :execrows
-- A request still running keeps its key, however long it runs.
DELETE FROM request_replays WHERE created_at < $1 AND (state = 'done' OR alive_at < $1);
