-- +goose Up
-- A refund may draw on several payments (two bank transfers, or a transfer and a card):
-- each allocation is the part taken from one payment, with the gateway's refund id. The
-- sum of a payment's allocations is what is already refunded of it.
CREATE TABLE refund_allocations (
    refund_id    uuid NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    payment_id   uuid NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    amount       numeric(19,4) NOT NULL CHECK (amount > 0),
    external_id  text NOT NULL DEFAULT '',
    PRIMARY KEY (refund_id, payment_id)
);
CREATE INDEX refund_allocations_payment_idx ON refund_allocations (payment_id);

-- +goose Down
DROP TABLE refund_allocations;
