-- Member search at the size of a large company: trigram indexes (pg_trgm, shipped with
-- PostgreSQL's contrib and "trusted", so a database owner may create it) on the lower-cased email
-- and name, which `LOWER(…) LIKE '%q%'` uses. The extension lives in `public` so that every schema
-- of the database shares it; its operator class is named with its schema for the same reason.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX users_email_trgm ON users USING gin (LOWER(email) public.gin_trgm_ops);
CREATE INDEX users_name_trgm ON users USING gin (LOWER(name) public.gin_trgm_ops);
