-- Books visits one after another, never the same slot twice: request k of thread t takes slot
-- number k * threads + t over every doctor (BENCH_DOCTORS, one id a line) and every 15-minute
-- slot of their days from BENCH_FIRST_DAY (epoch seconds, a UTC midnight), 08:00 to 20:00, for
-- a patient drawn from BENCH_PATIENTS, as the bearer of BENCH_TOKEN.
local function lines(name)
  local list = {}
  for line in io.lines(os.getenv(name)) do
    if line ~= "" then list[#list + 1] = line end
  end
  assert(#list > 0, "no lines in " .. os.getenv(name))
  return list
end
local doctors = lines("BENCH_DOCTORS")
local patients = lines("BENCH_PATIENTS")
local institution = os.getenv("BENCH_INSTITUTION")
local first_day = tonumber(os.getenv("BENCH_FIRST_DAY"))
local token = "Bearer " .. os.getenv("BENCH_TOKEN")
local per_day = 48
local counter = 0
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
-- A global: setup numbers the threads in the main state and sets it in each thread's own.
thread_number = 0

setup = function(thread)
  thread:set("thread_number", thread_number)
  thread_number = thread_number + 1
end

request = function()
  local k = counter * threads + thread_number
  counter = counter + 1
  local doctor = doctors[(k % #doctors) + 1]
  local slot = math.floor(k / #doctors)
  local day = math.floor(slot / per_day)
  local at = first_day + day * 86400 + 8 * 3600 + (slot % per_day) * 900
  local body = string.format(
    '{"doctor_id":"%s","patient_id":"%s","institution_id":"%s","start":"%s"}',
    doctor, patients[math.random(#patients)], institution, os.date("!%Y-%m-%dT%H:%M:%SZ", at))
  return wrk.format("POST", nil, { authorization = token, ["content-type"] = "application/json" }, body)
end
