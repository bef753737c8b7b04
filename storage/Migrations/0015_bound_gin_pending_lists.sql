-- The GIN indexes on the jobs table keep pending lists of at most 512 kB, not PostgreSQL's
-- default of 4 MB. The statement that pushes a list past its limit merges all of it into the
-- index first. Every state change adds an entry to jobs_args, so at 7,500 jobs/s with 4 MB an
-- enqueue or a completion every 9 to 10 seconds took 150 to 250 ms (auto_explain). With 512 kB,
-- a 2-minute soak at 8,500 jobs/s had no enqueue or completion over 82 ms. Turning the lists off
-- (fastupdate) removed the merges, but with 5 million finished jobs the drain lost 15 to 20%.
-- Each ALTER locks its index exclusively: it waits for the statements that write jobs, for at
-- most the migration's lock_timeout, and holds enqueues and claims back while it waits.

ALTER INDEX jobqueue.jobs_args SET (gin_pending_list_limit = 512);

ALTER INDEX jobqueue.jobs_tagged SET (gin_pending_list_limit = 512);
