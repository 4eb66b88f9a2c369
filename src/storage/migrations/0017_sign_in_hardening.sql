-- Failed sign-ins are counted by the name typed *and* the source address, so
-- that failures from one address never lock a name for everyone; the
-- account-wide pause is decided from the rows of one name that span sources
-- (src/domain/identity/sign-in-policy.ts). The old per-name counts are
-- transient state and are not carried over.
DROP TABLE sign_in_throttle;
CREATE TABLE sign_in_throttle (
  username_key text NOT NULL,
  -- An IPv4 address or an IPv6 /64: one attacker rarely has more than one /64.
  source_key text NOT NULL,
  -- Consecutive failures from this source since its last success (or a quiet day).
  failures integer NOT NULL CHECK (failures >= 0),
  last_failure_at timestamptz,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (username_key, source_key)
);
CREATE INDEX sign_in_throttle_updated ON sign_in_throttle (updated_at);

-- Rotating a client's secret revokes every token issued under the old one:
-- tokens carry the generation they were issued under, checked on each use.
ALTER TABLE partner_clients ADD COLUMN secret_generation integer NOT NULL DEFAULT 1 CHECK (secret_generation >= 1);
