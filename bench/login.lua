-- Sign in as the bench patient; every request hashes a password with Argon2id.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"email":"patient@bench.test","password":"bench-user-passphrase"}'
