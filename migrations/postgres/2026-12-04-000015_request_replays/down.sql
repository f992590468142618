DROP TABLE request_replays;
