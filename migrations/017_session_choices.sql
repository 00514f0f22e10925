-- 017: several authorisations in one sign-in (issue 14): a representative
-- whose sign-in carries a `represents` claim chooses whose cases the
-- session shows (PUT /api/v1/session/representation, service/session.c).
--
-- represents_enc: the list of authorisations (kind, number, agencies),
-- AES-256-GCM sealed under a key derived from the session id like
-- subject_enc (never a plain BSN or KVK number in the table).
-- represents_count: how many (0 = a sign-in without `represents`).
-- represents_choice: the index of the one chosen, whose pseudonym, sealed
-- number and agencies are then subject_key, subject_enc and scope_agencies;
-- NULL while none is chosen (subject_key and subject_enc are then NULL and
-- no citizen route answers but the session itself).
ALTER TABLE sessions
    ADD COLUMN represents_enc bytea,
    ADD COLUMN represents_count integer NOT NULL DEFAULT 0
        CHECK (represents_count BETWEEN 0 AND 20),
    ADD COLUMN represents_choice integer
        CHECK (represents_choice IS NULL OR (represents_choice >= 0
                                             AND represents_choice < represents_count));
