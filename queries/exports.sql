-- name: LockExportOwner :exec
-- Serializes the starts of one user's exports, so that the running-exports limit holds
-- however many requests arrive at once (released at commit).
SELECT pg_advisory_xact_lock(hashtextextended('exports:' || sqlc.arg(staff_id)::uuid::text, 0));

-- name: CountActiveExports :one
SELECT count(*) FROM exports WHERE staff_id = $1 AND status IN ('queued', 'running');

-- name: InsertExport :exec
INSERT INTO exports (id, staff_id, filter, ids, format, total, total_exact, filename, content_type, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: GetExport :one
-- An export as its owner sees it, without the file.
SELECT id, staff_id, filter, ids, format, status, done, total, total_exact, error, filename, content_type,
       size, created_at, finished_at, expires_at
FROM exports
WHERE id = $1 AND staff_id = $2 AND expires_at > now();

-- name: GetExportChunk :one
SELECT data FROM export_chunks WHERE export_id = $1 AND seq = $2;

-- name: InsertExportChunk :exec
-- Only while the export runs: a chunk of an attempt that lost its claim is refused (the
-- foreign key once the export is deleted, the condition once it is finished or failed).
INSERT INTO export_chunks (export_id, seq, data)
SELECT id, sqlc.arg(seq), sqlc.arg(data) FROM exports WHERE id = sqlc.arg(export_id) AND status = 'running';

-- name: DeleteExportChunks :exec
DELETE FROM export_chunks WHERE export_id = $1;

-- name: ClaimExport :one
-- The job starts (or, after a failed attempt, starts again) from zero. A row that is
-- finished, failed, expired or deleted is not claimed: the job has nothing left to do.
UPDATE exports SET status = 'running', done = 0
WHERE id = $1 AND status IN ('queued', 'running') AND expires_at > now()
RETURNING filter, ids, format;

-- name: SetExportProgress :exec
UPDATE exports SET done = $2 WHERE id = $1 AND status = 'running';

-- name: FinishExport :execrows
UPDATE exports
SET status = 'done', size = $2, done = $3, total = $3, total_exact = true, finished_at = now(), expires_at = $4
WHERE id = $1 AND status = 'running';

-- name: FailExport :execrows
UPDATE exports
SET status = 'failed', error = $2, finished_at = now(), expires_at = $3
WHERE id = $1 AND status IN ('queued', 'running');

-- name: RequeueExport :exec
UPDATE exports SET status = 'queued', done = 0 WHERE id = $1 AND status = 'running';

-- name: DeleteExpiredExports :execrows
DELETE FROM exports
WHERE id IN (SELECT id FROM exports WHERE expires_at <= now() ORDER BY expires_at LIMIT $1);
