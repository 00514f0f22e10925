-- 012: representation (issue 14): someone acting for a data subject — a
-- representative with a machtiging, a bewindvoerder, or a business's
-- employee (the RFC 8693 `act` claim of a token or ID token).
--
-- processing_log.actor_key: the pseudonym (HMAC of the BSN, as subject_key)
-- of who acted when it was not the subject themself; NULL = the subject (or
-- an employee, who is in audit_log). Only a pseudonym: the represented
-- person's right to know who acted is answered from it by the operator
-- (docs/security.md), and `mijnzaken rekey` rewrites it like subject_key.
ALTER TABLE processing_log
    ADD COLUMN actor_key bytea CHECK (actor_key IS NULL OR length(actor_key) = 32);

-- sessions: the subject's kind ('kvk' for an eHerkenning sign-in; the
-- sealed subject_enc then holds the KVK number), the actor's pseudonym and
-- the agencies an authorisation is limited to (NULL = all). Existing rows
-- are persons' sessions without a representative: the defaults keep them.
ALTER TABLE sessions
    ADD COLUMN subject_kind text NOT NULL DEFAULT 'bsn' CHECK (subject_kind IN ('bsn', 'kvk')),
    ADD COLUMN actor_key bytea CHECK (actor_key IS NULL OR length(actor_key) = 32),
    ADD COLUMN scope_agencies text[];
