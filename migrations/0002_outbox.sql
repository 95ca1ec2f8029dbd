-- Migration 0002: the events outbox (see schema.sql). IF NOT EXISTS, like 0001, so a database
-- created from a schema.sql that already holds it upgrades without error.

-- The outbox (DESIGN §8): one row per mutation, written in the same D1 batch (a transaction) as
-- the change and its audit event, and with the same id, so no change commits without it.
-- `type` is the audit action (key.created, key.updated, key.rotated, key.revoked, partner.created,
-- partner.updated, user.created); no CHECK, so later event types (webhooks) need no table rebuild.
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
  reacted_at    TEXT
);
-- The sweep's query: only unreacted rows are indexed, so the index stays as small as the backlog.
CREATE INDEX IF NOT EXISTS events_unreacted ON events (occurred_at) WHERE reacted_at IS NULL;
-- A subject's events in order: what is still pending for a key, which later event set its balance.
CREATE INDEX IF NOT EXISTS events_by_subject ON events (subject_id, seq);
