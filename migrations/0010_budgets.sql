-- Migration 0010: budgets (DESIGN §10, part 2): a partner's rate-limit scope and shared credits,
-- and credit refills on partners and keys. See schema.sql for the whole schema.

-- `key`: each key counts in its own windows (as before); `partner`: all its keys share the
-- partner tier's windows, and a key's own tier still caps that key.
ALTER TABLE partners ADD COLUMN rate_limit_scope TEXT NOT NULL DEFAULT 'key' CHECK (rate_limit_scope IN ('key', 'partner'));
-- Credits shared by all the partner's keys; null = unlimited.
ALTER TABLE partners ADD COLUMN credits_remaining INTEGER;
-- JSON {amount, interval: "day" | "month", day_of_month?} or null: the balance is topped up to
-- `amount` at each UTC boundary; credits_refilled_at is when that last happened (or when the
-- refill was set, which starts its schedule).
ALTER TABLE partners ADD COLUMN credits_refill TEXT;
ALTER TABLE partners ADD COLUMN credits_refilled_at TEXT;
ALTER TABLE api_keys ADD COLUMN credits_refill TEXT;
ALTER TABLE api_keys ADD COLUMN credits_refilled_at TEXT;
