-- Cookie sessions and sign-ins are kept under hashes of their ids from now on
-- (server/sessions.rs, accounts::repo::session_key). Rows written before are under the ids
-- themselves, which no cookie can reach any more: they go, and everyone signs in again once.
-- Kept in step with migrations/sqlite.
DELETE FROM user_sessions;
DELETE FROM sessions;
