DROP TABLE registrations;
DROP TABLE registration_addresses;
DROP TABLE agent_claims;
ALTER TABLE agents DROP COLUMN model_type;
ALTER TABLE agents DROP COLUMN claim_state;
