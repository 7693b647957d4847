-- POST one small clinical note per request.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"title":"Load test note","notes":"Blood pressure 120/80. No complaints. Review in a year."}'
