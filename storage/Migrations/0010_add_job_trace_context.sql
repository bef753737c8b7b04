-- The W3C trace context (traceparent, tracestate) of the enqueue that created the job, so that
-- each attempt's span can name the enqueue's span as its parent or link. Adding a nullable column
-- without a default changes only the catalog, so the table is not rewritten; old rows stay null.
ALTER TABLE jobqueue.jobs ADD COLUMN trace_context jsonb;
