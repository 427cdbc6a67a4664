-- name: ClaimExpiredOrder :one
-- The oldest unpaid order created before older_than that no other transaction holds:
-- concurrent expiry runs (several `oms serve` processes) each take different orders, and
-- an order being paid right now is left for the next run. Orders with money on them are
-- left to staff: partly paid, or with nothing to pay at all (total 0). An order with a
-- card payment still open waits until its intent is cancelled at Stripe (ExpiredOpenIntents).
SELECT * FROM orders o
WHERE o.status IN ('created', 'pending') AND o.created_at < sqlc.arg(older_than)::timestamptz
  AND o.paid = 0 AND o.total > 0
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status IN ('pending', 'failed'))
ORDER BY o.created_at
LIMIT 1
FOR UPDATE OF o SKIP LOCKED;

-- name: ExpiredOpenIntents :many
-- The open card payments of unpaid orders past their reservation: cancelled at Stripe
-- first, so that none succeeds on an order that is then cancelled.
SELECT p.id FROM payments p JOIN orders o ON o.id = p.order_id
WHERE o.status IN ('created', 'pending') AND o.created_at < sqlc.arg(older_than)::timestamptz
  AND o.paid = 0 AND o.total > 0 AND p.gateway = 'stripe' AND p.status IN ('pending', 'failed')
ORDER BY o.created_at
LIMIT sqlc.arg(lim);
