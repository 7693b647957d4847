#!/usr/bin/env sh
# Makes the secrets compose.yaml reads, once, in deploy/secrets/: random values from
# /dev/urandom, none of which is printed but the administrator's password. The folder is the
# owner's alone (0700); the files in it are readable (0644) because Compose mounts each into its
# container as it is, where the servers run as their own user.
set -eu
cd "$(dirname "$0")"
mkdir -p secrets
chmod 700 secrets
random() { head -c 64 /dev/urandom | base64 | tr -d '\n/+=' | head -c "$1"; }
put() {
  if [ ! -e "secrets/$1" ]; then printf '%s' "$2" > "secrets/$1"; fi
  chmod 644 "secrets/$1"
}
put postgres_password "$(random 40)"
put database_url "postgres://medvault:$(cat secrets/postgres_password)@postgres:5432/medvault"
put medvault_secret "$(random 64)"
put file_keys "k1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
put metrics_token "$(random 40)"
put admin_password "$(random 20)"
echo "Secrets are in deploy/secrets/. The administrator's password: $(cat secrets/admin_password)"
