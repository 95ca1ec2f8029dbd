-- Keyward D1 schema: the whole current schema, for creating fresh state in one step
-- (`wrangler d1 execute DB --local --file schema.sql`, and the test setup). It must equal every
-- file in migrations/ applied in order (test/node/migrations.node.test.ts checks): change the
-- schema with a new migration (`wrangler d1 migrations create DB <name>`) and mirror it here.
-- Idempotent (IF NOT EXISTS): re-applying it never fails nor touches existing data.
--
-- Every table has a monotonically increasing `seq` that orders lists and backs
-- the opaque pagination cursors; the public `id` is what the API shows.
-- Timestamps are ISO 8601 UTC strings with milliseconds, so text order is time order.
-- List columns (scopes, resources, allowlists, permissions) hold JSON arrays.

CREATE TABLE IF NOT EXISTS partners (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  slug            TEXT    NOT NULL UNIQUE,
  name            TEXT    NOT NULL,
  contact_email   TEXT    NOT NULL,
  website_url     TEXT    NOT NULL,
  status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
  rate_limit_tier TEXT    NOT NULL DEFAULT 'standard',
  scopes          TEXT    NOT NULL DEFAULT '[]',
  resources       TEXT    NOT NULL DEFAULT '[]',
  allowed_origins TEXT    NOT NULL DEFAULT '[]',
  -- Bumped by every change; cached copies of a key record carry it so the key's Durable Object can spot stale ones.
  version         INTEGER NOT NULL DEFAULT 1,
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL,
  -- Added by 0008_leaks.sql: what a correctly signed leak report does to this partner's leaked keys.
  leak_action     TEXT    NOT NULL DEFAULT 'revoke' CHECK (leak_action IN ('revoke', 'notify')),
  -- Added by 0010_budgets.sql (DESIGN §10): `key` (each key its own windows) or `partner` (all its
  -- keys share the partner tier's windows); credits shared by all its keys (null = unlimited);
  -- their refill, JSON {amount, interval, day_of_month?} or null, and when it last applied.
  rate_limit_scope    TEXT    NOT NULL DEFAULT 'key' CHECK (rate_limit_scope IN ('key', 'partner')),
  credits_remaining   INTEGER,
  credits_refill      TEXT,
  credits_refilled_at TEXT,
  -- Added by 0011_usage_refills.sql: the last record of its shared balance's refills D1 holds
  -- (usage_buckets below), as api_keys.usage_seq is for a key's usage.
  usage_seq           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS users (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT    NOT NULL UNIQUE,
  partner_id  TEXT    NOT NULL REFERENCES partners (id),
  first_name  TEXT    NOT NULL,
  last_name   TEXT    NOT NULL,
  email       TEXT    NOT NULL,
  role        TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('user', 'bot')),
  permissions TEXT    NOT NULL DEFAULT '[]',
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL,
  -- Added by 0004_user_status.sql. A deactivated user's keys and tokens are refused.
  status      TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  UNIQUE (partner_id, email)
);
CREATE INDEX IF NOT EXISTS users_by_partner ON users (partner_id, seq);

CREATE TABLE IF NOT EXISTS api_keys (
  seq                        INTEGER PRIMARY KEY AUTOINCREMENT,
  id                         TEXT    NOT NULL UNIQUE,
  partner_id                 TEXT    NOT NULL REFERENCES partners (id),
  user_id                    TEXT    REFERENCES users (id),
  name                       TEXT    NOT NULL,
  description                TEXT,
  type                       TEXT    NOT NULL CHECK (type IN ('secret', 'publishable', 'tokenization', 'personal')),
  prefix                     TEXT    NOT NULL,
  last_four                  TEXT    NOT NULL,
  -- HMAC-SHA-256(KEY_PEPPER, full key), hex. Never leaves the Worker.
  secret_hash                TEXT    NOT NULL,
  hash_version               INTEGER NOT NULL DEFAULT 1,
  -- The secret replaced by the last rotation, honoured until previous_expires_at.
  previous_secret_hash       TEXT,
  previous_expires_at        TEXT,
  scopes                     TEXT    NOT NULL DEFAULT '[]',
  resources                  TEXT    NOT NULL DEFAULT '[]',
  allowed_origins            TEXT    NOT NULL DEFAULT '[]',
  allowed_ips                TEXT    NOT NULL DEFAULT '[]',
  allowed_agents             TEXT    NOT NULL DEFAULT '[]',
  rate_limit_tier            TEXT,
  credits_remaining          INTEGER,
  expires_at                 TEXT,
  revoked_at                 TEXT,
  revoked_by                 TEXT,
  created_at                 TEXT    NOT NULL,
  created_by                 TEXT    NOT NULL,
  -- Display names of the actors at the time they acted (Partoo's created_by / revoked_by names).
  created_by_name            TEXT,
  revoked_by_name            TEXT,
  last_used_at               TEXT,
  secret_rotated_at          TEXT,
  -- Bumped by every change made through the API (not by usage flushes of last_used_at/credits).
  version                    INTEGER NOT NULL DEFAULT 1,
  updated_at                 TEXT    NOT NULL,
  -- The last usage flush D1 holds for this key (usage_buckets below).
  usage_seq                  INTEGER NOT NULL DEFAULT 0,
  -- Added by 0008_leaks.sql: when a leak report (POST /v1/leaks) first named this key.
  leaked_at                  TEXT,
  -- Added by 0009_key_notices.sql: expiry notices written (bits: 1 = 7-day, 2 = 1-day, 4 = expired).
  expiry_notices             INTEGER NOT NULL DEFAULT 0,
  -- Added by 0010_budgets.sql: the balance's refill, JSON {amount, interval, day_of_month?} or
  -- null, and when it last applied (or was set, which starts its schedule).
  credits_refill             TEXT,
  credits_refilled_at        TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_by_partner ON api_keys (partner_id, seq);
-- A user's live keys, which a user change bumps and tells (0004_user_status.sql).
CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys (user_id) WHERE revoked_at IS NULL;
-- Keys still owed an expiry notice, for the cron's pass (0009_key_notices.sql, src/events/expiry.ts).
CREATE INDEX IF NOT EXISTS api_keys_expiry_pending ON api_keys (expires_at)
  WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expiry_notices <> 7;

CREATE TABLE IF NOT EXISTS audit_events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  partner_id TEXT    NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,
  target_id  TEXT    NOT NULL,
  at         TEXT    NOT NULL,
  request_id TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_by_partner ON audit_events (partner_id, seq);

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
  user_agent TEXT,
  -- Added by 0006_passkeys.sql: the passkey a session was opened with (NULL for a token's).
  passkey_id TEXT
);
-- What the sign-in's cleanup deletes: sessions past their expiry.
CREATE INDEX IF NOT EXISTS dashboard_sessions_by_expiry ON dashboard_sessions (expires_at);
-- The sessions a passkey's revocation ends (0006_passkeys.sql).
CREATE INDEX IF NOT EXISTS dashboard_sessions_by_passkey ON dashboard_sessions (passkey_id) WHERE passkey_id IS NOT NULL;

-- The outbox (DESIGN §8): one row per mutation, written in the same D1 batch (a transaction) as
-- the change and its audit event, and with the same id, so no change commits without it.
-- `type` is the audit action (key.created, key.updated, key.rotated, key.revoked, partner.created,
-- partner.updated, user.created, user.updated, passkey.registered, passkey.revoked); no CHECK, so later event types (webhooks) need no table rebuild.
-- `subject_id` is the key, partner or user the event is about; `payload` is a JSON object with
-- what the after-commit reactions need that the row itself no longer holds: `previous_origins`
-- (allowed_origins before the change) and `credits` (a balance the operator set).
-- After the commit, src/events/ runs the type's reactions (caches, origin registry, key guards)
-- and sets `reacted_at`; while it is NULL, the queue consumer and the cron sweep retry them
-- (`attempts` counts runs that failed or were claimed: rows that keep failing are swept last).
-- A retry first claims its row until `claimed_until`, so the queue and the sweep never run the
-- same event at once, and a run that hung or was cut off frees the row when its claim ends.
CREATE TABLE IF NOT EXISTS events (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT    NOT NULL UNIQUE,
  type        TEXT    NOT NULL,
  partner_id  TEXT    NOT NULL,
  subject_id  TEXT    NOT NULL,
  occurred_at TEXT    NOT NULL,
  payload     TEXT    NOT NULL DEFAULT '{}',
  attempts      INTEGER NOT NULL DEFAULT 0,
  claimed_until TEXT,
  reacted_at    TEXT,
  dispatched_at TEXT,
  body          TEXT
);
-- The sweep's query: only unreacted rows are indexed, so the index stays as small as the backlog.
CREATE INDEX IF NOT EXISTS events_unreacted ON events (occurred_at) WHERE reacted_at IS NULL;
-- A subject's events in order: what is still pending for a key, which later event set its balance.
CREATE INDEX IF NOT EXISTS events_by_subject ON events (subject_id, seq);
-- Events not yet fanned out to their webhooks (0007_webhooks.sql): the sweep sends them again.
CREATE INDEX IF NOT EXISTS events_undispatched ON events (occurred_at) WHERE dispatched_at IS NULL;

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
  -- Added by 0011_usage_refills.sql: credits refills added in the bucket (DESIGN §10). A partner's
  -- shared balance's refills are rows whose key_id is the partner's own id.
  credits_refilled  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, granularity, start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_by_partner ON usage_buckets (partner_id, granularity, start);
CREATE INDEX IF NOT EXISTS usage_by_age ON usage_buckets (granularity, start);

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

-- Endpoints: a partner's (its events) or the operator's (`partner_id` NULL: every partner's).
-- `secret` and `previous_secret` are sealed (AES-GCM under a key derived from KEY_PEPPER, see
-- src/events/webhooks/sealed.ts), never stored or logged in the clear; the previous secret signs
-- too until `previous_secret_expires_at` (24 h after a rotation). `failing_since` is the first
-- failed attempt since the last success: past WEBHOOK_DISABLE_AFTER_DAYS the endpoint is disabled.
CREATE TABLE IF NOT EXISTS webhooks (
  seq                        INTEGER PRIMARY KEY AUTOINCREMENT,
  id                         TEXT    NOT NULL UNIQUE,
  partner_id                 TEXT,
  url                        TEXT    NOT NULL,
  events                     TEXT    NOT NULL DEFAULT '[]',
  description                TEXT,
  status                     TEXT    NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  secret                     TEXT    NOT NULL,
  previous_secret            TEXT,
  previous_secret_expires_at TEXT,
  failing_since              TEXT,
  disabled_reason            TEXT,
  created_at                 TEXT    NOT NULL,
  updated_at                 TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS webhooks_by_partner ON webhooks (partner_id, seq);

-- One row per attempt to deliver one event to one endpoint: the delivery log. A row is written
-- `queued` before its queue message is sent; the consumer claims it (`sending`, until
-- `claimed_until`), POSTs, and records the answer (`delivered` or `failed`, with `next_retry_at`
-- when another attempt is queued). Only a short excerpt of the response body is kept.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  id               TEXT    NOT NULL UNIQUE,
  webhook_id       TEXT    NOT NULL,
  event_id         TEXT    NOT NULL,
  type             TEXT    NOT NULL,
  attempt          INTEGER NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'delivered', 'failed')),
  scheduled_at     TEXT    NOT NULL,
  claimed_until    TEXT,
  at               TEXT,
  status_code      INTEGER,
  ok               INTEGER NOT NULL DEFAULT 0,
  error            TEXT,
  response_excerpt TEXT,
  next_retry_at    TEXT,
  UNIQUE (webhook_id, event_id, attempt)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);
-- The sweep's query: attempts whose queue message may have been lost.
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending ON webhook_deliveries (scheduled_at) WHERE state IN ('queued', 'sending');
-- What the retention prune deletes.
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_age ON webhook_deliveries (scheduled_at);

-- wrangler's own bookkeeping (`wrangler d1 migrations apply`): a database made from this file
-- already holds every migration's effect, so every migration is recorded as applied here and
-- `npm run dev` (which applies migrations) finds nothing left to run on it. Keep this list equal to
-- migrations/ (test/node/migrations.node.test.ts checks): 0003, 0004, 0006, 0007, 0008, 0009, 0010 and 0011 add columns, which
-- cannot be re-run on a database that has them.
CREATE TABLE IF NOT EXISTS d1_migrations(
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
INSERT OR IGNORE INTO d1_migrations (name) VALUES
  ('0001_initial.sql'),
  ('0002_outbox.sql'),
  ('0003_usage.sql'),
  ('0004_user_status.sql'),
  ('0005_dashboard_sessions.sql'),
  ('0006_passkeys.sql'),
  ('0007_webhooks.sql'),
  ('0008_leaks.sql'),
  ('0009_key_notices.sql'),
  ('0010_budgets.sql'),
  ('0011_usage_refills.sql');
