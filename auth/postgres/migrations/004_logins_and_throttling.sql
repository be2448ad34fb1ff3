-- The index of logins (auth.LoginStore) and the throttling counts
-- (auth.ThrottleStore). Sessions are now stored under the SHA-256 of their
-- token; the rows made before were keyed by the token itself, so they are
-- deleted: a copy of the database then holds no token, and their users
-- log in again.
DELETE FROM sessions;

-- Every sign-in of a user under either strategy. key is what the strategy
-- knows it by (a session token's SHA-256, or a JWT login's sid); ended is
-- null until the login is ended early.
CREATE TABLE logins (
	id       text PRIMARY KEY,
	key      text NOT NULL UNIQUE,
	user_id  bigint NOT NULL,
	strategy text NOT NULL,
	started  timestamptz NOT NULL,
	seen     timestamptz NOT NULL,
	expires  timestamptz NOT NULL,
	agent    text NOT NULL,
	address  text NOT NULL,
	ended    timestamptz,
	ended_by text NOT NULL DEFAULT ''
);
CREATE INDEX logins_user_idx ON logins (user_id, started);
CREATE INDEX logins_expires_idx ON logins (expires);
CREATE INDEX logins_ended_idx ON logins (ended) WHERE ended IS NOT NULL;

-- An account's consecutive failed logins since its last success.
CREATE TABLE login_failures (
	account  text PRIMARY KEY,
	failures integer NOT NULL,
	last     timestamptz NOT NULL
);
CREATE INDEX login_failures_last_idx ON login_failures (last);

-- Each failed login, for the per-address window and each address's last
-- failure on an account. attempt is random, chosen by the caller, so that
-- a statement sent again after a lost connection records nothing twice.
CREATE TABLE failed_logins (
	attempt text PRIMARY KEY,
	address text NOT NULL,
	account text NOT NULL,
	at      timestamptz NOT NULL
);
CREATE INDEX failed_logins_address_idx ON failed_logins (address, at);
CREATE INDEX failed_logins_account_idx ON failed_logins (account, address, at);
CREATE INDEX failed_logins_at_idx ON failed_logins (at);

-- Each signup attempt, for the per-address limit; attempt as above.
CREATE TABLE signups (
	attempt text PRIMARY KEY,
	address text NOT NULL,
	at      timestamptz NOT NULL
);
CREATE INDEX signups_address_idx ON signups (address, at);
CREATE INDEX signups_at_idx ON signups (at);
