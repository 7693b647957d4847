-- Spreads requests over many callers and charts: each request takes a random line of the file
-- named by BENCH_TARGETS, "<header value>\t<path>", and sends it with that value in the header
-- named by BENCH_HEADER (authorization or cookie). BENCH_METHOD=POST sends BENCH_BODY (JSON).
local targets = {}
for line in io.lines(os.getenv("BENCH_TARGETS")) do
  local value, path = line:match("^([^\t]+)\t(.+)$")
  if value then targets[#targets + 1] = { value, path } end
end
assert(#targets > 0, "no targets in " .. os.getenv("BENCH_TARGETS"))
local header = os.getenv("BENCH_HEADER") or "authorization"
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")

init = function()
  -- Each wrk thread draws its own sequence.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
end

request = function()
  local target = targets[math.random(#targets)]
  local headers = { [header] = target[1] }
  if body then headers["content-type"] = "application/json" end
  return wrk.format(method, target[2], headers, body)
end
