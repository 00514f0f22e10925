-- 010: subjects of more than one kind (issue 14). A case, a refresh record
-- and a processing-log record belong to a subject {kind, id}: 'bsn' (a
-- natural person) or 'kvk' (a business, by its KVK number). The pseudonym
-- (subject_key) is HMAC(key, BSN) for 'bsn', as before, and
-- HMAC(key, 'kvk:' || KVK number) for 'kvk' (service/crypto.h), so the two
-- kinds never share a key. Every existing row is a person's: the default
-- 'bsn' keeps it valid and unchanged (adding a column with a constant
-- default rewrites nothing).
--
-- Why store the kind next to the pseudonym: `mijnzaken rekey` must know
-- which numbers to enumerate for each pseudonym (BSNs or KVK numbers), the
-- processing log states whose kind of data was read, and the professional
-- and citizen views can say "organisation" rather than "person". A case's
-- kind never changes (a case never changes owner: store.h), so it is
-- written with the case and never updated.
ALTER TABLE cases
    ADD COLUMN subject_kind text NOT NULL DEFAULT 'bsn' CHECK (subject_kind IN ('bsn', 'kvk'));
ALTER TABLE processing_log
    ADD COLUMN subject_kind text NOT NULL DEFAULT 'bsn' CHECK (subject_kind IN ('bsn', 'kvk'));
ALTER TABLE subject_refresh
    ADD COLUMN subject_kind text NOT NULL DEFAULT 'bsn' CHECK (subject_kind IN ('bsn', 'kvk'));
