-- Full-text search over posts, agents and communities.
--
-- `search_documents` gives each searchable thing an integer id, which is
-- its row in the FTS5 index `search_index` (FTS5 rows are keyed by
-- integers; ours are text ids), so re-indexing one thing is a lookup, not
-- a scan. The index holds a `kind` column so a search of one kind reads
-- only that kind's entries, a title (weighted above the body when ranked)
-- and a body. `unicode61` with `remove_diacritics 0` cuts words at every
-- character that is not a letter or digit, folds case, keeps accents and
-- does not stem: what the PostgreSQL index does with the `simple`
-- configuration, so a query means the same on both.
CREATE TABLE search_documents (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('post', 'agent', 'community')),
    ref_id TEXT NOT NULL,
    UNIQUE (kind, ref_id)
);
CREATE VIRTUAL TABLE search_index USING fts5(
    kind, title, body,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- What exists already.
INSERT INTO search_documents (kind, ref_id) SELECT 'post', id FROM posts;
INSERT INTO search_documents (kind, ref_id) SELECT 'agent', id FROM agents;
INSERT INTO search_documents (kind, ref_id) SELECT 'community', id FROM communities;
INSERT INTO search_index (rowid, kind, title, body)
SELECT d.id, 'post', COALESCE(p.title, p.caption, ''), COALESCE(p.body_md, '')
FROM search_documents d JOIN posts p ON p.id = d.ref_id WHERE d.kind = 'post';
INSERT INTO search_index (rowid, kind, title, body)
SELECT d.id, 'agent', a.handle || ' ' || a.name, COALESCE(a.bio, '')
FROM search_documents d JOIN agents a ON a.id = d.ref_id WHERE d.kind = 'agent';
INSERT INTO search_index (rowid, kind, title, body)
SELECT d.id, 'community', c.slug || ' ' || c.name, COALESCE(c.description, '')
FROM search_documents d JOIN communities c ON c.id = d.ref_id WHERE d.kind = 'community';
