#!/usr/bin/env python3
"""Enqueue example jobs over the job queue's HTTP API and optionally wait for them.

Uses only the Python 3 standard library. The script enqueues one job with
POST /v1/jobs, then --count jobs with POST /v1/jobs/batch, then (with --webhook-kind)
one job for a webhook route. With --wait it polls GET /v1/jobs/{id} until every job
is in a final state (completed, cancelled or discarded) or --timeout runs out.

Output: progress lines go to stderr. Stdout receives exactly one line, printed last
and also after a failure: a JSON object {"ids": [...], "states": {"<id>": "<state>"}}
with the ids of every job enqueued so far and the latest state seen for each.

The API key, when the API requires one, is read from the JOBQUEUE_API_KEY environment
variable and sent as 'Authorization: Bearer <key>'.

Exit status: 0 on success, even when a job ends discarded or cancelled. 1 when a request
fails or returns an unexpected body, 2 for invalid options, 3 when --wait times out.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

FINAL_STATES = frozenset({"completed", "cancelled", "discarded"})

# The API rejects a batch of more than 1000 jobs (EnqueueBatchRequest.MaxJobs).
MAX_BATCH_JOBS = 1000

REQUEST_TIMEOUT_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.5

EXIT_REQUEST_FAILED = 1
EXIT_TIMED_OUT = 3


class RequestFailed(Exception):
    """A request that failed to connect, returned a non-2xx status or an unexpected body."""


def log(message):
    print(message, file=sys.stderr, flush=True)


def describe_problem(body):
    """Format an application/problem+json body as lines of text, or return None if it is not one."""
    try:
        problem = json.loads(body)
    except ValueError:
        return None
    if not isinstance(problem, dict):
        return None

    lines = [str(problem.get("title") or problem.get("type") or "request failed")]
    if problem.get("detail"):
        lines.append(f"  {problem['detail']}")

    # The API writes field errors as {"field": ["message", ...]}, but a plain list is accepted too.
    errors = problem.get("errors")
    if isinstance(errors, dict):
        for field, messages in errors.items():
            if not isinstance(messages, list):
                messages = [messages]
            for message in messages:
                lines.append(f"  {field}: {message}")
    elif isinstance(errors, list):
        for error in errors:
            lines.append(f"  {error if isinstance(error, str) else json.dumps(error)}")

    return "\n".join(lines)


def send(method, url, payload=None, expected_status=200):
    """Send one JSON request and return the decoded JSON response body.

    Raises RequestFailed with the problem's title, detail and errors when the status
    differs from expected_status, and when the server cannot be reached.
    """
    data = None
    headers = {"Accept": "application/json, application/problem+json"}
    api_key = os.environ.get("JOBQUEUE_API_KEY")
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"

    if payload is not None:
        data = json.dumps(payload).encode("utf-8")
        headers["Content-Type"] = "application/json"

    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            status = response.status
            body = response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
        text = describe_problem(body) or body.decode("utf-8", "replace").strip() or "(empty body)"
        raise RequestFailed(f"{method} {url} failed with {error.code} {error.reason}:\n{text}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RequestFailed(f"{method} {url} failed: {reason}. Is the API running at that address?") from None

    if status != expected_status:
        raise RequestFailed(f"{method} {url} returned {status}, expected {expected_status}")
    try:
        return json.loads(body)
    except ValueError:
        raise RequestFailed(f"{method} {url} returned a body that is not JSON") from None


def validate_job(job, url):
    """Return job unchanged if it has an integer id and a string state, otherwise raise RequestFailed."""
    if not isinstance(job, dict) or not isinstance(job.get("id"), int) or not isinstance(job.get("state"), str):
        raise RequestFailed(f"{url} returned a job without an integer 'id' and a string 'state': {job!r}")
    return job


def build_job(kind, index, options):
    """Build an enqueue request.

    The args suit every built-in kind: echo returns them, sleep reads "ms" and fail throws "message".
    """
    job = {
        "kind": kind,
        "args": {"index": index, "ms": 200, "message": f"example job {index}"},
        "tags": ["example"],
    }
    if options.max_attempts is not None:
        job["max_attempts"] = options.max_attempts
    return job


def enqueue(options, states):
    """Enqueue the single, batch and webhook jobs, recording each id and state in states."""
    jobs_url = f"{options.api}/v1/jobs"

    single = validate_job(send("POST", jobs_url, build_job(options.kind, 0, options), 201), jobs_url)
    states[single["id"]] = single["state"]
    log(f"enqueued job {single['id']} ({single.get('kind')}): {single['state']}")

    if options.count > 0:
        batch_url = f"{jobs_url}/batch"
        request = {"jobs": [build_job(options.kind, i, options) for i in range(1, options.count + 1)]}
        response = send("POST", batch_url, request, 201)
        jobs = response.get("jobs") if isinstance(response, dict) else None
        if not isinstance(jobs, list) or len(jobs) != options.count:
            raise RequestFailed(f"{batch_url} returned no 'jobs' list of {options.count} jobs")
        for job in jobs:
            validate_job(job, batch_url)
            states[job["id"]] = job["state"]
            log(f"enqueued job {job['id']} ({job.get('kind')}) in batch: {job['state']}")

    if options.webhook_kind:
        job = build_job(options.webhook_kind, options.count + 1, options)
        if options.fail_status is not None:
            job["args"]["fail_status"] = options.fail_status
        webhook_job = validate_job(send("POST", jobs_url, job, 201), jobs_url)
        states[webhook_job["id"]] = webhook_job["state"]
        log(f"enqueued webhook job {webhook_job['id']} ({options.webhook_kind}): {webhook_job['state']}")


def wait_for_final_states(options, states):
    """Poll each unfinished job until all are final. Return False if --timeout runs out first."""
    deadline = time.monotonic() + options.timeout

    while True:
        pending = [job_id for job_id, state in states.items() if state not in FINAL_STATES]
        if not pending:
            return True
        if time.monotonic() >= deadline:
            return False

        for job_id in pending:
            url = f"{options.api}/v1/jobs/{job_id}"
            job = validate_job(send("GET", url), url)
            if job["state"] != states[job_id]:
                log(f"job {job_id}: {states[job_id]} -> {job['state']} (attempt {job.get('attempt')})")
            states[job_id] = job["state"]
            if job["state"] in FINAL_STATES:
                report_final_job(job)

        time.sleep(max(0.0, min(POLL_INTERVAL_SECONDS, deadline - time.monotonic())))


def report_final_job(job):
    if job["state"] == "completed":
        log(f"job {job['id']} completed with result {json.dumps(job.get('result'))}")
        return
    errors = job.get("errors") or []
    last_error = errors[-1] if errors and isinstance(errors[-1], dict) else {}
    log(f"job {job['id']} {job['state']} after {job.get('attempt')} attempt(s); "
        f"last error: {last_error.get('reason', 'none')}: {last_error.get('message', '')}")


def parse_options(argv):
    parser = argparse.ArgumentParser(description="Enqueue example jobs and optionally wait until they finish.")
    parser.add_argument("--api", default="http://127.0.0.1:8080", metavar="URL",
                        help="base URL of the job queue API (default: %(default)s)")
    parser.add_argument("--kind", default="echo",
                        help="kind of the single job and of the batch jobs (default: %(default)s)")
    parser.add_argument("--count", type=int, default=3, metavar="N",
                        help=f"number of jobs in the batch, 0 to {MAX_BATCH_JOBS}; 0 skips the batch "
                             "(default: %(default)s)")
    parser.add_argument("--webhook-kind", metavar="KIND",
                        help="also enqueue one job of this kind, which must have a webhook route on the worker")
    parser.add_argument("--fail-status", type=int, metavar="STATUS",
                        help="HTTP status the example receiver returns for the webhook job "
                             "(sets args.fail_status), to observe retries")
    parser.add_argument("--max-attempts", type=int, metavar="N",
                        help="max_attempts of every job (default: the server's default)")
    parser.add_argument("--wait", action="store_true",
                        help="poll until every job is completed, cancelled or discarded")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="maximum seconds to wait with --wait (default: %(default)s)")
    options = parser.parse_args(argv)

    api = urllib.parse.urlsplit(options.api)
    if api.scheme not in ("http", "https") or not api.netloc:
        parser.error(f"--api must be an http or https URL such as http://127.0.0.1:8080, got {options.api!r}")
    options.api = options.api.rstrip("/")
    if not 0 <= options.count <= MAX_BATCH_JOBS:
        parser.error(f"--count must be between 0 and {MAX_BATCH_JOBS}, got {options.count}")
    if options.max_attempts is not None and options.max_attempts < 1:
        parser.error(f"--max-attempts must be at least 1, got {options.max_attempts}")
    if options.fail_status is not None and not 300 <= options.fail_status <= 599:
        parser.error(f"--fail-status must be an HTTP status from 300 to 599, got {options.fail_status}")
    if options.fail_status is not None and not options.webhook_kind:
        parser.error("--fail-status needs --webhook-kind")
    if options.timeout <= 0:
        parser.error(f"--timeout must be positive, got {options.timeout}")
    return options


def main(argv):
    options = parse_options(argv)
    states = {}
    exit_code = 0

    try:
        enqueue(options, states)
        if options.wait and not wait_for_final_states(options, states):
            pending = sorted(job_id for job_id, state in states.items() if state not in FINAL_STATES)
            log(f"timed out after {options.timeout:g} s; jobs not final: {pending}")
            exit_code = EXIT_TIMED_OUT
    except RequestFailed as error:
        log(f"error: {error}")
        exit_code = EXIT_REQUEST_FAILED
    except KeyboardInterrupt:
        log("interrupted")
        exit_code = 130

    summary = {"ids": list(states), "states": {str(job_id): state for job_id, state in states.items()}}
    # Compact separators make the line byte-identical to the Node.js producer's.
    print(json.dumps(summary, separators=(",", ":")), flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
