-- Keys are now hashes of what was typed, never the text itself (which was sometimes a password),
-- so the counters kept under the old keys are dropped: they are fifteen-minute counts.
DELETE FROM login_throttle;
-- Attempts under way count only while their lease runs: a server that stops half-way leaves
-- nothing behind for longer than a password check may take.
ALTER TABLE login_throttle ADD COLUMN pending_until TIMESTAMP;

-- Where an account has signed in before (a hash of account and address), so that a storm of
-- guesses at the account from elsewhere does not lock its owner out from there.
CREATE TABLE login_known_places (
    key TEXT PRIMARY KEY,
    seen_at TIMESTAMP NOT NULL
);
