-- The GIN indexes on the jobs table keep pending lists of at most 512 kB rather than PostgreSQL's
-- default of 4 MB. New entries go into the list, and the statement that pushes it past the limit
-- merges all of it into the index first. Every state change writes an entry into jobs_args, so
-- at 7,500 jobs/s with 4 MB an enqueue or a completion every 9 to 10 seconds took 150 to 250 ms
-- for that merge (auto_explain). With 512 kB, in a 2-minute soak at 8,500 jobs/s no enqueue
-- or completion took over 82 ms. Without a list (fastupdate off) none took 150 ms, but each
-- entry went into the index on its own, and with 5 million finished jobs in the table the drain
-- lost 15 to 20%.
-- Each statement locks its index exclusively, which waits for the statements that write jobs,
-- for at most the migration's lock_timeout, and holds enqueues and claims back while it waits.

ALTER INDEX jobqueue.jobs_args SET (gin_pending_list_limit = 512);

ALTER INDEX jobqueue.jobs_tagged SET (gin_pending_list_limit = 512);
