-- name: ListTaxRates :many
SELECT * FROM tax_rates ORDER BY country, region;

-- name: InsertTaxRate :one
INSERT INTO tax_rates (country, region, rate, name) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: UpdateTaxRate :one
UPDATE tax_rates SET country = $2, region = $3, rate = $4, name = $5 WHERE id = $1 RETURNING *;

-- name: DeleteTaxRate :execrows
DELETE FROM tax_rates WHERE id = $1;

-- name: ListShippingRates :many
SELECT * FROM shipping_rates ORDER BY country = '*', country, currency;

-- name: InsertShippingRate :one
INSERT INTO shipping_rates (country, currency, amount, free_above, name, ship_within_hours) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *;

-- name: UpdateShippingRate :one
UPDATE shipping_rates SET country = $2, currency = $3, amount = $4, free_above = $5, name = $6, ship_within_hours = $7
WHERE id = $1 RETURNING *;

-- name: RatesHaveDeadlines :one
-- Whether a shipping rate has deadline hours of its own (then a change of the rates may
-- move deadlines).
SELECT EXISTS (SELECT 1 FROM shipping_rates WHERE ship_within_hours IS NOT NULL)::bool;

-- name: DeleteShippingRate :execrows
DELETE FROM shipping_rates WHERE id = $1;

-- name: ListCoupons :many
SELECT * FROM coupons ORDER BY active DESC, upper(code);

-- name: InsertCoupon :one
INSERT INTO coupons (code, kind, value, currency, min_subtotal, starts_at, ends_at, usage_limit, active)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *;

-- name: UpdateCoupon :one
UPDATE coupons SET code = $2, kind = $3, value = $4, currency = $5, min_subtotal = $6,
    starts_at = $7, ends_at = $8, usage_limit = $9, active = $10
WHERE id = $1 RETURNING *;

-- name: DeleteCoupon :execrows
DELETE FROM coupons WHERE id = $1;
