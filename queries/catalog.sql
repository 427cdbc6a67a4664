-- name: UpsertProduct :one
-- xmax = 0 only for a freshly inserted row: tells created (201) from updated (200).
INSERT INTO products (sku, name, price, sale_price, currency, active)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (sku) DO UPDATE SET
    name = EXCLUDED.name, price = EXCLUDED.price, sale_price = EXCLUDED.sale_price,
    currency = EXCLUDED.currency, active = EXCLUDED.active, updated_at = now()
RETURNING *, (xmax = 0)::boolean AS inserted;

-- name: EnsureInventory :exec
INSERT INTO inventory (sku) VALUES ($1) ON CONFLICT (sku) DO NOTHING;

-- name: GetProduct :one
SELECT * FROM products WHERE sku = $1;

-- name: ListProducts :many
-- q is a LIKE pattern, matched case-insensitively as lower(sku) and lower(name): the
-- expressions of the search's trigram indexes (migration 00020), which lookups by SKU
-- never use.
SELECT p.*, i.on_hand, i.reserved
FROM products p JOIN inventory i USING (sku)
WHERE (sqlc.narg(q)::text IS NULL OR lower(p.sku) LIKE '%' || lower(sqlc.narg(q)) || '%' OR lower(p.name) LIKE '%' || lower(sqlc.narg(q)) || '%')
  AND p.sku > sqlc.arg(after)::text
ORDER BY p.sku
LIMIT sqlc.arg(lim);

-- name: CountProducts :one
SELECT count(*) FROM products p
WHERE (sqlc.narg(q)::text IS NULL OR lower(p.sku) LIKE '%' || lower(sqlc.narg(q)) || '%' OR lower(p.name) LIKE '%' || lower(sqlc.narg(q)) || '%');

-- name: GetInventory :one
SELECT * FROM inventory WHERE sku = $1;

-- name: SetOnHand :one
-- The CHECK on_hand >= reserved refuses a level below what is reserved (23514).
UPDATE inventory SET on_hand = $2, updated_at = now() WHERE sku = $1 RETURNING *;

-- name: AdjustOnHand :one
UPDATE inventory SET on_hand = on_hand + sqlc.arg(delta)::int, updated_at = now()
WHERE sku = $1 RETURNING *;

-- name: InsertInventoryAdjustment :exec
INSERT INTO inventory_adjustments (sku, delta, reason, actor) VALUES ($1, $2, $3, $4);

-- name: LowStock :many
SELECT i.sku, p.name, i.on_hand, i.reserved
FROM inventory i JOIN products p USING (sku)
WHERE p.active AND i.on_hand - i.reserved <= sqlc.arg(threshold)::int
ORDER BY i.on_hand - i.reserved, i.sku
LIMIT sqlc.arg(lim);

-- name: GetInventoryForUpdate :one
SELECT * FROM inventory WHERE sku = $1 FOR UPDATE;

-- name: InsertProduct :execrows
-- Creates a product only if the SKU is new: 0 rows means it exists already.
INSERT INTO products (sku, name, price, sale_price, currency, active)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (sku) DO NOTHING;

-- name: UpdateProduct :one
-- Changes an existing product; no row means there is no such SKU.
UPDATE products SET name = $2, price = $3, sale_price = $4, currency = $5, active = $6, updated_at = now()
WHERE sku = $1
RETURNING *;
