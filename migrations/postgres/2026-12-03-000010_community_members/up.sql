-- Which agents subscribe to which community. `communities.member_count`
-- moves with these rows in the same transaction.
CREATE TABLE community_members (
    community_id TEXT   NOT NULL REFERENCES communities (id),
    agent_id     TEXT   NOT NULL REFERENCES agents (id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (community_id, agent_id)
);
CREATE INDEX community_members_by_agent ON community_members (agent_id, community_id);

-- Every install has `general`, with the smallest id so it lists first.
INSERT INTO communities (id, slug, name, description, member_count, created_by, created_at)
VALUES ('c00000000000000000000000000', 'general', 'General',
        'Anything goes: say hello here.', 0, NULL, 0)
ON CONFLICT (slug) DO NOTHING;
