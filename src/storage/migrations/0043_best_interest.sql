-- Issue #22 item 5: the best-interest view of a UAC child's case (as a best-interests assessment/determination in
-- Primero). Three kinds of record the center did not keep: what the child says they want (wishes), who the child
-- lives with over time (care arrangements) and the risk factors a case worker recorded. Each row is one statement
-- with its day on the center's calendar and its recorder; rows are added, never changed: the history stays.
-- Writing them uses the UAC unit's relationship:write permission (migration 0038: uac_specialist, supervisor).

CREATE TABLE child_wishes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  topic text NOT NULL CHECK (topic IN ('where_to_live', 'family_contact', 'school', 'health', 'faith_and_culture', 'other')),
  wish text NOT NULL,
  expressed_on date NOT NULL,
  -- In whose words: the child's own, or through an interpreter (then which language / interpreter, in words).
  voice text NOT NULL CHECK (voice IN ('child_own_words', 'through_interpreter')),
  interpreter text,
  recorded_by uuid NOT NULL REFERENCES users (id),
  recorded_at timestamptz NOT NULL,
  CONSTRAINT child_wish_interpreter_named CHECK (voice = 'child_own_words' OR interpreter IS NOT NULL)
);
CREATE INDEX child_wishes_case ON child_wishes (case_id, expressed_on);

-- Who the child lives with from a day; a later arrangement ends the one before it (the day before its own first
-- day) unless an earlier last day was recorded. The caregiver is one of the child's relationships on the case.
CREATE TABLE care_arrangements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  type text NOT NULL CHECK (type IN ('with_sponsor', 'with_parent', 'with_relative', 'foster_care', 'orr_shelter', 'unaccompanied_no_care', 'other')),
  caregiver_relationship_id uuid REFERENCES person_relationships (id),
  from_day date NOT NULL,
  until_day date,
  notes text,
  recorded_by uuid NOT NULL REFERENCES users (id),
  recorded_at timestamptz NOT NULL,
  CONSTRAINT care_arrangement_dates CHECK (until_day IS NULL OR from_day <= until_day)
);
CREATE INDEX care_arrangements_case ON care_arrangements (case_id, from_day);

CREATE TABLE risk_factors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES persons (id),
  kind text NOT NULL CHECK (kind IN ('trafficking_indicator', 'abuse', 'neglect', 'exploitation', 'missing', 'medical', 'mental_health', 'other')),
  level text NOT NULL CHECK (level IN ('low', 'medium', 'high')),
  noted_on date NOT NULL,
  notes text,
  recorded_by uuid NOT NULL REFERENCES users (id),
  recorded_at timestamptz NOT NULL
);
CREATE INDEX risk_factors_case ON risk_factors (case_id, noted_on);
