-- Moves forward to end every session of a user at once (sign-out, a new password, an admin's
-- "sign out everywhere"): a session carries the generation it was issued under and is honoured
-- only while the user's row still holds that generation.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
