-- Migration 0006: passkeys (DESIGN §6; see schema.sql, src/db/passkeys.ts and src/dashboard/passkeys.ts).
-- The tables use IF NOT EXISTS like every migration. The ALTER TABLE cannot: like 0004, it runs once,
-- in order, as `wrangler d1 migrations apply` does. SQLite places the added column after the
-- table's last column; schema.sql holds it in the same place.

-- A session opened with a passkey names it: revoking the passkey ends those sessions, and every
-- request of such a session re-checks the passkey as well as its token.
ALTER TABLE dashboard_sessions ADD COLUMN passkey_id TEXT;
-- The sessions a passkey's revocation ends.
CREATE INDEX IF NOT EXISTS dashboard_sessions_by_passkey ON dashboard_sessions (passkey_id) WHERE passkey_id IS NOT NULL;

-- Passkeys (WebAuthn credentials) registered by a user signed in with a personal access token.
-- A passkey is bound to that token (`key_id`) and to the token's secret that was live when it was
-- registered (`binding`: `secretBinding` of that secret's stored hash, as sessions and access
-- tokens are bound), and carries the token's authority: it stands only while the token stands
-- and that secret is still live (rotation past its grace period, revocation or expiry end it).
-- `credential_id` and `public_key` (a COSE_Key) are base64url; `alg` is the COSE algorithm (-7
-- ES256, -257 RS256); `sign_count` is the last signature counter seen; `transports` a JSON array.
-- No foreign keys, like dashboard_sessions: a passkey whose token is gone is simply refused.
CREATE TABLE IF NOT EXISTS passkeys (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT    NOT NULL UNIQUE,
  credential_id TEXT    NOT NULL UNIQUE,
  key_id        TEXT    NOT NULL,
  partner_id    TEXT    NOT NULL,
  user_id       TEXT    NOT NULL,
  binding       TEXT    NOT NULL,
  public_key    TEXT    NOT NULL,
  alg           INTEGER NOT NULL,
  sign_count    INTEGER NOT NULL DEFAULT 0,
  transports    TEXT    NOT NULL DEFAULT '[]',
  name          TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  last_used_at  TEXT,
  revoked_at    TEXT
);
-- A user's passkeys for one token: the passkeys page and the registration's excludeCredentials.
CREATE INDEX IF NOT EXISTS passkeys_by_key ON passkeys (key_id, user_id, seq);

-- WebAuthn challenges: issued with the options of a registration ('register', bound to the
-- dashboard session that asked) or a passkey sign-in ('sign_in', no session), valid 5 minutes,
-- consumed once (`used_at`) by a guarded UPDATE. Expired rows are deleted by later inserts.
CREATE TABLE IF NOT EXISTS webauthn_challenges (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  challenge  TEXT    NOT NULL,
  purpose    TEXT    NOT NULL CHECK (purpose IN ('register', 'sign_in')),
  session_id TEXT,
  created_at TEXT    NOT NULL,
  expires_at TEXT    NOT NULL,
  used_at    TEXT
);
-- What the cleanup deletes: challenges past their expiry.
CREATE INDEX IF NOT EXISTS webauthn_challenges_by_expiry ON webauthn_challenges (expires_at);
