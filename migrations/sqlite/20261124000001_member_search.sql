-- Member search at the size of a large company: a trigram full-text index of every account's
-- email and name, so `q` (a substring, any case, any script) finds candidates without scanning
-- the membership. FTS5's `trigram` tokenizer folds case (Unicode too) and answers a quoted phrase
-- as a substring match.
--
-- `users` has TEXT ids and no INTEGER PRIMARY KEY (its implicit rowids may change on VACUUM), so
-- the index is keyed by a small table of stable integer keys, one per account.
CREATE TABLE users_search_keys (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE users_search USING fts5(email, name, tokenize = 'trigram');

INSERT INTO users_search_keys (user_id) SELECT id FROM users ORDER BY id;
INSERT INTO users_search (rowid, email, name)
    SELECT k.id, u.email, u.name FROM users_search_keys k JOIN users u ON u.id = k.user_id;

CREATE TRIGGER users_search_insert AFTER INSERT ON users
BEGIN
    INSERT INTO users_search_keys (user_id) VALUES (new.id);
    INSERT INTO users_search (rowid, email, name) VALUES (last_insert_rowid(), new.email, new.name);
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF email, name ON users
BEGIN
    DELETE FROM users_search WHERE rowid = (SELECT id FROM users_search_keys WHERE user_id = old.id);
    INSERT INTO users_search (rowid, email, name)
        VALUES ((SELECT id FROM users_search_keys WHERE user_id = new.id), new.email, new.name);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users
BEGIN
    DELETE FROM users_search WHERE rowid = (SELECT id FROM users_search_keys WHERE user_id = old.id);
    DELETE FROM users_search_keys WHERE user_id = old.id;
END;
