-- Foundation: extensions, deployment metadata, reference data (field offices and
-- their areas of responsibility, partner agencies, queues), staff accounts, and
-- the first case-management tables that the demo data fills.
-- Timestamps are timestamptz (stored in UTC); the center's time zone is applied
-- when presenting and when bucketing into intervals and shifts.

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Facts about this deployment, e.g. whether it holds demo data.
CREATE TABLE app_meta (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE field_offices (
  code text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  name text NOT NULL,
  city text NOT NULL,
  state char(2) NOT NULL,
  address text
);

-- Area of responsibility: a state (or territory) as a whole...
CREATE TABLE aor_states (
  state char(2) PRIMARY KEY CHECK (state ~ '^[A-Z]{2}$'),
  office_code text NOT NULL REFERENCES field_offices (code)
);

-- ...and county-level overrides for states split between offices.
CREATE TABLE aor_counties (
  state char(2) NOT NULL REFERENCES aor_states (state),
  county text NOT NULL,
  county_key text NOT NULL,
  office_code text NOT NULL REFERENCES field_offices (code),
  confidence text NOT NULL CHECK (confidence IN ('confirmed', 'inferred')),
  note text,
  PRIMARY KEY (state, county_key)
);

CREATE TABLE agencies (
  ori char(9) PRIMARY KEY CHECK (ori ~ '^[A-Z]{2}[A-Z0-9]{7}$'),
  name text NOT NULL,
  type text NOT NULL CHECK (type IN ('sheriff', 'police', 'state_police', 'corrections', 'other')),
  state char(2) NOT NULL CHECK (state = substring(ori FROM 1 FOR 2)),
  county text,
  agreement_model text NOT NULL CHECK (agreement_model IN ('task_force', 'jail_enforcement', 'warrant_service_officer')),
  agreement_status text NOT NULL CHECK (agreement_status IN ('active', 'suspended', 'terminated', 'pending')),
  agreement_effective date NOT NULL,
  agreement_end date,
  synthetic boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (agreement_end IS NULL OR agreement_end >= agreement_effective)
);

CREATE TABLE queues (
  id text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{1,62}$'),
  name text NOT NULL,
  description text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('voice', 'work_item')),
  target_expression text NOT NULL,
  ordering text NOT NULL DEFAULT 'fifo' CHECK (ordering IN ('fifo', 'lifo')),
  service_level_seconds integer NOT NULL DEFAULT 20 CHECK (service_level_seconds > 0),
  service_level_target_percent integer NOT NULL DEFAULT 80 CHECK (service_level_target_percent BETWEEN 1 AND 100),
  max_wait_seconds integer CHECK (max_wait_seconds > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('call_taker', 'uac_specialist', 'analyst', 'supervisor', 'legal_reviewer', 'field_officer', 'partner_officer', 'auditor', 'admin')),
  unit text,
  agency_ori char(9) REFERENCES agencies (ori),
  field_office_code text REFERENCES field_offices (code),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  CHECK (role <> 'partner_officer' OR agency_ori IS NOT NULL),
  CHECK (role <> 'field_officer' OR field_office_code IS NOT NULL)
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE persons (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  given_names text NOT NULL,
  family_name_1 text NOT NULL,
  family_name_2 text,
  dob date,
  dob_basis text NOT NULL CHECK (dob_basis IN ('exact', 'estimated', 'claimed', 'unknown')),
  sex text NOT NULL CHECK (sex IN ('female', 'male', 'unknown')),
  nationality char(2),
  a_number char(9) UNIQUE CHECK (a_number ~ '^[0-9]{9}$'),
  synthetic boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (dob_basis = 'unknown' OR dob IS NOT NULL)
);
CREATE INDEX persons_name_trgm ON persons USING gin ((given_names || ' ' || family_name_1 || ' ' || coalesce(family_name_2, '')) gin_trgm_ops);

-- A location is an observation with its provenance, never an overwrite.
CREATE TABLE location_observations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES persons (id),
  line1 text,
  city text,
  county text,
  state char(2),
  zip text CHECK (zip ~ '^[0-9]{5}$'),
  precision text NOT NULL CHECK (precision IN ('rooftop', 'zip', 'city', 'county', 'state')),
  source text NOT NULL,
  confidence text NOT NULL CHECK (confidence IN ('low', 'medium', 'high')),
  observed_at timestamptz NOT NULL,
  reported_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX location_observations_person ON location_observations (person_id, observed_at DESC);

CREATE TABLE cases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_number text NOT NULL UNIQUE,
  type text NOT NULL CHECK (type IN ('enforcement_lead', 'uac_location', 'uac_welfare', 'partner_referral', 'hit_confirmation', 'general_tip')),
  status text NOT NULL CHECK (status IN ('new', 'triage', 'active', 'referred', 'closed')),
  priority text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  unit text NOT NULL,
  aor_office_code text REFERENCES field_offices (code),
  summary text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_status ON cases (status, priority, created_at);

CREATE TABLE case_subjects (
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  role text NOT NULL CHECK (role IN ('subject', 'child', 'sponsor', 'guardian', 'associate')),
  PRIMARY KEY (case_id, person_id)
);
CREATE INDEX case_subjects_person ON case_subjects (person_id);
