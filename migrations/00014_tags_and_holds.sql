-- +goose Up
-- Tags and holds (issue 12).
--
-- An order's tags live on its row (orders.tags, sorted, what every page shows) and, for
-- the list's tag filter, once more in order_tags keyed like order_search_words: one
-- index range per tag in list order, so that a page of a tag that 500 000 orders carry
-- reads a page of index entries, and one that 3 carry reads 3, whatever the sort by
-- date. (A GIN index on orders.tags finds the orders but not in order: a common tag
-- would be sorted whole for every page.) Row triggers keep the copy, so every writer
-- is covered; they fire only when the tags or the placing time change, which the status
-- updates that make up most writes never do. `oms check` compares the two.
ALTER TABLE orders ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN hold_reason text,
    ADD COLUMN held_by text,
    ADD COLUMN held_at timestamptz,
    ADD CONSTRAINT orders_hold_complete CHECK ((hold_reason IS NULL) = (held_at IS NULL) AND (held_at IS NULL) = (held_by IS NULL)),
    ADD CONSTRAINT orders_tags_bounded CHECK (cardinality(tags) <= 20);

CREATE TABLE order_tags (
    tag         text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    order_id    uuid NOT NULL,
    PRIMARY KEY (tag, created_at, order_id)
);

-- +goose StatementBegin
CREATE FUNCTION oms_order_tags_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM order_tags WHERE tag = ANY(OLD.tags) AND created_at = OLD.created_at AND order_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO order_tags (tag, created_at, order_id) SELECT DISTINCT unnest(NEW.tags), NEW.created_at, NEW.id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER orders_tags_insert AFTER INSERT ON orders FOR EACH ROW
    WHEN (cardinality(NEW.tags) > 0) EXECUTE FUNCTION oms_order_tags_sync();
CREATE TRIGGER orders_tags_update AFTER UPDATE OF tags, created_at ON orders FOR EACH ROW
    WHEN ((OLD.tags, OLD.created_at) IS DISTINCT FROM (NEW.tags, NEW.created_at)) EXECUTE FUNCTION oms_order_tags_sync();
CREATE TRIGGER orders_tags_delete AFTER DELETE ON orders FOR EACH ROW
    WHEN (cardinality(OLD.tags) > 0) EXECUTE FUNCTION oms_order_tags_sync();
-- Also for bulk loads that skip foreign key checks (as the counters' triggers).
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_tags_insert;
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_tags_update;
ALTER TABLE orders ENABLE ALWAYS TRIGGER orders_tags_delete;

-- History records changes of tags and holds.
ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment', 'notification', 'tags', 'hold'));

-- Held orders are few: the list of them, and how many of a status filter's matches are
-- held (what the warehouse queue takes from the status counters), read this alone.
CREATE INDEX orders_held_idx ON orders (created_at DESC, id DESC)
    INCLUDE (status, payment_status, fulfillment_status) WHERE hold_reason IS NOT NULL;

-- +goose Down
DELETE FROM order_history WHERE kind IN ('tags', 'hold');
ALTER TABLE order_history DROP CONSTRAINT order_history_kind_check,
    ADD CONSTRAINT order_history_kind_check
        CHECK (kind IN ('status', 'payment', 'fulfillment', 'refund', 'return', 'comment', 'notification'));
DROP INDEX orders_held_idx;
DROP TRIGGER orders_tags_delete ON orders;
DROP TRIGGER orders_tags_update ON orders;
DROP TRIGGER orders_tags_insert ON orders;
DROP FUNCTION oms_order_tags_sync();
DROP TABLE order_tags;
ALTER TABLE orders DROP CONSTRAINT orders_tags_bounded, DROP CONSTRAINT orders_hold_complete,
    DROP COLUMN held_at, DROP COLUMN held_by, DROP COLUMN hold_reason, DROP COLUMN tags;
