-- +goose Up
-- Page views that cost the same at 300 orders and at 3 million.
--
-- 1. Counters instead of scans. Every statement that inserts, updates or deletes orders
--    appends what it changed to order_stat_deltas (a statement trigger, so the create
--    path, bulk loads and every service are covered alike, in the same transaction as the
--    change). Appending never waits on another writer, unlike incrementing a shared
--    counter row. A job folds the deltas into the two rollups every few seconds
--    (service.CompactOrderStats); readers add the rollup and the deltas not folded yet, so
--    what they read is exact, whenever the job last ran. `oms check` recounts both.

-- Orders per combination of the three statuses (a few dozen rows at most).
CREATE TABLE order_state_counts (
    status              text NOT NULL,
    payment_status      text NOT NULL,
    fulfillment_status  text NOT NULL,
    orders              bigint NOT NULL,
    PRIMARY KEY (status, payment_status, fulfillment_status)
);

-- Orders placed per UTC day and currency, and their revenue (totals of the orders that
-- are not cancelled).
CREATE TABLE order_daily_stats (
    day       date NOT NULL,
    currency  char(3) NOT NULL,
    orders    bigint NOT NULL,
    revenue   numeric(19,4) NOT NULL,
    PRIMARY KEY (day, currency)
);

-- No index: rows are only appended, and read or deleted all at once.
CREATE TABLE order_stat_deltas (
    day                 date NOT NULL,
    currency            char(3) NOT NULL,
    status              text NOT NULL,
    payment_status      text NOT NULL,
    fulfillment_status  text NOT NULL,
    orders              bigint NOT NULL,
    revenue             numeric(19,4) NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION oms_order_stats_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO order_stat_deltas (day, currency, status, payment_status, fulfillment_status, orders, revenue)
    SELECT (created_at AT TIME ZONE 'UTC')::date, currency, status, payment_status, fulfillment_status,
           count(*), coalesce(sum(total) FILTER (WHERE status <> 'cancelled'), 0)
    FROM new_rows GROUP BY 1, 2, 3, 4, 5;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION oms_order_stats_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each changed order counts -1 where it was and +1 where it is; an update that moves
    -- no order between groups (a note, a timestamp) nets out and appends nothing.
    INSERT INTO order_stat_deltas (day, currency, status, payment_status, fulfillment_status, orders, revenue)
    SELECT day, currency, status, payment_status, fulfillment_status, sum(n), sum(rev)
    FROM (
        SELECT (created_at AT TIME ZONE 'UTC')::date AS day, currency, status, payment_status, fulfillment_status,
               1 AS n, CASE WHEN status <> 'cancelled' THEN total ELSE 0 END AS rev
        FROM new_rows
        UNION ALL
        SELECT (created_at AT TIME ZONE 'UTC')::date, currency, status, payment_status, fulfillment_status,
               -1, CASE WHEN status <> 'cancelled' THEN -total ELSE 0 END
        FROM old_rows
    ) d
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(n) <> 0 OR sum(rev) <> 0;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION oms_order_stats_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO order_stat_deltas (day, currency, status, payment_status, fulfillment_status, orders, revenue)
    SELECT (created_at AT TIME ZONE 'UTC')::date, currency, status, payment_status, fulfillment_status,
           -count(*), -coalesce(sum(total) FILTER (WHERE status <> 'cancelled'), 0)
    FROM old_rows GROUP BY 1, 2, 3, 4, 5;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER orders_stats_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oms_order_stats_insert();
CREATE TRIGGER orders_stats_update AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oms_order_stats_update();
CREATE TRIGGER orders_stats_delete AFTER DELETE ON orders
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION oms_order_stats_delete();
-- Also for bulk loads that skip foreign key checks (session_replication_role = replica,
-- as pg_restore and `oms demo --orders` do): the counters must never miss an order.
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_stats_insert;
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_stats_update;
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_stats_delete;

-- The orders already there.
INSERT INTO order_state_counts (status, payment_status, fulfillment_status, orders)
SELECT status, payment_status, fulfillment_status, count(*) FROM orders GROUP BY 1, 2, 3;
INSERT INTO order_daily_stats (day, currency, orders, revenue)
SELECT (created_at AT TIME ZONE 'UTC')::date, currency, count(*),
       coalesce(sum(total) FILTER (WHERE status <> 'cancelled'), 0)
FROM orders GROUP BY 1, 2;

-- 2. An index for each way the list searches (internal/domain SearchKind), none of
--    them a scan of the orders table.
-- Order numbers: exact and prefix ("ORD-2611"), so the unique index takes pattern ops.
ALTER TABLE orders DROP CONSTRAINT orders_order_number_key;
CREATE UNIQUE INDEX orders_order_number_key ON orders (order_number text_pattern_ops);

-- Emails: exact and prefix ("ann@exa"), newest first.
DROP INDEX orders_email_idx;
CREATE INDEX orders_email_idx ON orders (lower(customer_email) text_pattern_ops, created_at DESC);

-- Phones: by their digits, from the end ("555 0100" finds +1 555-0100).
-- +goose StatementBegin
CREATE FUNCTION oms_phone_key(phone text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT reverse(regexp_replace(phone, '[^0-9]', '', 'g'))
$$;
-- +goose StatementEnd
CREATE INDEX orders_phone_idx ON orders (oms_phone_key(customer_phone) text_pattern_ops) WHERE customer_phone <> '';

-- Names: by the words of the customer's name and email (internal/domain SplitSearchWords
-- splits a search the same way), kept in a table of their own by the same statement
-- triggers as the counters: one index range per word, newest first, so that a page of
-- a common name reads a page of index entries, and a count reads the index alone.
-- +goose StatementBegin
CREATE FUNCTION oms_search_words(name text, email text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- The words of the name and of the email, those before the @ without trailing
    -- digits ("ava.nguyen12@shop.example" -> ava, nguyen, shop, example), lower case,
    -- two characters or more.
    SELECT coalesce(array_agg(DISTINCT w ORDER BY w), '{}') FROM (
        SELECT w FROM regexp_split_to_table(lower(name || ' ' || substr(email, strpos(email, '@') + 1)),
                                            '[[:space:][:punct:]]+') AS w
        UNION ALL
        SELECT regexp_replace(w, '[0-9]+$', '')
        FROM regexp_split_to_table(lower(split_part(email, '@', 1)), '[[:space:][:punct:]]+') AS w
    ) t WHERE length(w) >= 2
$$;
-- +goose StatementEnd
-- The same words as one string, each between spaces, for a filter on an order's row.
-- +goose StatementBegin
CREATE FUNCTION oms_search_text(name text, email text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ' ' || array_to_string(oms_search_words(name, email), ' ') || ' '
$$;
-- +goose StatementEnd

-- Each order's words, with an index that intersects them: how a search of several words
-- is counted (an order that has one of each), however common each word is.
ALTER TABLE orders ADD COLUMN search_words text[] GENERATED ALWAYS AS (oms_search_words(customer_name, customer_email)) STORED;
CREATE INDEX orders_search_words_idx ON orders USING gin (search_words);

CREATE TABLE order_search_words (
    word        text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    order_id    uuid NOT NULL,
    PRIMARY KEY (word, created_at, order_id)
);

-- +goose StatementBegin
CREATE FUNCTION oms_order_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO order_search_words (word, created_at, order_id)
    SELECT unnest(search_words), created_at, id FROM new_rows;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION oms_order_words_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only orders whose name, email or placing time changed (rarely any).
    DELETE FROM order_search_words w USING old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.search_words, o.created_at) IS DISTINCT FROM (n.search_words, n.created_at)
      AND w.order_id = o.id AND w.created_at = o.created_at AND w.word = ANY(o.search_words);
    INSERT INTO order_search_words (word, created_at, order_id)
    SELECT unnest(n.search_words), n.created_at, n.id
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (o.search_words, o.created_at) IS DISTINCT FROM (n.search_words, n.created_at);
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION oms_order_words_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM order_search_words w USING old_rows o
    WHERE w.order_id = o.id AND w.created_at = o.created_at AND w.word = ANY(o.search_words);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER orders_words_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oms_order_words_insert();
CREATE TRIGGER orders_words_update AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oms_order_words_update();
CREATE TRIGGER orders_words_delete AFTER DELETE ON orders
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION oms_order_words_delete();
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_words_insert;
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_words_update;
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_words_delete;

INSERT INTO order_search_words (word, created_at, order_id)
SELECT unnest(search_words), created_at, id FROM orders;

DROP INDEX orders_search_trgm_idx;
ALTER TABLE orders DROP COLUMN search;

-- Status filters: one index range per combination of the three statuses, which the list
-- merges in date order (queries.SearchOrders), so a combination that is rare within its
-- status is found without reading the others.
DROP INDEX orders_status_created_idx;
CREATE INDEX orders_state_created_idx ON orders (status, payment_status, fulfillment_status, created_at DESC, id DESC);

-- A range of totals sorted by date, or of dates sorted by total: the other column rides
-- in the index, so that the page's orders are picked from the index alone and only
-- the page is read from the table (queries.SearchOrders, "ids first").
DROP INDEX orders_created_idx;
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC) INCLUDE (total);
DROP INDEX orders_total_idx;
CREATE INDEX orders_total_idx ON orders (total, id) INCLUDE (created_at);

-- The returns queue per status.
DROP INDEX returns_status_idx;
CREATE INDEX returns_status_idx ON returns (status, created_at, id);
CREATE INDEX returns_created_idx ON returns (created_at, id);

-- +goose Down
DROP INDEX orders_total_idx;
CREATE INDEX orders_total_idx ON orders (total, id);
DROP INDEX orders_created_idx;
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
DROP INDEX returns_created_idx;
DROP INDEX returns_status_idx;
CREATE INDEX returns_status_idx ON returns (status, created_at);
DROP INDEX orders_state_created_idx;
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
DROP INDEX orders_search_words_idx;
ALTER TABLE orders DROP COLUMN search_words;
ALTER TABLE orders ADD COLUMN search text GENERATED ALWAYS AS (lower(order_number || ' ' || customer_email || ' ' ||
    customer_phone || ' ' || customer_name)) STORED;
CREATE INDEX orders_search_trgm_idx ON orders USING gin (search gin_trgm_ops);
DROP TRIGGER orders_words_delete ON orders;
DROP TRIGGER orders_words_update ON orders;
DROP TRIGGER orders_words_insert ON orders;
DROP FUNCTION oms_order_words_delete();
DROP FUNCTION oms_order_words_update();
DROP FUNCTION oms_order_words_insert();
DROP TABLE order_search_words;
DROP FUNCTION oms_search_text(text, text);
DROP FUNCTION oms_search_words(text, text);
DROP INDEX orders_phone_idx;
DROP FUNCTION oms_phone_key(text);
DROP INDEX orders_email_idx;
CREATE INDEX orders_email_idx ON orders (lower(customer_email), created_at DESC);
DROP INDEX orders_order_number_key;
ALTER TABLE orders ADD CONSTRAINT orders_order_number_key UNIQUE (order_number);
DROP TRIGGER orders_stats_delete ON orders;
DROP TRIGGER orders_stats_update ON orders;
DROP TRIGGER orders_stats_insert ON orders;
DROP FUNCTION oms_order_stats_delete();
DROP FUNCTION oms_order_stats_update();
DROP FUNCTION oms_order_stats_insert();
DROP TABLE order_stat_deltas, order_daily_stats, order_state_counts;
