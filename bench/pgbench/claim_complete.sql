-- Claim one due row with SKIP LOCKED and complete it: two commits per job.
UPDATE ceiling_jobs SET state = 'running'
WHERE id = (SELECT id FROM ceiling_jobs WHERE state = 'available' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id AS claimed \gset
UPDATE ceiling_jobs SET state = 'completed' WHERE id = :claimed;
