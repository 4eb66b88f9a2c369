-- Every date of birth anyone gave for a person, with its source: a later claim
-- of being a child is never lost behind an earlier estimate of an adult
-- (persons.dob keeps the first one given, for matching). Until a legal
-- reviewer records an age determination with its basis, any assertion that
-- makes the person under 18 on the center's calendar makes them a possible
-- minor for the safeguard gate.
CREATE TABLE person_dob_assertions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The order they were recorded in, for assertions made in the same instant.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  person_id uuid NOT NULL REFERENCES persons (id),
  dob date,
  dob_basis text NOT NULL CHECK (dob_basis IN ('exact', 'estimated', 'claimed', 'unknown')),
  -- The report that said so (an intake, a partner submission); null for what a record held before this table.
  report_id uuid REFERENCES reports (id),
  recorded_by uuid REFERENCES users (id),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CHECK (dob_basis = 'unknown' OR dob IS NOT NULL)
);
CREATE INDEX person_dob_assertions_person ON person_dob_assertions (person_id, recorded_at);
CREATE UNIQUE INDEX person_dob_assertions_once_per_report ON person_dob_assertions (person_id, report_id, dob_basis, dob) NULLS NOT DISTINCT;

-- Every record's own date of birth is an assertion too, whichever path made the record (intake, the demo seed,
-- an import): kept by the database, so no path can leave a record whose age the gate cannot see.
CREATE FUNCTION person_dob_assertion_of_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.dob IS DISTINCT FROM OLD.dob OR NEW.dob_basis IS DISTINCT FROM OLD.dob_basis THEN
    -- Stamped with the record's own time (the writer's clock, set by the application), not the database's.
    INSERT INTO person_dob_assertions (person_id, dob, dob_basis, report_id, recorded_by, recorded_at)
    VALUES (NEW.id, NEW.dob, NEW.dob_basis, NULL, NEW.created_by,
            CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END)
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER persons_dob_assertion AFTER INSERT OR UPDATE OF dob, dob_basis ON persons
  FOR EACH ROW EXECUTE FUNCTION person_dob_assertion_of_record();

-- What each record held until now, from the report that created it where there is one.
INSERT INTO person_dob_assertions (person_id, dob, dob_basis, report_id, recorded_by, recorded_at)
SELECT p.id, p.dob, p.dob_basis,
       (SELECT rs.report_id FROM report_subjects rs JOIN reports r ON r.id = rs.report_id
         WHERE rs.person_id = p.id ORDER BY r.received_at, r.id LIMIT 1),
       p.created_by, p.created_at
  FROM persons p;

-- A legal reviewer's finding of a person's date of birth, with its basis and words.
CREATE TABLE age_determinations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES persons (id),
  dob date NOT NULL,
  basis text NOT NULL CHECK (basis IN ('documents', 'age_assessment', 'court_finding')),
  evidence text NOT NULL CHECK (length(evidence) BETWEEN 20 AND 4000),
  determined_by uuid NOT NULL REFERENCES users (id),
  determined_at timestamptz NOT NULL
);
CREATE INDEX age_determinations_person ON age_determinations (person_id, determined_at);

INSERT INTO permissions (name, description) VALUES
  ('person:age_determination', 'Record an age determination (a date of birth found from documents, an assessment or a court) on a person');
INSERT INTO role_permissions (role, permission) VALUES ('legal_reviewer', 'person:age_determination');
