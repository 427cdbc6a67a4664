-- name: ReturnableItems :many
-- An order's lines with what is already returned and what open (requested) returns ask for.
SELECT oi.id, oi.sku, oi.quantity, oi.unit_price, oi.fulfilled_quantity, oi.returned_quantity,
       coalesce((SELECT sum(ri.quantity) FROM return_items ri JOIN returns r ON r.id = ri.return_id
                 WHERE ri.order_item_id = oi.id AND r.status = 'requested'), 0)::int AS requested_quantity
FROM order_items oi WHERE oi.order_id = $1 ORDER BY oi.position;

-- name: InsertReturn :one
INSERT INTO returns (id, order_id, reason) VALUES ($1, $2, $3) RETURNING *;

-- name: InsertReturnItems :exec
INSERT INTO return_items (return_id, order_item_id, quantity, reason)
SELECT sqlc.arg(return_id), (sqlc.arg(item_ids)::uuid[])[i], (sqlc.arg(quantities)::int[])[i], (sqlc.arg(reasons)::text[])[i]
FROM generate_series(1, cardinality(sqlc.arg(item_ids)::uuid[])) AS i;

-- name: GetReturn :one
SELECT * FROM returns WHERE id = $1;

-- name: LockReturn :one
SELECT * FROM returns WHERE id = $1 FOR UPDATE;

-- name: ListReturnItems :many
SELECT ri.*, oi.sku FROM return_items ri JOIN order_items oi ON oi.id = ri.order_item_id
WHERE ri.return_id = $1 ORDER BY oi.position;

-- name: ListItemsOfReturns :many
SELECT * FROM return_items WHERE return_id = ANY(sqlc.arg(return_ids)::uuid[]);

-- name: ApproveReturn :one
-- Only a requested return is processed, once.
UPDATE returns SET status = 'approved', refund_amount = $2, note = $3, processed_at = now()
WHERE id = $1 AND status = 'requested'
RETURNING *;

-- name: RejectReturn :one
UPDATE returns SET status = 'rejected', note = $2, processed_at = now()
WHERE id = $1 AND status = 'requested'
RETURNING *;

-- name: ReceiveReturn :one
UPDATE returns SET status = 'received', restocked = $2, received_at = now()
WHERE id = $1 AND status = 'approved'
RETURNING *;

-- name: AddReturnedQuantity :execrows
-- The CHECK returned_quantity <= fulfilled_quantity backs the count.
UPDATE order_items SET returned_quantity = returned_quantity + $2 WHERE id = $1;

-- name: ListReturnsQueue :many
-- The returns queue, oldest first, by keyset (created_at, id).
SELECT r.*, o.order_number, o.currency, o.customer_name, o.customer_email, o.status AS order_status, o.version AS order_version
FROM returns r JOIN orders o ON o.id = r.order_id
WHERE (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status)::text)
  AND (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (r.created_at, r.id) > (sqlc.narg(after_created_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY r.created_at, r.id
LIMIT sqlc.arg(lim);

-- name: GetReturnWithOrder :one
SELECT r.*, o.order_number, o.currency, o.customer_name, o.customer_email, o.status AS order_status, o.version AS order_version
FROM returns r JOIN orders o ON o.id = r.order_id
WHERE r.id = $1;
