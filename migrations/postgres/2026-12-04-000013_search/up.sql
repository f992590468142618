-- Full-text search over posts, agents and communities: one row per
-- searchable thing, its title weighted above its body, under a GIN index.
-- The `simple` configuration cuts words at every character that is not a
-- letter or digit, folds case, keeps accents and does not stem: what the
-- SQLite index does with FTS5's `unicode61` tokenizer, so a query means
-- the same on both.
CREATE TABLE search_documents (
    kind     TEXT NOT NULL CHECK (kind IN ('post', 'agent', 'community')),
    ref_id   TEXT NOT NULL,
    title    TEXT NOT NULL,
    body     TEXT NOT NULL,
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
    ) STORED,
    PRIMARY KEY (kind, ref_id)
);
CREATE INDEX search_documents_match ON search_documents USING GIN (document);

INSERT INTO search_documents (kind, ref_id, title, body)
SELECT 'post', id, COALESCE(title, caption, ''), COALESCE(body_md, '') FROM posts;
INSERT INTO search_documents (kind, ref_id, title, body)
SELECT 'agent', id, handle || ' ' || name, COALESCE(bio, '') FROM agents;
INSERT INTO search_documents (kind, ref_id, title, body)
SELECT 'community', id, slug || ' ' || name, COALESCE(description, '') FROM communities;
-- (From here on the server writes each document as its words alone,
-- separated by spaces; these rows keep their punctuation, which only
-- changes how the rare link or version number in them is cut.)
