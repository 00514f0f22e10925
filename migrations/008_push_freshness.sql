-- 008: fresh on read for agencies that push. A citizen's read asks, per
-- agency, when its last push arrived and how old its oldest unprocessed
-- push is (service/refresh.c). Without an index both scan the agency's
-- whole inbox (up to MZ_RETENTION_INBOX_DAYS of rows) on every read; with
-- these each is one index probe (min/max on the index's leading range).
-- Cost: two more index entries per accepted push.
CREATE INDEX inbox_agency_received_idx ON inbox (agency_id, received_at);
CREATE INDEX inbox_agency_pending_idx ON inbox (agency_id, received_at)
    WHERE processed_at IS NULL;
