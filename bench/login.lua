-- Sign in as one of the bench's users, each from an address of its own (the server trusts the
-- loopback proxy's X-Forwarded-For), as a ward does at shift change. Every request hashes a
-- password with Argon2id. BENCH_EMAILS is the accounts' address with %d for their number
-- (0 to BENCH_USERS - 1), BENCH_PASSWORD their shared password.
local users = tonumber(os.getenv("BENCH_USERS") or "64")
local emails = os.getenv("BENCH_EMAILS") or "user%d@bench.test"
local password = os.getenv("BENCH_PASSWORD") or "bench-user-passphrase"
local n = 0
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"

request = function()
  n = n + 1
  local i = n % users
  wrk.headers["x-forwarded-for"] = string.format("10.0.%d.%d", math.floor(i / 250), i % 250 + 1)
  wrk.body = string.format('{"email":"' .. emails .. '","password":"%s"}', i, password)
  return wrk.format()
end
