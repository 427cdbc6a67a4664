-- name: ClaimExpiredOrder :one
-- The oldest unpaid order created before older_than that no other transaction holds:
-- concurrent expiry runs (several `oms serve` processes) each take different orders, and
-- an order being paid right now is left for the next run.
SELECT * FROM orders
WHERE status IN ('created', 'pending') AND created_at < sqlc.arg(older_than)::timestamptz
ORDER BY created_at
LIMIT 1
FOR UPDATE SKIP LOCKED;
