-- Usage counts per key (DESIGN §7): written by each key's Durable Object with its usage flush.
-- One row per key, granularity and bucket start; each minute is stored as itself and rolled up
-- into its hour and its day, so any read is one indexed range. Rows are upserted (counts added).
-- `api_keys.usage_seq` is the last flush D1 holds for the key: a retried flush whose first try
-- committed is recognised and not counted twice, and a live read adds only what D1 lacks.
-- Retention (src/usage/buckets.ts RETENTION_MS): minutes 2 days, hours 90 days, days 730 days;
-- the Cron Trigger prunes older rows.
CREATE TABLE IF NOT EXISTS usage_buckets (
  key_id            TEXT    NOT NULL,
  partner_id        TEXT    NOT NULL,
  granularity       TEXT    NOT NULL CHECK (granularity IN ('minute', 'hour', 'day')),
  start             TEXT    NOT NULL,
  admitted          INTEGER NOT NULL DEFAULT 0,
  rate_limited      INTEGER NOT NULL DEFAULT 0,
  credits_exhausted INTEGER NOT NULL DEFAULT 0,
  refused           INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, granularity, start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_by_partner ON usage_buckets (partner_id, granularity, start);
CREATE INDEX IF NOT EXISTS usage_by_age ON usage_buckets (granularity, start);

ALTER TABLE api_keys ADD COLUMN usage_seq INTEGER NOT NULL DEFAULT 0;
