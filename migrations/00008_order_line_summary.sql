-- +goose Up
-- What an order holds, as exports write it ("TEE-M x2; MUG x1", in line order), kept on
-- the order row when its lines are written: an export of a million orders then reads
-- the orders alone, instead of looking their lines up one order at a time (two thirds
-- of its time). `oms check` audits it against the lines.
ALTER TABLE orders ADD COLUMN line_summary text NOT NULL DEFAULT '';
UPDATE orders o SET line_summary = l.summary
FROM (SELECT order_id, string_agg(sku || ' x' || quantity, '; ' ORDER BY position) AS summary
      FROM order_items GROUP BY order_id) l
WHERE l.order_id = o.id;

-- +goose Down
ALTER TABLE orders DROP COLUMN line_summary;
