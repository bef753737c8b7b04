-- Fills jobqueue.jobs with one million finished jobs spread over the last 24 hours, as retention
-- keeps them by default, plus a working set of due, scheduled and retryable jobs. Used by
-- measure.sh to time the dashboard's API calls on a large table. Run on a migrated, empty database.
INSERT INTO jobqueue.jobs (queue, kind, args, priority, effective_priority, state, attempt, max_attempts, tags,
                           scheduled_at, created_at, attempted_at, finished_at, errors)
SELECT 'queue-' || (n % 8),
       'kind-' || (n % 20),
       jsonb_build_object('customer_id', n % 50000, 'order', n),
       0, 0,
       CASE WHEN n % 100 < 95 THEN 'completed' WHEN n % 100 < 99 THEN 'discarded' ELSE 'cancelled' END,
       1, 3,
       CASE WHEN n % 10 = 0 THEN ARRAY['nightly'] ELSE ARRAY[]::text[] END,
       now() - (n % 86400) * interval '1 second',
       now() - (n % 86400) * interval '1 second',
       now() - (n % 86400) * interval '1 second',
       now() - (n % 86400) * interval '1 second' + interval '50 milliseconds',
       CASE WHEN n % 100 BETWEEN 95 AND 98
            THEN jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now(), 'reason', 'exception',
                                                      'message', 'upstream returned ' || (500 + n % 4)))
            ELSE '[]'::jsonb END
FROM generate_series(1, 1000000) AS n;

INSERT INTO jobqueue.jobs (queue, kind, args, state, attempt, max_attempts, scheduled_at, errors)
SELECT 'queue-' || (n % 8), 'kind-' || (n % 20), jsonb_build_object('customer_id', n),
       (ARRAY['available', 'scheduled', 'retryable'])[1 + n % 3],
       CASE WHEN n % 3 = 2 THEN 1 ELSE 0 END, 3,
       CASE WHEN n % 3 = 0 THEN now() - interval '5 seconds' ELSE now() + interval '1 hour' END,
       CASE WHEN n % 3 = 2 THEN '[{"attempt": 1, "reason": "exception", "message": "timeout"}]'::jsonb ELSE '[]'::jsonb END
FROM generate_series(1, 5000) AS n;

VACUUM ANALYZE jobqueue.jobs;
