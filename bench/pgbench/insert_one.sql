INSERT INTO ceiling_jobs (args) VALUES ('{"n": 1}');
