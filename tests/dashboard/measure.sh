#!/usr/bin/env bash
# Times every API call the dashboard's pages make, against a running API, and prints the median
# and slowest of 5 runs per call in milliseconds. Usage: measure.sh http://127.0.0.1:56602
# With seed-million.sql loaded first, this measures the pages on a table of a million finished jobs.
set -euo pipefail
api="${1:?usage: measure.sh API_URL}"
calls=(
  "GET /v1/stats?window_minutes=60"
  "GET /v1/stats?window_minutes=1440"
  "GET /v1/jobs?page_size=50"
  "GET /v1/jobs?state=completed&page_size=50"
  "GET /v1/jobs?state=discarded&page_size=50"
  "GET /v1/jobs?queue=queue-3&state=completed&page_size=50"
  "GET /v1/jobs?kind=kind-7&page_size=50"
  "GET /v1/jobs?tag=nightly&page_size=50"
  "GET /v1/jobs?error=upstream%20returned%20502&page_size=50"
  "GET /v1/jobs?error=no%20such%20text&page_size=50"
  "GET /v1/jobs?args=%7B%22customer_id%22%3A4242%7D&page_size=50"
  "GET /v1/jobs/count?state=discarded&action=retry"
  "GET /v1/jobs/count?queue=queue-3&state=completed"
  "GET /v1/jobs/count?error=upstream%20returned%20502"
  "GET /v1/jobs/1000"
  "GET /v1/processes"
  "GET /v1/queues"
)
printf '%-62s %8s %8s\n' "call" "median" "max"
for call in "${calls[@]}"; do
  path="${call#GET }"
  times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$api$path")")
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  printf '%-62s %8.0f %8.0f\n' "$call" "$(echo "${sorted[2]} * 1000" | bc)" "$(echo "${sorted[4]} * 1000" | bc)"
done
