-- +goose Up
-- Staff-made orders (issue 12): a manual discount, taken off after the coupon, is part of
-- the order's discount and kept apart too (with why it was given), so that a later
-- recomputation of the totals (an order edit) keeps it.
ALTER TABLE orders
    ADD COLUMN manual_discount numeric(19,4) NOT NULL DEFAULT 0 CHECK (manual_discount >= 0),
    ADD COLUMN manual_discount_reason text NOT NULL DEFAULT '',
    ADD CONSTRAINT orders_manual_discount_within_discount CHECK (manual_discount <= discount);

-- The product search of /orders/new and the products page (SKU or name containing what
-- is typed, ILIKE '%…%'): trigram indexes, so that it reads an index at any catalog size.
CREATE INDEX products_sku_trgm_idx ON products USING gin (sku gin_trgm_ops);
CREATE INDEX products_name_trgm_idx ON products USING gin (name gin_trgm_ops);

-- +goose Down
DROP INDEX products_name_trgm_idx;
DROP INDEX products_sku_trgm_idx;
ALTER TABLE orders DROP COLUMN manual_discount_reason, DROP COLUMN manual_discount;
