INSERT INTO ceiling_jobs (args) SELECT jsonb_build_object('n', n) FROM generate_series(1, 100) AS n;
