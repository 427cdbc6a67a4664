-- name: SetOrderTags :one
-- The trigger of migration 00014 mirrors the tags into order_tags.
UPDATE orders SET tags = sqlc.arg(tags)::text[], updated_at = now() WHERE id = sqlc.arg(id) RETURNING *;

-- name: HoldOrder :one
UPDATE orders SET hold_reason = sqlc.arg(reason)::text, held_by = sqlc.arg(held_by)::text,
    held_by_role = sqlc.arg(held_by_role)::text, held_at = now(), updated_at = now()
WHERE id = sqlc.arg(id) RETURNING *;

-- name: ReleaseOrder :one
UPDATE orders SET hold_reason = NULL, held_by = NULL, held_by_role = NULL, held_at = NULL, updated_at = now() WHERE id = $1 RETURNING *;
