-- wrk script for the gateway benchmark.
-- With no arguments: sends wrk's fixed request (headers from -H) and prints one JSON line at the end.
-- With arguments `<token file> <threads> <offset>` (one token per line in the file): every request
-- carries the next token of the list, starting at <offset>, each wrk thread at its own share of the
-- list, so that no token repeats while the list lasts.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  if file == nil or file == "" then
    return
  end
  local tokens = {}
  for line in io.lines(file) do
    if #line > 0 then
      tokens[#tokens + 1] = "Bearer " .. line
    end
  end
  local count = #tokens
  local total_threads = tonumber(args[2] or "1")
  local offset = tonumber(args[3] or "0")
  local index = (offset + math.floor(count * id / total_threads)) % count
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  request = function()
    index = index % count + 1
    headers["Authorization"] = tokens[index]
    return wrk.format(nil, nil, headers)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
