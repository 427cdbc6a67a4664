-- name: InsertPayment :one
INSERT INTO payments (id, order_id, gateway, amount, currency, status, reference, external_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, sqlc.narg(external_id))
RETURNING *;

-- name: GetPaymentByExternalID :one
SELECT * FROM payments WHERE external_id = $1;

-- name: SettlePayment :one
-- A payment moves only from the statuses given (a replayed or late gateway event finds it
-- elsewhere and changes nothing). amount and currency, when given, are what the gateway
-- says it received; attention is added to what the payment already says.
UPDATE payments SET status = sqlc.arg(status)::text,
    attention = concat_ws(' ', NULLIF(attention, ''), NULLIF(sqlc.arg(attention)::text, '')),
    amount = coalesce(sqlc.narg(amount)::numeric, amount), currency = coalesce(sqlc.narg(currency)::text, currency),
    updated_at = now()
WHERE id = sqlc.arg(id) AND status = ANY(sqlc.arg(from_statuses)::text[])
RETURNING *;

-- name: FlagPayment :exec
-- Tells staff why to look at a payment, after what it already says.
UPDATE payments SET attention = concat_ws(' ', NULLIF(attention, ''), sqlc.arg(note)::text), updated_at = now()
WHERE id = sqlc.arg(id);

-- name: RefundsOfPayment :one
-- What the OMS knows is given back, or on its way back, of a payment.
SELECT coalesce(sum(amount), 0)::numeric FROM refund_allocations WHERE payment_id = $1 AND status <> 'failed';

-- name: OpenIntents :many
-- An order's card payments still in flight: pending, or failed (the shopper may retry).
-- One whose intent Stripe is still being asked for is not yet (see service.askForIntent).
SELECT * FROM payments
WHERE order_id = $1 AND gateway = 'stripe' AND status IN ('pending', 'failed') AND external_id IS NOT NULL
ORDER BY created_at;

-- name: GetPayment :one
SELECT * FROM payments WHERE id = $1;

-- name: SumOrderPayments :one
-- paid and refunded recomputed from the payments and refunds themselves, never
-- incremented, so they cannot drift. The CHECKs on orders refuse a refund above paid and
-- a payment above the total.
-- Only succeeded refunds are refunded; pending ones are held apart (refund_pending) and
-- count against what may still be refunded. Unapplied payments and their refunds are
-- outside the order's money.
UPDATE orders o SET updated_at = now(),
    paid = (SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.order_id = o.id AND p.status = 'completed'),
    refunded = (SELECT coalesce(sum(a.amount), 0) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id
                WHERE p.order_id = o.id AND p.status = 'completed' AND a.status = 'succeeded'),
    refund_pending = (SELECT coalesce(sum(a.amount), 0) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id
                WHERE p.order_id = o.id AND p.status = 'completed' AND a.status = 'pending')
WHERE o.id = $1
RETURNING *;

-- name: SetOrderPaymentStatus :one
UPDATE orders SET payment_status = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: RefundablePayments :many
-- An order's completed payments with what is left to refund of each, newest first.
-- A failed refund gives its part back.
SELECT p.id, p.gateway, p.external_id, p.currency,
       (p.amount - coalesce(sum(a.amount) FILTER (WHERE a.status <> 'failed'), 0))::numeric AS refundable
FROM payments p LEFT JOIN refund_allocations a ON a.payment_id = p.id
WHERE p.order_id = $1 AND p.status = 'completed'
GROUP BY p.id
HAVING p.amount - coalesce(sum(a.amount) FILTER (WHERE a.status <> 'failed'), 0) > 0
ORDER BY p.created_at DESC, p.id DESC;

-- name: InsertRefund :one
-- created_at is the clock when the row is written, under the order's lock, not the
-- transaction's start: a refund that waited for a shipment's lock is then never dated
-- before the order shipped, which `oms check` relies on (CheckStatusMatchesAmounts).
INSERT INTO refunds (id, order_id, payment_id, return_id, amount, reason, status, reference, created_at)
VALUES ($1, $2, sqlc.narg(payment_id), sqlc.narg(return_id), $3, $4, $5, $6, clock_timestamp())
RETURNING *;

-- name: InsertRefundAllocation :exec
INSERT INTO refund_allocations (refund_id, payment_id, amount, external_id, status) VALUES ($1, $2, $3, $4, $5);

-- name: GatewayAllocations :many
-- A refund's parts still to be settled at a gateway, with what the gateway needs.
SELECT a.refund_id, a.payment_id, a.amount, a.external_id, p.gateway, p.external_id AS payment_external_id,
       p.currency, r.order_id
FROM refund_allocations a JOIN payments p ON p.id = a.payment_id JOIN refunds r ON r.id = a.refund_id
WHERE a.refund_id = $1 AND a.status = 'pending'
ORDER BY p.created_at, p.id;

-- name: SetAllocationReference :exec
-- The gateway's refund id, stored as soon as it is known (the refund may still be pending).
UPDATE refund_allocations SET external_id = $3, updated_at = now()
WHERE refund_id = $1 AND payment_id = $2 AND status = 'pending';

-- name: SettleAllocation :execrows
-- Only a pending part settles: a second answer or a replayed webhook changes nothing.
UPDATE refund_allocations SET status = sqlc.arg(status)::text, failure = sqlc.arg(failure)::text,
    external_id = CASE WHEN sqlc.arg(external_id)::text = '' THEN external_id ELSE sqlc.arg(external_id)::text END,
    updated_at = now()
WHERE refund_id = sqlc.arg(refund_id) AND payment_id = sqlc.arg(payment_id) AND status = 'pending';

-- name: AllocationByExternalID :one
SELECT a.refund_id, a.payment_id, r.order_id FROM refund_allocations a JOIN refunds r ON r.id = a.refund_id
WHERE a.external_id = $1;

-- name: FollowAllocations :one
-- A refund's status follows its parts: pending while one is, failed when all failed,
-- succeeded otherwise (a part that failed is said in the history and released).
UPDATE refunds r SET updated_at = now(), status = s.status, failure = s.failure,
    reference = CASE WHEN s.parts = 1 THEN s.reference ELSE r.reference END
FROM (SELECT a.refund_id, count(*) AS parts, max(a.external_id) AS reference,
             CASE WHEN bool_or(a.status = 'pending') THEN 'pending'
                  WHEN bool_and(a.status = 'failed') THEN 'failed' ELSE 'succeeded' END AS status,
             coalesce(string_agg(NULLIF(a.failure, ''), '; '), '') AS failure
      FROM refund_allocations a WHERE a.refund_id = sqlc.arg(id) GROUP BY a.refund_id) s
WHERE r.id = s.refund_id
RETURNING r.*;

-- name: StaleRefunds :many
-- Refunds with a part pending since before older_than: the gateway is asked again.
SELECT DISTINCT a.refund_id FROM refund_allocations a
WHERE a.status = 'pending' AND a.updated_at < sqlc.arg(older_than)::timestamptz
LIMIT sqlc.arg(lim);

-- name: RecordStripeEvent :execrows
-- A second delivery of the same event inserts nothing (and waits for the first's transaction).
INSERT INTO stripe_events (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING;

-- name: GetRefund :one
SELECT * FROM refunds WHERE id = $1;

-- name: ReusableIntent :one
-- The card payment a new request for amount of the order reuses instead of asking Stripe
-- for another intent: pending or failed (a declined card may be tried again on the same
-- intent), of the same amount, and either answered (its client secret known) or still
-- being asked for.
SELECT * FROM payments
WHERE order_id = $1 AND gateway = 'stripe' AND status IN ('pending', 'failed') AND amount = $2 AND currency = $3
  AND (external_id IS NULL OR client_secret <> '')
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: HoldIntentCall :execrows
-- The request that asks Stripe for a payment's intent holds the payment for hold_ms (the
-- call's timeout and a margin): others wait for its answer meanwhile, and once that time
-- is over without an answer (its process died), the next request takes it over.
UPDATE payments SET gateway_call_until = now() + sqlc.arg(hold_ms)::bigint * interval '1 millisecond', updated_at = now()
WHERE id = $1 AND external_id IS NULL AND status = 'pending' AND (gateway_call_until IS NULL OR gateway_call_until < now());

-- name: IntentCall :one
-- Where the request asking Stripe for a payment's intent stands, for those waiting.
SELECT external_id, coalesce(gateway_call_until > now(), false)::bool AS held
FROM payments WHERE id = $1;

-- name: RecordIntent :one
-- Stripe's answer: only a payment still waiting for it takes it.
UPDATE payments SET external_id = $2, client_secret = $3, gateway_call_until = NULL, updated_at = now()
WHERE id = $1 AND external_id IS NULL AND status = 'pending'
RETURNING *;

-- name: DeleteIntentRequest :execrows
-- A payment Stripe made no intent for never was: the request that asked (held: after a
-- refusal or a timeout), or anyone once no request holds it (its asker died).
DELETE FROM payments
WHERE id = $1 AND external_id IS NULL AND status = 'pending'
  AND (sqlc.arg(held)::bool OR gateway_call_until IS NULL OR gateway_call_until < now());
