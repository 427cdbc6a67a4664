-- +goose Up
-- An API token may be limited to parts of the API (issue 11); NULL: everything, as tokens
-- made before scopes existed.
ALTER TABLE api_tokens ADD COLUMN scopes text[];

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN scopes;
