-- +goose Up
-- Order versions (issue 22): every order has a version, 1 when it is created (the
-- column's default: the order write does not name it), one more with each transaction
-- that changes it (service.orderChanged), which clients send back in If-Match and forms
-- in a hidden input. Each history row of a change says the version that change made;
-- rows that are not changes (an email's delivery) and rows older than versions have none.
ALTER TABLE orders ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE order_history ADD COLUMN version bigint;

-- The order.updated webhook names the order's fields the change touched (data.changed).
ALTER TABLE messages ADD COLUMN changed text[];

-- +goose Down
ALTER TABLE messages DROP COLUMN changed;
ALTER TABLE order_history DROP COLUMN version;
ALTER TABLE orders DROP COLUMN version;
