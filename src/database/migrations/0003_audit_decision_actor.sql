-- The operator API's audit filters (issue 20): `decision` and `actor` run in SQL on their own
-- indexes. (decision, ts) serves "denied in the last hour" (the agents view) as one range scan;
-- (actor, seq) serves one subject's entries newest first, paged by seq.
CREATE INDEX audit_decision_ts ON audit_entries (decision, ts);
CREATE INDEX audit_actor ON audit_entries (actor, seq);
