DROP TABLE quota_events;
DROP TABLE agent_keys;
DROP TABLE agents;
