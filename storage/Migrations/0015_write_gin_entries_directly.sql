-- The GIN indexes on the jobs table write each entry into the index at once rather than into a
-- pending list. With a pending list (fastupdate, PostgreSQL's default), whichever statement
-- pushes the list past gin_pending_list_limit (4 MB) merges all of it into the index first.
-- Every state change writes an entry into jobs_args, so at 7,500 jobs/s an enqueue or a
-- completion every 9 to 10 seconds read over 200,000 buffers and took 150 to 250 ms
-- (auto_explain); with the list off, none took 150 ms. Each statement locks its index
-- exclusively, which waits for the statements that write jobs, for at most the migration's
-- lock_timeout, and holds enqueues and claims back while it waits. The next vacuum merges what
-- the lists still hold.

ALTER INDEX jobqueue.jobs_args SET (fastupdate = off);

ALTER INDEX jobqueue.jobs_tagged SET (fastupdate = off);
