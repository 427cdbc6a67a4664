-- name: InsertProduct :execrows
-- Creates a product only if the SKU is new: 0 rows means it exists already.
INSERT INTO products (sku, name, price, sale_price, currency, active)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (sku) DO NOTHING;
