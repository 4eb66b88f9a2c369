-- Single sign-on (OpenID Connect). An account signed in through the agency's
-- identity provider is bound to that provider's issuer and the stable subject
-- it gives the person (never to a name or e-mail address, which can be
-- reassigned); its role and scopes come from the provider's claims through the
-- configured mapping at every sign-in. While SSO is on, password+TOTP sign-in
-- stays only for break-glass accounts, which an admin marks (audited).
ALTER TABLE users
  ADD COLUMN sso_issuer text,
  ADD COLUMN sso_subject text,
  ADD COLUMN break_glass boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT users_sso_pair CHECK ((sso_issuer IS NULL) = (sso_subject IS NULL));
CREATE UNIQUE INDEX users_sso_identity ON users (sso_issuer, sso_subject) WHERE sso_issuer IS NOT NULL;
