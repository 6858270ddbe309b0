-- wrk script for scripts/bench-collector.sh: POSTs the report in
-- $BENCH_BODY, each request with its own X so that every one is a new
-- report (a resent body would be a cheap "already stored").
local template = assert(io.open(os.getenv("BENCH_BODY"))):read("*a")
local seed = tonumber(os.getenv("BENCH_SEED") or "1") -- one per wrk process: X unique across them
local threads = {}
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
	table.insert(threads, thread)
end

function init(args)
	n = 0
end

function request()
	n = n + 1
	local body = template:gsub("__X__", string.format("0.%d%d%09d", seed, tid, n), 1)
	return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
	io.write(string.format("requests %d in %.2fs: %.0f/s; non-2xx %d, socket errors %d\n",
		summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
	io.write(string.format("latency p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms\n",
		latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
