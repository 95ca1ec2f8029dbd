-- Migration 0008: leaked keys (DESIGN §9). See schema.sql for the whole schema.

-- What a correctly signed leak report does to a partner's leaked keys: `revoke` them (the
-- default) or only `notify` (flag and event). Unsigned reports only ever notify.
ALTER TABLE partners ADD COLUMN leak_action TEXT NOT NULL DEFAULT 'revoke' CHECK (leak_action IN ('revoke', 'notify'));
-- When a leak report first named the key (POST /v1/leaks); NULL while none has.
ALTER TABLE api_keys ADD COLUMN leaked_at TEXT;
