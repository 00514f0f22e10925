-- 014: documents and decisions of a case (issue 16), from the agency's
-- Documenten API (zaakinformatieobjecten -> enkelvoudiginformatieobjecten)
-- and Besluiten API. Only what a citizen may see is ever stored (the
-- adapter filters on confidentiality, status and zaaktype); the content of
-- a document is never stored, it is streamed through the service on
-- request.
--
-- Whose rows: a document and a decision belong to their case, and so to
-- the case's subject; they carry no subject key of their own. Why: a case
-- never changes owner (store.h), so its documents cannot either; `purge`
-- deletes closed cases and these rows go with them (ON DELETE CASCADE);
-- `rekey` rewrites cases.subject_key and these rows follow without a step
-- of their own. Every read joins the case and checks its subject.
--
-- Ids: `id` is our own opaque id, the only one the API gives out. The
-- agency's URLs (source_url: the informatieobject or besluit; content_url:
-- its inhoud download) stay server-side: they name the agency's system and
-- may carry identifiers.
CREATE TABLE case_documents (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id       uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    source_url    text NOT NULL CHECK (length(source_url) BETWEEN 1 AND 2000),
    content_url   text CHECK (length(content_url) <= 2000),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    format        text CHECK (length(format) <= 255),   -- the agency's media type (a hint only)
    file_name     text CHECK (length(file_name) <= 255),
    size_bytes    bigint CHECK (size_bytes >= 0),
    document_date date,
    position      integer NOT NULL DEFAULT 0,           -- the agency's order
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, source_url)
);

CREATE TABLE case_decisions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id         uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    source_url      text NOT NULL CHECK (length(source_url) BETWEEN 1 AND 2000),
    decided_on      date,                               -- besluit.datum
    effective_from  date,                               -- ingangsdatum
    effective_until date,                               -- vervaldatum
    explanation     text CHECK (length(explanation) <= 2000),  -- toelichting
    document_urls   text[] NOT NULL DEFAULT '{}',       -- linked informatieobjecten (server-side)
    position        integer NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, source_url)
);
