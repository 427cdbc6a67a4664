-- +goose Up
-- Shipping deadlines per shipping rate (issue 28): a rate may give the orders shipped at
-- it hours of their own ("ship within N business hours of payment"), in place of the
-- shop's rule; NULL: the shop's rule. The rule in deadline_settings still says whether
-- there are deadlines at all.
ALTER TABLE shipping_rates ADD COLUMN ship_within_hours numeric(7,2) CHECK (ship_within_hours > 0);

-- +goose Down
ALTER TABLE shipping_rates DROP COLUMN ship_within_hours;
