-- +goose Up
-- Card payments as they really happen (issue 9).
--
-- A PaymentIntent may fail and later succeed, or be cancelled; money that arrives for an
-- order that can no longer take it (cancelled, already paid) is recorded as "unapplied":
-- captured, not counted in the order's paid, and refunded automatically. attention says
-- why staff should look at a payment ('' when nothing is asked of them).
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'completed', 'failed', 'canceled', 'unapplied'));
ALTER TABLE payments ADD COLUMN attention text NOT NULL DEFAULT '';

-- Refunds go out through an outbox: written pending, sent to the gateway by a job after
-- commit, settled by the gateway's answer, its webhook or reconciliation. Each allocation
-- (the part drawn from one payment) settles on its own; the refund's status follows them.
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
UPDATE refunds SET status = 'succeeded' WHERE status = 'completed';
ALTER TABLE refunds ALTER COLUMN status SET DEFAULT 'pending';
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('pending', 'succeeded', 'failed'));
ALTER TABLE refunds ADD COLUMN failure text NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE refund_allocations ADD COLUMN status text NOT NULL DEFAULT 'succeeded'
    CHECK (status IN ('pending', 'succeeded', 'failed'));
UPDATE refund_allocations a SET status = r.status FROM refunds r
WHERE r.id = a.refund_id AND r.status IN ('pending', 'failed');
ALTER TABLE refund_allocations ALTER COLUMN status SET DEFAULT 'pending';
ALTER TABLE refund_allocations ADD COLUMN failure text NOT NULL DEFAULT '';
ALTER TABLE refund_allocations ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Reconciliation reads what has been pending too long; webhooks find a refund by its id.
CREATE INDEX refund_allocations_pending_idx ON refund_allocations (updated_at) WHERE status = 'pending';
CREATE INDEX refund_allocations_external_idx ON refund_allocations (external_id) WHERE external_id <> '';

-- Only succeeded refunds are refunded money; pending ones still count against what can
-- be refunded.
ALTER TABLE orders ADD COLUMN refund_pending numeric(19,4) NOT NULL DEFAULT 0;
ALTER TABLE orders DROP CONSTRAINT orders_refunded_within_paid;
UPDATE orders o SET
    refunded = (SELECT coalesce(sum(a.amount), 0) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id
                WHERE p.order_id = o.id AND p.status = 'completed' AND a.status = 'succeeded'),
    refund_pending = (SELECT coalesce(sum(a.amount), 0) FROM refund_allocations a JOIN payments p ON p.id = a.payment_id
                WHERE p.order_id = o.id AND p.status = 'completed' AND a.status = 'pending')
WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id AND r.status <> 'succeeded');
UPDATE orders SET payment_status = CASE
    WHEN paid = 0 THEN 'pending' WHEN refunded > 0 AND refunded >= paid THEN 'refunded'
    WHEN refunded > 0 THEN 'partially_refunded' WHEN paid >= total THEN 'completed' ELSE 'partially_paid' END
WHERE refund_pending > 0;
ALTER TABLE orders ADD CONSTRAINT orders_refunded_within_paid
    CHECK (refunded >= 0 AND refund_pending >= 0 AND refunded + refund_pending <= paid);

-- Idempotent writes of the API (Idempotency-Key) and one-time tokens of the back-office's
-- confirm forms: the first request's answer, replayed to a retry with the same key.
CREATE TABLE request_replays (
    scope         text NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash  bytea NOT NULL,
    state         text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
    status        integer NOT NULL DEFAULT 0,
    headers       jsonb NOT NULL DEFAULT '{}',
    body          bytea NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX request_replays_created_idx ON request_replays (created_at);

-- +goose Down
DROP TABLE request_replays;
ALTER TABLE orders DROP CONSTRAINT orders_refunded_within_paid;
UPDATE orders SET refunded = refunded + refund_pending WHERE refund_pending > 0;
ALTER TABLE orders DROP COLUMN refund_pending;
ALTER TABLE orders ADD CONSTRAINT orders_refunded_within_paid CHECK (refunded >= 0 AND refunded <= paid);
DROP INDEX refund_allocations_external_idx;
DROP INDEX refund_allocations_pending_idx;
ALTER TABLE refund_allocations DROP COLUMN updated_at, DROP COLUMN failure, DROP COLUMN status;
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
UPDATE refunds SET status = 'completed' WHERE status = 'succeeded';
ALTER TABLE refunds ALTER COLUMN status SET DEFAULT 'completed';
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('pending', 'completed', 'failed'));
ALTER TABLE refunds DROP COLUMN updated_at, DROP COLUMN failure;
ALTER TABLE payments DROP COLUMN attention;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
UPDATE payments SET status = 'failed' WHERE status IN ('canceled', 'unapplied');
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'completed', 'failed'));
