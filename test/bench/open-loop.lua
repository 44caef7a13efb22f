-- wrk script for `npm run bench`'s latency rows (test/bench/load.ts, runOpenLoad): each connection waits a
-- random think time between an answer and its next request, exponentially distributed around a mean
-- given after `--` (ms), so the connections send at about connections / (mean + latency) requests per
-- second, at independent times: a busy service with headroom rather than autocannon's closed loop at
-- saturation. Prints one JSON line when done (latencies in ms).
local mean_ms = 10

function init(args)
  mean_ms = tonumber(args[1]) or mean_ms
  math.randomseed(os.time())
end

-- wrk takes whole milliseconds; rounding keeps the mean.
function delay()
  return math.floor(-mean_ms * math.log(1 - math.random()) + 0.5)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50Ms":%.2f,"p90Ms":%.2f,"p99Ms":%.2f,"maxMs":%.2f,' ..
      '"non2xx":%d,"errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
