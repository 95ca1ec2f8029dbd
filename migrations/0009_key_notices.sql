-- Migration 0009: expiry reminders (DESIGN §8: key.expiring 7 days and 1 day before expires_at,
-- key.expired). See schema.sql for the whole schema and src/events/expiry.ts for the cron's pass.

-- Which expiry notices a key has had, as bit flags: 1 = the 7-day reminder, 2 = the 1-day
-- reminder, 4 = key.expired. The cron sets a bit in the same batch as the notice it writes, so
-- each is written once; a PATCH that moves expires_at resets them, so a renewed key is reminded again.
ALTER TABLE api_keys ADD COLUMN expiry_notices INTEGER NOT NULL DEFAULT 0;
-- Keys that expired before this migration are not announced now, possibly years late.
UPDATE api_keys SET expiry_notices = 7
  WHERE expires_at IS NOT NULL AND expires_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
-- The cron's query: keys still owed an expiry notice, by expires_at. A key leaves the index once
-- its key.expired is written (or it is revoked), so the index stays as small as what is pending.
CREATE INDEX IF NOT EXISTS api_keys_expiry_pending ON api_keys (expires_at)
  WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expiry_notices <> 7;
