-- Where each account last logged in from, so that an account closed to
-- passwords after a hundred failures stays open to the places its owner
-- uses (auth.KnownFor).
CREATE TABLE login_known (
	account text NOT NULL,
	address text NOT NULL,
	at      timestamptz NOT NULL,
	PRIMARY KEY (account, address)
);
CREATE INDEX login_known_at_idx ON login_known (at);
