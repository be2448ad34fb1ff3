-- An identity column never hands out an id twice, even after a delete, so
-- a session or JWT that names a deleted user can never name a new one.
CREATE TABLE users (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username      text NOT NULL UNIQUE,
	password_hash text NOT NULL,
	created       timestamptz NOT NULL DEFAULT now()
);
