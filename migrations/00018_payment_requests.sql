-- +goose Up
-- A second security pass (issue 20).
--
-- An idempotent request says while it runs that it is running: its process refreshes
-- alive_at (service.ReplayClaim), and a retry takes its key over only once alive_at has
-- gone stale, i.e. the process died. owner names the claim, so that a request whose key
-- was taken over can neither finish nor forget its successor's.
ALTER TABLE request_replays
    ADD COLUMN owner uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN alive_at timestamptz NOT NULL DEFAULT now();

-- A PaymentIntent is asked of Stripe outside any transaction: its payment is written
-- first (pending, no external_id yet) and committed, and the request that asks Stripe
-- holds it until gateway_call_until. Concurrent and later requests for the same amount
-- reuse that payment, its Stripe idempotency key and, once Stripe answered, its intent
-- and client_secret (what the storefront needs), instead of making a second intent.
ALTER TABLE payments
    ADD COLUMN client_secret text NOT NULL DEFAULT '',
    ADD COLUMN gateway_call_until timestamptz;

-- +goose Down
ALTER TABLE payments DROP COLUMN gateway_call_until, DROP COLUMN client_secret;
ALTER TABLE request_replays DROP COLUMN alive_at, DROP COLUMN owner;
