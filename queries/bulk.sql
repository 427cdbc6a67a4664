-- name: InsertBulkCancellation :exec
INSERT INTO bulk_cancellations (id, staff_id, actor_name, reason, refund, order_ids)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: GetBulkCancellation :one
SELECT * FROM bulk_cancellations WHERE id = $1;

-- name: AdvanceBulkCancellation :execrows
-- Records order number done (0-based) once: a replayed step changes nothing.
UPDATE bulk_cancellations SET done = done + 1, results = results || sqlc.arg(result)::jsonb,
    finished_at = CASE WHEN done + 1 = cardinality(order_ids) THEN now() END
WHERE id = sqlc.arg(id) AND done = sqlc.arg(done);
