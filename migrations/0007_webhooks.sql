-- Migration 0007: webhooks (DESIGN §8). See schema.sql for the whole schema.

-- The outbox learns its second reader: after the reactions, each event goes onto the queue for
-- its webhooks, and `dispatched_at` is set once the consumer has fanned it out (one queued attempt
-- per endpoint that hears it); until then the cron sweep sends it again. `body` is the webhook
-- body's `data` as the change committed it (or as the first dispatch found it), frozen so every
-- endpoint and every retry gets the same bytes. Events from before webhooks had no endpoint to reach.
ALTER TABLE events ADD COLUMN dispatched_at TEXT;
ALTER TABLE events ADD COLUMN body TEXT;
UPDATE events SET dispatched_at = occurred_at;
CREATE INDEX IF NOT EXISTS events_undispatched ON events (occurred_at) WHERE dispatched_at IS NULL;

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
