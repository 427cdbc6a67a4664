-- +goose Up
-- The product search's trigram indexes (00016) were on sku and name themselves, so they
-- could also answer sku = ANY(...): the pricing of every new order (a generic plan)
-- chose the SKU's one over the primary key before the index had been vacuumed, and with
-- SKUs sharing a prefix (PERF-00001 ...) each of its trigrams lists the whole catalog:
-- 6-17 ms a lookup instead of 0.1 (issue 21). On lower(sku) and lower(name), which only
-- the search writes (ListProducts, CountProducts), no lookup by SKU can use them.
DROP INDEX products_sku_trgm_idx;
DROP INDEX products_name_trgm_idx;
CREATE INDEX products_sku_search_idx ON products USING gin (lower(sku) gin_trgm_ops);
CREATE INDEX products_name_search_idx ON products USING gin (lower(name) gin_trgm_ops);

-- +goose Down
DROP INDEX products_name_search_idx;
DROP INDEX products_sku_search_idx;
CREATE INDEX products_sku_trgm_idx ON products USING gin (sku gin_trgm_ops);
CREATE INDEX products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
