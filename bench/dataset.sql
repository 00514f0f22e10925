-- bench/dataset.sql — the benchmark dataset, generated inside PostgreSQL.
--
-- Run by bench/run.sh after `mijnzaken migrate` and after it has loaded
--   bench.all_subjects (idx, subject_key)   every citizen of the dataset
--   bench.subjects     (n, subject_idx, subject_key)  the citizens with a token
-- from bench_tokens (the pseudonyms are computed by the service's own
-- mz_pseudonym: HMAC-SHA256 under MZ_PSEUDONYM_KEY_FILE; no BSN is stored).
--
-- psql variables: ncases (default 1000000). Every set-returning step is one
-- INSERT ... SELECT over generate_series: nothing is inserted row by row.
-- The indexes and constraints of cases and case_events are dropped for the
-- load and recreated from their own definitions (pg_get_*def) afterwards —
-- the schema after this script is exactly the migrated one.
--
-- Shape: 20 agencies (municipalities, UWV, DUO, ...); each case belongs to a
-- uniformly random citizen (about 10 per citizen), a random agency and case
-- type; status groups: received 10 %, in_progress 25 %, action_required 8 %,
-- on_hold 5 %, decided 12 %, closed 35 %, withdrawn 5 %; closed and withdrawn
-- cases have closed_on (40 % closed), status changes between 2024-01-01 and
-- now; 1 to 5 timeline events per case (about 3.2 on average).

\set ON_ERROR_STOP on
\if :{?ncases}
\else
  \set ncases 1000000
\endif
SET synchronous_commit = off;  -- the load only; the benchmark itself commits durably
SET maintenance_work_mem = '512MB';
SET max_parallel_maintenance_workers = 2;
SET work_mem = '64MB';
SELECT setseed(0.4242);

-- The agencies (the service without MZ_AGENCIES_FILE leaves this table as is).
INSERT INTO agencies (id, name, adapter_kind, adapter_config, contact_url, contact_phone,
                      contact_professional_phone)
SELECT id, name, kind, '{}'::jsonb, 'https://www.' || id || '.example/contact', '14 0' || n,
       '088 000 ' || lpad(n::text, 4, '0')
FROM (VALUES (1, 'gemeente-amsterdam', 'Gemeente Amsterdam', 'zgw'),
             (2, 'gemeente-rotterdam', 'Gemeente Rotterdam', 'zgw'),
             (3, 'gemeente-den-haag', 'Gemeente Den Haag', 'zgw'),
             (4, 'gemeente-utrecht', 'Gemeente Utrecht', 'zgw'),
             (5, 'gemeente-eindhoven', 'Gemeente Eindhoven', 'zgw'),
             (6, 'gemeente-groningen', 'Gemeente Groningen', 'zgw'),
             (7, 'gemeente-tilburg', 'Gemeente Tilburg', 'zgw'),
             (8, 'gemeente-almere', 'Gemeente Almere', 'zgw'),
             (9, 'uwv', 'UWV', 'rest-json'),
             (10, 'duo', 'DUO', 'rest-json'),
             (11, 'toeslagen', 'Dienst Toeslagen', 'rest-json'),
             (12, 'belastingdienst', 'Belastingdienst', 'rest-json'),
             (13, 'svb', 'Sociale Verzekeringsbank', 'rest-json'),
             (14, 'cak', 'CAK', 'rest-json'),
             (15, 'cjib', 'CJIB', 'rest-json'),
             (16, 'rvo', 'Rijksdienst voor Ondernemend Nederland', 'rest-json'),
             (17, 'ind', 'IND', 'rest-json'),
             (18, 'rdw', 'RDW', 'rest-json'),
             (19, 'kadaster', 'Kadaster', 'rest-json'),
             (20, 'waterschap-rijnland', 'Hoogheemraadschap van Rijnland', 'zgw'))
     AS v(n, id, name, kind);
CREATE TABLE bench.agencies AS
SELECT row_number() OVER (ORDER BY id)::int AS n, id FROM agencies WHERE id <> 'push';

INSERT INTO sync_state (agency_id, last_attempt_at, last_success_at, next_run_at,
                        last_duration_ms, last_seen, last_applied, runs)
SELECT id, now() - interval '10 minutes', now() - interval '10 minutes', now() + interval '1 day',
       60000, 50000, 120, 42
FROM bench.agencies;

-- Kinds of case: code, label, agency-independent for simplicity.
CREATE TABLE bench.case_types (n int PRIMARY KEY, code text, label text, title text);
INSERT INTO bench.case_types VALUES
  (0, 'PARKEERVERGUNNING', 'Aanvraag parkeervergunning', 'Parkeervergunning bewoners'),
  (1, 'BIJSTAND', 'Aanvraag bijstandsuitkering', 'Bijstandsuitkering'),
  (2, 'WW', 'Aanvraag WW-uitkering', 'WW-uitkering'),
  (3, 'STUDIEFIN', 'Studiefinanciering', 'Studiefinanciering hoger onderwijs'),
  (4, 'ZORGTOESLAG', 'Zorgtoeslag', 'Zorgtoeslag 2026'),
  (5, 'HUURTOESLAG', 'Huurtoeslag', 'Huurtoeslag 2026'),
  (6, 'OMGEVINGSVERGUNNING', 'Omgevingsvergunning', 'Omgevingsvergunning: dakkapel'),
  (7, 'MELDING-OR', 'Melding openbare ruimte', 'Melding: losliggende stoeptegel'),
  (8, 'BEZWAAR', 'Bezwaarschrift', 'Bezwaar tegen besluit'),
  (9, 'KWIJTSCHELDING', 'Kwijtschelding gemeentelijke belastingen', 'Kwijtschelding 2026');
CREATE TABLE bench.statuses (g status_group PRIMARY KEY, text text);
INSERT INTO bench.statuses VALUES
  ('received', 'Ontvangen'), ('in_progress', 'In behandeling'),
  ('action_required', 'Aanvullende gegevens nodig'), ('on_hold', 'Opgeschort'),
  ('decided', 'Besluit genomen'), ('closed', 'Afgehandeld'), ('withdrawn', 'Ingetrokken');

-- Drop the indexes and constraints of the two big tables; keep their
-- definitions to recreate them unchanged.
CREATE TABLE bench.ddl AS
SELECT 1 AS step, conrelid::regclass::text AS tbl, conname AS name,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,
              pg_get_constraintdef(oid)) AS create_sql,
       format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop_sql
FROM pg_constraint
WHERE conrelid IN ('cases'::regclass, 'case_events'::regclass) AND contype IN ('p', 'u')
UNION ALL
SELECT 2, indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid),
       format('DROP INDEX %s', indexrelid::regclass)
FROM pg_index i
WHERE indrelid IN ('cases'::regclass, 'case_events'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
UNION ALL
SELECT 3, conrelid::regclass::text, conname,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,
              pg_get_constraintdef(oid)),
       format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname)
FROM pg_constraint
WHERE (conrelid IN ('cases'::regclass, 'case_events'::regclass)
       OR confrelid IN ('cases'::regclass, 'case_events'::regclass))
  AND contype = 'f';
DO $$
DECLARE d record;
BEGIN
  FOR d IN SELECT * FROM bench.ddl ORDER BY step DESC LOOP
    EXECUTE d.drop_sql;
  END LOOP;
END $$;

\echo generating :ncases cases
INSERT INTO cases (id, agency_id, external_id, subject_key, case_number, title, case_type_code,
                   case_type_label, status_group, status_text, status_changed_at, registered_on,
                   planned_end_on, legal_deadline_on, closed_on, result_text, action_text,
                   action_url, action_due_on, deep_link_url, source_url, source_updated_at,
                   last_source, last_synced_at, created_at, updated_at)
SELECT gen_random_uuid(), a.id, x.ext, s.subject_key,
       upper(left(a.id, 3)) || '-' || lpad(x.i::text, 8, '0'),
       t.title, t.code, t.label, x.g, st.text, x.changed, x.registered,
       x.registered + 56, x.registered + 84,
       CASE WHEN x.g IN ('closed', 'withdrawn') THEN x.changed::date END,
       CASE WHEN x.g IN ('decided', 'closed') THEN
            CASE WHEN x.r3 < 0.7 THEN 'Toegekend' ELSE 'Afgewezen' END END,
       CASE WHEN x.g = 'action_required' THEN 'Stuur ons uw loonstroken van de laatste drie maanden' END,
       CASE WHEN x.g = 'action_required' THEN 'https://mijn.' || a.id || '.example/upload/' || x.ext END,
       CASE WHEN x.g = 'action_required' THEN x.changed::date + 14 END,
       'https://mijn.' || a.id || '.example/zaken/' || x.ext,
       'https://api.' || a.id || '.example/zaken/' || x.ext,
       x.changed, 'poll', now() - x.r3 * interval '1 hour', x.registered, x.changed
FROM (
  SELECT i, 'Z' || lpad(i::text, 8, '0') AS ext,
         1 + floor(random() * (SELECT count(*) FROM bench.all_subjects))::int AS sidx,
         1 + floor(random() * 20)::int AS an,
         floor(random() * 10)::int AS tn,
         CASE WHEN r < 0.10 THEN 'received' WHEN r < 0.35 THEN 'in_progress'
              WHEN r < 0.43 THEN 'action_required' WHEN r < 0.48 THEN 'on_hold'
              WHEN r < 0.60 THEN 'decided' WHEN r < 0.95 THEN 'closed'
              ELSE 'withdrawn' END::status_group AS g,
         changed, (changed - r2 * interval '120 days')::date AS registered, r3
  FROM (SELECT i, random() AS r, random() AS r2, random() AS r3,
               timestamptz '2024-01-01 00:00:00+00'
                 + random() * (now() - timestamptz '2024-01-01 00:00:00+00') AS changed
        FROM generate_series(1, :ncases) AS g(i)) r
) x
JOIN bench.all_subjects s ON s.idx = x.sidx
JOIN bench.agencies a ON a.n = x.an
JOIN bench.case_types t ON t.n = x.tn
JOIN bench.statuses st ON st.g = x.g;

\echo generating the timelines
-- n events per case: received 1; open 2-4; closed/withdrawn 3-5.
-- First 'received', last the current status, before a closing 'decided',
-- else 'in_progress'; nine days apart.
INSERT INTO case_events (case_id, status_group, status_text, occurred_at, source, event_key,
                         created_at)
SELECT c.id, e.g, st.text, e.at, 'poll', 'st-' || e.k, e.at
FROM (SELECT id, status_group, status_changed_at,
             CASE WHEN status_group = 'received' THEN 1
                  WHEN status_group IN ('closed', 'withdrawn') THEN 3 + h % 3
                  ELSE 2 + h % 3 END AS n
      FROM (SELECT id, status_group, status_changed_at,
                   abs(hashtext(external_id)) AS h FROM cases) h) c
CROSS JOIN LATERAL (
  SELECT k, c.status_changed_at - (c.n - k) * interval '9 days' AS at,
         CASE WHEN k = c.n THEN c.status_group
              WHEN k = 1 THEN 'received'::status_group
              WHEN k = c.n - 1 AND c.status_group IN ('closed', 'withdrawn')
                THEN 'decided'::status_group
              ELSE 'in_progress'::status_group END AS g
  FROM generate_series(1, c.n) AS k) e
JOIN bench.statuses st ON st.g = e.g;

\echo recreating indexes and constraints
DO $$
DECLARE d record;
BEGIN
  FOR d IN SELECT * FROM bench.ddl ORDER BY step, name LOOP
    EXECUTE d.create_sql;
  END LOOP;
END $$;
SELECT setval(pg_get_serial_sequence('case_events', 'id'), (SELECT max(id) FROM case_events));

DROP TABLE bench.all_subjects, bench.case_types, bench.statuses, bench.ddl;
