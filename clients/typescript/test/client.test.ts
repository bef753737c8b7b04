// Drives the API at JOBQUEUE_API_URL through the client generated from openapi.yaml. A worker
// must run beside the API, because several tests wait for the built-in `echo` kind to complete.
// The .NET test TypeScriptClientTests starts both and runs this file; by hand:
//   JOBQUEUE_API_URL=http://127.0.0.1:8080 npm test
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { clientFromEnvironment, waitForCompleted, waitForJob, type Job } from "../src/client.js";

const client = clientFromEnvironment();

// A tag per run keeps the list test to the jobs it made, on a server that other tests share.
const runTag = `ts-${randomUUID().slice(0, 8)}`;

const oneHourSeconds = 3600;

describe("jobs", () => {
    test("enqueued job completes with args as result", async () => {
        const args = { hello: "world", n: [1, 2, 3] };
        const { data, error, response } = await client.POST("/v1/jobs", {
            body: { kind: "echo", args, tags: [runTag] },
        });

        assert.equal(error, undefined);
        assert.equal(response.status, 201);
        assert.ok(data);
        assert.equal(data.kind, "echo");
        assert.equal(data.queue, "default");
        assert.equal(response.headers.get("location"), `/v1/jobs/${data.id}`);

        const done = await waitForCompleted(client, data.id!);
        assert.deepEqual(done.result, args);
        assert.equal(done.attempt, 1);
        assert.ok(done.finished_at);
    });

    test("batch jobs complete in request order", async () => {
        const { data, error, response } = await client.POST("/v1/jobs/batch", {
            body: {
                jobs: [
                    { kind: "echo", args: { index: 0 }, tags: [runTag] },
                    { kind: "echo", args: { index: 1 }, tags: [runTag], priority: -5 },
                    { kind: "echo", args: { index: 2 }, tags: [runTag], queue: `q-${runTag}` },
                ],
            },
        });

        assert.equal(error, undefined);
        assert.equal(response.status, 201);
        const jobs = data?.jobs ?? [];
        assert.equal(jobs.length, 3);
        assert.deepEqual(jobs.map((job) => job.args), [{ index: 0 }, { index: 1 }, { index: 2 }]);
        assert.equal(jobs[1]?.priority, -5);
        assert.equal(jobs[2]?.queue, `q-${runTag}`);

        for (const job of jobs) {
            const done = await waitForCompleted(client, job.id!);
            assert.deepEqual(done.result, job.args);
        }
    });

    test("run_at sets scheduled_at", async () => {
        const runAt = new Date(Date.now() + oneHourSeconds * 1000);
        runAt.setUTCMilliseconds(0);
        const { data, error } = await client.POST("/v1/jobs", {
            body: { kind: "echo", run_at: runAt.toISOString(), tags: [runTag] },
        });

        assert.equal(error, undefined);
        assert.equal(data?.state, "scheduled");
        assert.equal(new Date(data.scheduled_at!).getTime(), runAt.getTime());
    });

    test("cancelled scheduled job runs after retry", async () => {
        const { data: scheduled } = await client.POST("/v1/jobs", {
            body: { kind: "echo", args: { retried: true }, delay_seconds: oneHourSeconds, tags: [runTag] },
        });
        assert.equal(scheduled?.state, "scheduled");
        const id = scheduled.id!;

        const cancel = await client.POST("/v1/jobs/{id}/cancel", { params: { path: { id } } });
        assert.equal(cancel.error, undefined);
        assert.equal(cancel.data?.state, "cancelled");
        assert.ok(cancel.data.finished_at);

        const retry = await client.POST("/v1/jobs/{id}/retry", { params: { path: { id } } });
        assert.equal(retry.error, undefined);
        assert.equal(retry.data?.state, "available");

        const done = await waitForCompleted(client, id);
        assert.deepEqual(done.result, { retried: true });
    });

    test("running job cannot be retried", async () => {
        // A job still running cannot be retried, so the 409 check uses a long sleep job.
        const { data: sleeping } = await client.POST("/v1/jobs", {
            body: { kind: "sleep", args: { ms: 30_000 }, tags: [runTag] },
        });
        const id = sleeping!.id!;
        await waitForJob(client, id, (job: Job) => job.state === "running");

        const retry = await client.POST("/v1/jobs/{id}/retry", { params: { path: { id } } });
        assert.equal(retry.response.status, 409);
        assert.equal(retry.error?.type, "urn:jobqueue:problem:invalid-state");

        const cancel = await client.POST("/v1/jobs/{id}/cancel", { params: { path: { id } } });
        assert.equal(cancel.error, undefined);
        const cancelled = await waitForJob(client, id, (job: Job) => job.state === "cancelled");
        assert.ok(cancelled.finished_at);
    });

    test("list pages follow next_page_token", async () => {
        const tag = `${runTag}-page`;
        const { data } = await client.POST("/v1/jobs/batch", {
            body: { jobs: Array.from({ length: 5 }, (_, index) => ({ kind: "noop", args: { index }, tags: [tag] })) },
        });
        const enqueued = (data?.jobs ?? []).map((job) => job.id!);
        assert.equal(enqueued.length, 5);

        const seen: number[] = [];
        let pageToken: string | undefined;
        // Five jobs in pages of two take three pages; ten is a bound that fails instead of looping.
        for (let page = 0; page < 10; page++) {
            const query = pageToken === undefined ? { tag, page_size: 2 } : { tag, page_size: 2, page_token: pageToken };
            const { data: jobPage, error } = await client.GET("/v1/jobs", { params: { query } });
            assert.equal(error, undefined);
            assert.ok((jobPage?.jobs?.length ?? 0) <= 2);
            seen.push(...(jobPage?.jobs ?? []).map((job) => job.id!));
            if (!jobPage?.next_page_token) {
                break;
            }

            pageToken = jobPage.next_page_token;
        }

        // Newest first: batch jobs get ascending ids, so the list is the batch reversed.
        assert.deepEqual(seen, [...enqueued].reverse());
    });
});

describe("problem details", () => {
    test("empty kind fails validation naming kind", async () => {
        const { data, error, response } = await client.POST("/v1/jobs", { body: { kind: "" } });

        assert.equal(data, undefined);
        assert.equal(response.status, 400);
        assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
        assert.ok(error);
        assert.equal(error.type, "urn:jobqueue:problem:validation-failed");
        assert.equal(error.status, 400);
        assert.ok(error.errors?.["kind"]?.length, `errors should name kind: ${JSON.stringify(error)}`);
    });

    test("page_size out of range names page_size", async () => {
        const { error, response } = await client.GET("/v1/jobs", { params: { query: { page_size: 0 } } });

        assert.equal(response.status, 400);
        assert.equal(error?.type, "urn:jobqueue:problem:validation-failed");
        assert.ok(error.errors?.["page_size"]?.length, `errors should name page_size: ${JSON.stringify(error)}`);
    });

    test("unknown job id is not found", async () => {
        const { error, response } = await client.GET("/v1/jobs/{id}", { params: { path: { id: 9_007_199_254_740_991 } } });

        assert.equal(response.status, 404);
        assert.equal(error?.type, "urn:jobqueue:problem:not-found");
    });
});
