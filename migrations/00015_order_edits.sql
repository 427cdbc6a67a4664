-- +goose Up
-- Order edits (issue 12): changes of contact, addresses and lines are recorded in the
-- order's history as entries of their own kind, 'edit'.
ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment', 'notification', 'tags', 'hold', 'edit'));

-- An edit that removes lines of a paid order leaves it paid for more than its new
-- total: the difference is a refund owed, not an error, so paid may exceed the total.
-- Payments still never exceed what is outstanding: every path that books one checks it
-- under the order's row lock (service.RecordPayment, the Stripe webhook).
ALTER TABLE orders DROP CONSTRAINT orders_paid_within_total,
    ADD CONSTRAINT orders_paid_not_negative CHECK (paid >= 0);

-- +goose Down
ALTER TABLE orders DROP CONSTRAINT orders_paid_not_negative,
    ADD CONSTRAINT orders_paid_within_total CHECK (paid >= 0 AND paid <= total) NOT VALID;
DELETE FROM order_history WHERE kind = 'edit';
ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment', 'notification', 'tags', 'hold'));
