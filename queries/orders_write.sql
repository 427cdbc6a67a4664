-- name: SetOrderStatus :one
-- Entering paid, shipped, delivered or cancelled stamps when it happened (first time only).
UPDATE orders SET status = sqlc.arg(status)::text, updated_at = now(),
    paid_at      = CASE WHEN sqlc.arg(status)::text = 'paid'      THEN coalesce(paid_at, now())      ELSE paid_at END,
    shipped_at   = CASE WHEN sqlc.arg(status)::text = 'shipped'   THEN coalesce(shipped_at, now())   ELSE shipped_at END,
    delivered_at = CASE WHEN sqlc.arg(status)::text = 'delivered' THEN coalesce(delivered_at, now()) ELSE delivered_at END,
    cancelled_at = CASE WHEN sqlc.arg(status)::text = 'cancelled' THEN coalesce(cancelled_at, now()) ELSE cancelled_at END,
    -- The shipping deadline is set on payment (service.changeStatus computes it with
    -- rules version ship_by_rules), kept while the order ships in parts, cleared once
    -- it has shipped or is cancelled.
    ship_by = CASE WHEN sqlc.arg(status)::text = 'paid' THEN sqlc.narg(ship_by)::timestamptz
                   WHEN sqlc.arg(status)::text = 'processing' THEN ship_by END,
    ship_by_rules = CASE WHEN sqlc.arg(status)::text = 'paid' THEN sqlc.narg(ship_by_rules)::int ELSE ship_by_rules END
WHERE id = sqlc.arg(id)
RETURNING *;

-- name: InsertHistory :exec
-- version: the order's version this change made (service.orderChanged); actor_email: a
-- staff user's, by which the activity log names them.
INSERT INTO order_history (order_id, kind, status, note, actor, actor_type, version, actor_email)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: BumpOrderVersion :one
-- The order's version after a change: once per changing transaction (service.orderChanged),
-- with the order row locked.
UPDATE orders SET version = version + 1 WHERE id = $1 RETURNING version;

-- name: ReleaseOrderReservations :execrows
-- Gives an order's still-reserved stock back to available, locking SKUs in SKU order.
WITH released AS (
    UPDATE inventory_reservations SET status = 'released', updated_at = now()
    WHERE order_id = $1 AND status = 'reserved'
    RETURNING sku, quantity
), per_sku AS (
    SELECT sku, sum(quantity)::int AS qty FROM released GROUP BY sku
), locked AS (
    SELECT i.sku FROM inventory i JOIN per_sku USING (sku) ORDER BY i.sku FOR UPDATE OF i
)
UPDATE inventory inv SET reserved = inv.reserved - per_sku.qty, updated_at = now()
FROM per_sku JOIN locked ON locked.sku = per_sku.sku
WHERE inv.sku = per_sku.sku;
