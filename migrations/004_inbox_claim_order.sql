-- 004: the inbox claim reads pending rows in id order (oldest first) per
-- kind: `... WHERE processed_at IS NULL AND kind = $2 AND next_attempt_at
-- <= now() ORDER BY id LIMIT n`. With the pending index on next_attempt_at
-- every claim sorted the whole backlog (measured: 5-20 ms per claim of 200
-- rows behind a backlog of some 40,000, growing with it); an index in claim
-- order lets it stop after n rows.
DROP INDEX inbox_pending_idx;
CREATE INDEX inbox_pending_idx ON inbox (kind, id) WHERE processed_at IS NULL;
