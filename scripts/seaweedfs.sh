#!/usr/bin/env bash
# Starts a SeaweedFS S3 server on 127.0.0.1 with free ports and its own data dir.
# Usage: source scripts/seaweedfs.sh VENV_DIR   (exports KHO_TEST_S3_* and defines seaweedfs_stop)
set -euo pipefail
venv="$1"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
SW_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kho-seaweedfs.XXXXXX")
s3_port=$(free_port)
access_key="khotest"
secret_key="khotestsecret$(date +%s)"
cat > "$SW_DIR/s3.json" <<JSON
{"identities":[{"name":"kho-test","credentials":[{"accessKey":"$access_key","secretKey":"$secret_key"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
ports=()
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do ports+=("$(free_port)"); done
"$venv/bin/weed" mini -dir="$SW_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="${ports[0]}" -master.port.grpc="${ports[1]}" \
  -volume.port="${ports[2]}" -volume.port.grpc="${ports[3]}" \
  -filer.port="${ports[4]}" -filer.port.grpc="${ports[5]}" \
  -admin.port="${ports[6]}" -admin.port.grpc="${ports[7]}" -admin.ui=false \
  -webdav=false -webdav.port="${ports[8]}" -debug.port="${ports[9]}" \
  -master.telemetry=false \
  -s3.port="$s3_port" -s3.config="$SW_DIR/s3.json" -bucket=kho-test \
  >"$SW_DIR/weed.log" 2>&1 &
SW_PID=$!
seaweedfs_stop() {
  kill "$SW_PID" 2>/dev/null || true
  wait "$SW_PID" 2>/dev/null || true
  rm -rf "$SW_DIR"
}
ok=""
for _ in $(seq 1 120); do
  if ! kill -0 "$SW_PID" 2>/dev/null; then break; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$s3_port/kho-test" || true)
  if [ "$code" = "200" ] || [ "$code" = "403" ]; then ok=1; break; fi
  sleep 0.5
done
if [ -z "$ok" ]; then
  echo "SeaweedFS did not become ready; its log:" >&2
  tail -n 40 "$SW_DIR/weed.log" >&2 || true
  seaweedfs_stop
  return 1 2>/dev/null || exit 1
fi
export KHO_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
export KHO_TEST_S3_BUCKET="kho-test"
export KHO_TEST_S3_ACCESS_KEY="$access_key"
export KHO_TEST_S3_SECRET_KEY="$secret_key"
echo "SeaweedFS S3 ready at $KHO_TEST_S3_ENDPOINT (bucket $KHO_TEST_S3_BUCKET)"
