-- name: InsertActivity :exec
INSERT INTO activity (actor, actor_type, kind, summary, details) VALUES ($1, $2, $3, $4, $5);

-- name: GetAPITokenName :one
SELECT name FROM api_tokens WHERE id = $1;

-- name: GetTaxRate :one
SELECT * FROM tax_rates WHERE id = $1;

-- name: GetShippingRate :one
SELECT * FROM shipping_rates WHERE id = $1;

-- name: GetCoupon :one
SELECT * FROM coupons WHERE id = $1;
