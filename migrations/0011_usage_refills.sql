-- Migration 0011: refills in the usage data (DESIGN §10). See schema.sql for the whole schema.

-- Credits that refills added to the balance in the bucket (a key's own; for a partner's shared
-- balance, a row under the partner's own id as key_id, so the partner's usage sums both).
ALTER TABLE usage_buckets ADD COLUMN credits_refilled INTEGER NOT NULL DEFAULT 0;
-- The last refill record D1 holds for the partner's shared balance: a retried flush whose first
-- try committed is recognised and not counted twice (as api_keys.usage_seq for a key's usage).
ALTER TABLE partners ADD COLUMN usage_seq INTEGER NOT NULL DEFAULT 0;
