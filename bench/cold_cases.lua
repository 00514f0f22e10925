-- bench/cold_cases.lua — wrk script for the read path with a cold token
-- cache: like my_cases.lua, but each request takes the next token of the
-- file (each wrk thread its own stride), so until the file wraps no token
-- is sent twice and every request verifies its signature anew.
--
--   wrk -t2 -c16 -d10s --latency -s bench/cold_cases.lua http://127.0.0.1:PORT -- TOKENS_FILE

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
  thread:set("thread_count", 2)
end

local tokens = {}
local next_i

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      tokens[#tokens + 1] = "Bearer " .. line
    end
  end
  if #tokens == 0 then
    error("no tokens in " .. args[1])
  end
  next_i = thread_no or 1
end

function request()
  wrk.headers["Authorization"] = tokens[next_i]
  next_i = next_i + (thread_count or 2)
  if next_i > #tokens then
    next_i = ((next_i - 1) % #tokens) + 1
  end
  return wrk.format("GET", "/api/v1/me/cases")
end
