-- +goose Up
-- A bulk cancellation from the orders list runs as a job (it may refund through Stripe):
-- the page follows its progress. results holds one entry per order done, in order:
-- {"id", "number", "error"} (error empty when cancelled). Each order's cancellation and
-- its progress are written in one transaction, so a job that restarts goes on from done.
CREATE TABLE bulk_cancellations (
    id           uuid PRIMARY KEY,
    staff_id     uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    actor_name   text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    refund       boolean NOT NULL,
    order_ids    text[] NOT NULL CHECK (cardinality(order_ids) BETWEEN 1 AND 500),
    done         integer NOT NULL DEFAULT 0,
    results      jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    CHECK (done BETWEEN 0 AND cardinality(order_ids))
);
CREATE INDEX bulk_cancellations_created_idx ON bulk_cancellations (created_at);

-- +goose Down
DROP TABLE bulk_cancellations;
