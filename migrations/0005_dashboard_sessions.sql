-- Migration 0005: dashboard sessions (DESIGN §6; see schema.sql and src/dashboard/session.ts).
-- IF NOT EXISTS, like every migration, so a database created from a schema.sql that already holds
-- it upgrades without error.

-- Dashboard sign-ins (DESIGN §6). The cookie holds a random secret; only its SHA-256 (hex) is
-- stored here. `kind` is 'operator' (ADMIN_TOKEN) or 'key' (a personal access token, `key_id`).
-- `binding` ties the session to the credential that opened it, as a one-way digest: of the key's
-- secret hash (so rotation past its grace period ends it) or of ADMIN_TOKEN (so changing the token
-- ends every operator session). Every dashboard request re-checks it against D1. `ended_at` is set
-- by sign-out; sessions live at most 12 h (`expires_at`), and rows past it are deleted by later
-- sign-ins. No foreign key to api_keys: a session whose key is gone is simply refused.
CREATE TABLE IF NOT EXISTS dashboard_sessions (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  token_hash TEXT    NOT NULL UNIQUE,
  kind       TEXT    NOT NULL CHECK (kind IN ('operator', 'key')),
  key_id     TEXT,
  binding    TEXT    NOT NULL,
  created_at TEXT    NOT NULL,
  expires_at TEXT    NOT NULL,
  ended_at   TEXT,
  ip         TEXT,
  user_agent TEXT
);
-- What the sign-in's cleanup deletes: sessions past their expiry.
CREATE INDEX IF NOT EXISTS dashboard_sessions_by_expiry ON dashboard_sessions (expires_at);
