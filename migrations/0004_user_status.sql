-- Migration 0004: a user's `status` (DESIGN §3): `PATCH /v1/users/{user_id}` deactivates a user,
-- and a deactivated user's keys (and the access tokens minted from them) are refused on the next
-- request. Every user so far is active. SQLite places a column added here after the table's last
-- column, before its UNIQUE constraint; schema.sql holds it in the same place.
-- No `version` column: a user change bumps the `version` of the user's live keys in the same
-- batch (src/db/users.ts), so cached key records and the keys' guards see it as a change of the key.
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated'));
-- A user's live keys: what a user change bumps and tells (the query's exact condition, so it stays small).
CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys (user_id) WHERE revoked_at IS NULL;
