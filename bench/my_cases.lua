-- bench/my_cases.lua — wrk script for the citizen read path.
--
--   wrk -t2 -c16 -d10s --latency -s bench/my_cases.lua http://127.0.0.1:PORT -- TOKENS_FILE
--
-- Every request is GET /api/v1/me/cases with the bearer token of a random
-- citizen of the dataset: TOKENS_FILE holds pre-minted tokens (bench_tokens),
-- one per line; each wrk thread loads them all in init() and draws one per
-- request, so requests spread over every token's citizen.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

local tokens = {}

function init(args)
  local path = args[1]
  if not path then
    error("usage: wrk ... -s my_cases.lua URL -- TOKENS_FILE")
  end
  for line in io.lines(path) do
    if #line > 0 then
      tokens[#tokens + 1] = "Bearer " .. line
    end
  end
  if #tokens == 0 then
    error("no tokens in " .. path)
  end
  math.randomseed((thread_no or 1) * 7919 + os.time())
end

function request()
  wrk.headers["Authorization"] = tokens[math.random(#tokens)]
  return wrk.format("GET", "/api/v1/me/cases")
end
