import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Job = components["schemas"]["Job"];
export type JobState = components["schemas"]["JobState"];
export type ProblemDetails = components["schemas"]["ProblemDetails"];
export type JobQueueClient = Client<paths>;

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Creates a typed client for the API at JOBQUEUE_API_URL. The tests create and cancel jobs, so
 * the URL must be on loopback: a test run cannot write into a shared server by mistake.
 */
export function clientFromEnvironment(): JobQueueClient {
    const value = process.env["JOBQUEUE_API_URL"];
    if (!value) {
        throw new Error("JOBQUEUE_API_URL is not set. Set it to the API's base URL, such as http://127.0.0.1:8080.");
    }

    const url = new URL(value);
    if (!loopbackHosts.has(url.hostname)) {
        throw new Error(`JOBQUEUE_API_URL ${value} is not a loopback address; start an API on 127.0.0.1 for the tests.`);
    }

    return createClient<paths>({ baseUrl: url.origin });
}

/** Polls a job every 100 ms until `done` holds for it; throws after `timeoutMs`. */
export async function waitForJob(
    client: JobQueueClient,
    id: number,
    done: (job: Job) => boolean,
    timeoutMs = 20_000,
): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    let last: Job | undefined;
    while (Date.now() < deadline) {
        const { data, error } = await client.GET("/v1/jobs/{id}", { params: { path: { id } } });
        if (error) {
            throw new Error(`GET /v1/jobs/${id} failed: ${JSON.stringify(error)}`);
        }

        last = data;
        if (done(data)) {
            return data;
        }

        await new Promise((resolve) => setTimeout(resolve, 100));
    }

    throw new Error(`Job ${id} did not reach the expected state within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}

/** Waits until the job is completed. */
export function waitForCompleted(client: JobQueueClient, id: number): Promise<Job> {
    return waitForJob(client, id, (job) => job.state === "completed");
}
