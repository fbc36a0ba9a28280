-- wrk script for the token benchmark: POST /token, form body.
-- Arguments: `<body file> <threads>`: one request body per line; each wrk thread takes its own slice
-- of the file, in order, so no client assertion is sent twice while the file lasts. With a file of one
-- line every request sends that body (client_secret_basic, credentials in the -H Authorization header).
-- Prints one JSON line at the end.

local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local bodies = {}
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  local count = #bodies
  local threads = tonumber(args[2] or "1")
  local index = math.floor(count * id / threads)
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  request = function()
    index = index % count + 1
    return wrk.format("POST", "/token", headers, bodies[index])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"status_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
