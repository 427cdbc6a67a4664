-- name: InsertPayment :one
INSERT INTO payments (id, order_id, gateway, amount, currency, status, reference, external_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, sqlc.narg(external_id))
RETURNING *;

-- name: GetPaymentByExternalID :one
SELECT * FROM payments WHERE external_id = $1;

-- name: SettlePayment :one
-- Only a pending payment settles, so a replayed or late gateway event changes nothing.
UPDATE payments SET status = sqlc.arg(status)::text, updated_at = now()
WHERE id = sqlc.arg(id) AND status = 'pending'
RETURNING *;

-- name: SumOrderPayments :one
-- paid and refunded recomputed from the payments and refunds themselves, never
-- incremented, so they cannot drift. The CHECKs on orders refuse a refund above paid and
-- a payment above the total.
UPDATE orders o SET updated_at = now(),
    paid = (SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.order_id = o.id AND p.status = 'completed'),
    refunded = (SELECT coalesce(sum(r.amount), 0) FROM refunds r WHERE r.order_id = o.id AND r.status <> 'failed')
WHERE o.id = $1
RETURNING *;

-- name: SetOrderPaymentStatus :one
UPDATE orders SET payment_status = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: RefundablePayments :many
-- An order's completed payments with what is left to refund of each, newest first.
SELECT p.id, p.gateway, p.external_id, p.currency,
       (p.amount - coalesce(sum(a.amount), 0))::numeric AS refundable
FROM payments p LEFT JOIN refund_allocations a ON a.payment_id = p.id
WHERE p.order_id = $1 AND p.status = 'completed'
GROUP BY p.id
HAVING p.amount - coalesce(sum(a.amount), 0) > 0
ORDER BY p.created_at DESC, p.id DESC;

-- name: InsertRefund :one
INSERT INTO refunds (id, order_id, payment_id, return_id, amount, reason, status, reference)
VALUES ($1, $2, sqlc.narg(payment_id), sqlc.narg(return_id), $3, $4, $5, $6)
RETURNING *;

-- name: InsertRefundAllocation :exec
INSERT INTO refund_allocations (refund_id, payment_id, amount, external_id) VALUES ($1, $2, $3, $4);

-- name: RecordStripeEvent :execrows
-- A second delivery of the same event inserts nothing (and waits for the first's transaction).
INSERT INTO stripe_events (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING;
