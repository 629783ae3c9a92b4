-- Requests for `python -m bench`:
--   wrk -s bench/wrk.lua URL -- IDS_FILE METHOD PATH [BODY]
-- Every request picks an id at random from IDS_FILE (one per line; "-" for none) and puts it
-- in place of "{id}" in PATH. done() prints one line "BENCH_RESULT {json}" that bench reads.

local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_number", counter)
end

local ids = {}
local method, pattern, body

function init(args)
   math.randomseed(os.time() * 100 + thread_number)
   if args[1] ~= "-" then
      for line in io.lines(args[1]) do
         if #line > 0 then
            ids[#ids + 1] = line
         end
      end
   end
   method, pattern, body = args[2], args[3], args[4]
   if body then
      wrk.headers["Content-Type"] = "application/json"
   end
end

function request()
   local path = pattern
   if #ids > 0 then
      path = (string.gsub(pattern, "{id}", ids[math.random(#ids)]))
   end
   return wrk.format(method, path, nil, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, '
      .. '"errors_timeout": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
