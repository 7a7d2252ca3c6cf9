-- Which instance numbered the newest batch of events, and when. Every instance numbers its own
-- batches (the head row's lock makes that one at a time), so this is who ordered events last:
-- `GET /` shows it beside the instances seen, and it moves to a survivor when an instance dies.
ALTER TABLE event_id_blocks ADD COLUMN numbered_by text, ADD COLUMN numbered_at timestamptz;
