-- The PostgreSQL backend's schema (docs/DEPLOYMENT.md, "PostgreSQL"). Runs with search_path set to
-- database.schema. Forward only: never edit this file once released; add 0002_… instead.

-- The task as the domain produced it lives in `doc` (history, artifacts, approvals included): the
-- domain stays the source of truth and a read gives back exactly what was written. The other
-- columns are copies of its fields that queries filter and sort on, written with it.
CREATE TABLE tasks (
  id               text COLLATE "C" PRIMARY KEY,                -- byte order: claim order ties break as in Node
  created_seq      bigint GENERATED ALWAYS AS IDENTITY UNIQUE,   -- creation order, for list cursors
  workflow_name    text NOT NULL,
  workflow_version text NOT NULL,
  phase            text NOT NULL,
  status           text NOT NULL CHECK (status IN ('queued', 'claimed', 'completed', 'failed', 'cancelled')),
  holder           text,
  capabilities     text[] NOT NULL DEFAULT '{}',                -- required by the task; sorted, unique
  priority         int NOT NULL DEFAULT 0,
  deps_pending     int NOT NULL DEFAULT 0,                      -- dependencies not yet completed
  attempts         int NOT NULL DEFAULT 0,
  max_attempts     int NOT NULL,
  lease_expires_at timestamptz,
  retry_not_before timestamptz,
  token_version    int NOT NULL DEFAULT 0,                      -- phase tokens of older versions are stale
  revision         bigint NOT NULL DEFAULT 0,                   -- bumped by every write (compare-and-swap)
  created_at       timestamptz NOT NULL,
  doc              json NOT NULL                                -- the whole Task; json keeps its text as written
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);

-- Only claimable rows, in claim order: claimed and terminal tasks leave the index.
CREATE INDEX tasks_ready ON tasks (priority DESC, created_at, id) WHERE status = 'queued' AND deps_pending = 0;
CREATE INDEX tasks_claimed ON tasks (holder, created_seq) WHERE status = 'claimed';
CREATE INDEX tasks_leases ON tasks (lease_expires_at) WHERE status = 'claimed';
CREATE INDEX tasks_status ON tasks (status, created_seq);
CREATE INDEX tasks_workflow_open ON tasks (workflow_name, workflow_version) WHERE status IN ('queued', 'claimed');

-- Edges, kept as rows so a completion finds its dependants by index (deps_pending upkeep).
CREATE TABLE task_dependencies (
  task_id    text COLLATE "C" NOT NULL REFERENCES tasks (id),
  depends_on text COLLATE "C" NOT NULL REFERENCES tasks (id),
  PRIMARY KEY (task_id, depends_on)
);
CREATE INDEX task_dependencies_rev ON task_dependencies (depends_on, task_id);

CREATE TABLE revocations (jti text PRIMARY KEY, expires_at timestamptz NOT NULL);
CREATE INDEX revocations_expiry ON revocations (expires_at);

-- json, not jsonb: a replayed response is the stored text, keys in the order first sent.
CREATE TABLE idempotency_keys (key text PRIMARY KEY, response json NOT NULL, expires_at timestamptz NOT NULL);
CREATE INDEX idempotency_expiry ON idempotency_keys (expires_at);

-- Outboxes: written in the request's own transaction, drained in order by the one sequencer.
CREATE TABLE event_outbox (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type    text NOT NULL,
  task_id text,
  actor   text,
  at      timestamptz NOT NULL,
  data    jsonb NOT NULL
);
CREATE TABLE audit_outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  change_id   text NOT NULL UNIQUE,                           -- OutboxEntry.change_id
  stored_at   timestamptz NOT NULL,
  instance_id text,
  entry       json NOT NULL                                   -- the AuditEntryInput, as written
);

-- Append-only logs in their public order.
CREATE TABLE events (
  seq     bigint PRIMARY KEY,
  type    text NOT NULL,
  task_id text,
  actor   text,
  at      timestamptz NOT NULL,
  data    jsonb NOT NULL
);
CREATE INDEX events_task ON events (task_id, seq);
CREATE INDEX events_type ON events (type, seq);
-- Event ids are handed out in blocks (EventSequence): no id is ever used twice, across restarts and instances.
CREATE TABLE event_id_blocks (name text PRIMARY KEY, issued_through bigint NOT NULL);

-- The audit hash chain (src/audit/postgres). `entry` is the written line, kept verbatim (json, not
-- jsonb), so verify recomputes exactly the text that was hashed; the other columns are copies of its
-- fields for filtering. Append-only: rows are never updated (retention is not implemented here).
CREATE TABLE audit_entries (
  seq         bigint PRIMARY KEY,
  ts          timestamptz NOT NULL,
  actor       text NOT NULL,
  role        text,
  action      text NOT NULL,
  decision    text NOT NULL,
  success     boolean NOT NULL,
  task_id     text,
  phase       text,
  tool        text,
  request_id  text,
  instance_id text,                                            -- the writing process, when known
  entry       json NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL
);
CREATE INDEX audit_task ON audit_entries (task_id, seq);
CREATE INDEX audit_action ON audit_entries (action, seq);
CREATE INDEX audit_tool ON audit_entries (tool, seq);
CREATE INDEX audit_ts ON audit_entries USING brin (ts);

-- The last sealed entry of each chain ('audit'); its row lock serializes every writer.
CREATE TABLE chain_heads (name text PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL);
-- Every anchor written (the newest is the anchor); kept apart from audit_entries.
CREATE TABLE audit_anchors (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seq        bigint NOT NULL,
  hash       text NOT NULL,
  checkpoint json NOT NULL,                                    -- the SignedCheckpoint
  written_at timestamptz NOT NULL DEFAULT now()
);

-- Coordination between instances.
CREATE UNLOGGED TABLE instances (
  id         text PRIMARY KEY,
  host       text,
  pid        int,
  version    text,
  started_at timestamptz NOT NULL,
  seen_at    timestamptz NOT NULL
);
CREATE TABLE maintenance (name text PRIMARY KEY, last_run timestamptz NOT NULL DEFAULT '-infinity');
CREATE UNLOGGED TABLE rate_buckets (
  subject    text PRIMARY KEY,
  tokens     float8 NOT NULL,
  updated_at timestamptz NOT NULL
) WITH (fillfactor = 50);
