-- +goose Up
-- An idempotent request's change and its answer are kept in two steps: the change commits
-- in the use case's transaction, the answer is stored after it. committed_at is written in
-- the change's own transaction (service.inTx), so that a retry after the process died
-- between the two knows the change was made and never makes it again.
ALTER TABLE request_replays ADD COLUMN committed_at timestamptz;

-- +goose Down
ALTER TABLE request_replays DROP COLUMN committed_at;
