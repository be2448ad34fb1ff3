-- Revoked JWT ids (jti) and login ids (sid), each kept until the tokens it
-- refuses would have expired anyway.
CREATE TABLE revoked_tokens (
	jti   text PRIMARY KEY,
	until timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_until_idx ON revoked_tokens (until);
