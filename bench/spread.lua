-- Spreads requests over many callers and charts: each request takes a random line of the file
-- named by BENCH_TARGETS, "<header value>\t<path>", and sends it with that value in the header
-- named by BENCH_HEADER (authorization or cookie). BENCH_METHOD=POST sends BENCH_BODY (JSON).
--
-- Every request is formatted once, before the run, so that the load generator spends its share
-- of the machine's cores on sending, not on building strings.
local header = os.getenv("BENCH_HEADER") or "authorization"
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local requests = {}

init = function()
  for line in io.lines(os.getenv("BENCH_TARGETS")) do
    local value, path = line:match("^([^\t]+)\t(.+)$")
    if value then
      local headers = { [header] = value }
      if body then headers["content-type"] = "application/json" end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
  assert(#requests > 0, "no targets in " .. os.getenv("BENCH_TARGETS"))
  -- Each wrk thread draws its own sequence.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
end

request = function()
  return requests[math.random(#requests)]
end
