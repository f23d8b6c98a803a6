#!/usr/bin/env bash
# Open JupyterLab on the quickstart notebook (notebooks/00-quickstart.ipynb) and print its URL
# with the token. Run it after the virtualenv exists (python3 -m venv .venv &&
# .venv/bin/pip install -e '.[test]'); it builds and installs the lab extension first when
# JupyterLab does not list it (that needs Node.js 20+ and npm; scripts/build-labextension.sh).
#
#   scripts/lab.sh                  serve on 127.0.0.1 until Ctrl-C (opens a browser when one
#                                   is available); the kernel starts by itself on the notebook
#   scripts/lab.sh --port 8888      a fixed port (default: a free one)
#   scripts/lab.sh --no-browser     only print the URL
#   scripts/lab.sh --check          start, wait until /api/status answers, check that the
#                                   quickstart and the nbconnect extension are served, print
#                                   the URL, stop; exit 0 when all of that worked
#
# The token is random per run (or $NBCONNECT_LAB_TOKEN). The settings that skip JupyterLab's
# "Select Kernel" dialog and its news check go in a temporary app settings dir, so your own
# JupyterLab settings are untouched; --check also uses a temporary config, runtime and
# workspaces dir and leaves nothing behind.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$root/.venv/bin/python"
notebook="notebooks/00-quickstart.ipynb"
check=0 port="" browser=1
while (($#)); do
  case "$1" in
    --check) check=1; browser=0 ;;
    --no-browser) browser=0 ;;
    --port) port="${2:?lab: --port needs a number}"; shift ;;
    --port=*) port="${1#--port=}" ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lab: unknown option $1 (see scripts/lab.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -x "$py" ]] || {
  echo "lab: no virtualenv at $root/.venv; create it first:" >&2
  echo "  python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'" >&2
  exit 1
}
"$py" -c 'import jupyterlab, nbconnect' 2>/dev/null || {
  echo "lab: JupyterLab or nbconnect is missing from .venv; run .venv/bin/pip install -q -e '.[test]'" >&2
  exit 1
}

extension_listed() {
  "$py" -m jupyter labextension list 2>&1 | grep -Eq 'nbconnect v[^ ]+ .*enabled.*OK'
}
if ! extension_listed; then
  if [[ ! -f "$root/src/nbconnect/labextension/package.json" ]]; then
    echo "lab: building the nbconnect lab extension (once)..."
    "$root/scripts/build-labextension.sh"
  fi
  echo "lab: installing the lab extension into .venv..."
  "$py" -m pip install -q --no-deps -e "$root"
  extension_listed || {
    echo "lab: JupyterLab still does not list the nbconnect extension; see 'jupyter labextension list'" >&2
    exit 1
  }
fi

token="${NBCONNECT_LAB_TOKEN:-$("$py" -c 'import secrets; print(secrets.token_hex(24))')}"
if [[ -z "$port" ]]; then
  port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
[[ "$port" =~ ^[0-9]+$ ]] || { echo "lab: --port takes a number, not $port" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/nbconnect-lab.XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp/app-settings"
cat >"$tmp/app-settings/overrides.json" <<'JSON'
{
  "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": true},
  "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}
}
JSON

args=(--ServerApp.ip=127.0.0.1 "--ServerApp.port=$port" --ServerApp.port_retries=0
      "--IdentityProvider.token=$token" "--ServerApp.root_dir=$root"
      "--LabApp.app_settings_dir=$tmp/app-settings")
((browser)) || args+=(--no-browser)
if [[ "$(id -u)" == 0 ]]; then args+=(--allow-root); fi
if ((check)); then
  export JUPYTER_CONFIG_DIR="$tmp/config" JUPYTER_RUNTIME_DIR="$tmp/runtime"
  args+=("--LabApp.workspaces_dir=$tmp/workspaces" "--LabApp.user_settings_dir=$tmp/user-settings")
fi

base="http://127.0.0.1:$port"
url="$base/lab/tree/$notebook?token=$token"
log="$tmp/lab.log"
cd "$root"
# stdin from /dev/null: Ctrl-C stops the server at once instead of asking to confirm
if ((check)); then
  "$py" -m jupyterlab "${args[@]}" "$notebook" </dev/null >"$log" 2>&1 &
else
  "$py" -m jupyterlab "${args[@]}" "$notebook" </dev/null &
fi
pid=$!

# wait until the server answers /api/status (a loaded machine may need a while)
NBC_BASE="$base" NBC_TOKEN="$token" NBC_PID="$pid" NBC_CHECK="$check" NBC_NOTEBOOK="$notebook" \
  "$py" - <<'PY' || { status=$?; [[ -f "$log" ]] && tail -n 20 "$log" >&2; exit "$status"; }
import json, os, sys, time, urllib.error, urllib.request

base, token = os.environ["NBC_BASE"], os.environ["NBC_TOKEN"]

def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read()

deadline = time.monotonic() + 180
while True:
    try:
        os.kill(int(os.environ["NBC_PID"]), 0)
    except OSError:
        sys.exit("lab: JupyterLab stopped before it answered (see its log above)")
    try:
        status, body = get("/api/status")
        if status == 200 and "started" in json.loads(body):
            break
    except (OSError, ValueError):
        pass
    if time.monotonic() > deadline:
        sys.exit("lab: JupyterLab did not answer /api/status within 180 s")
    time.sleep(0.5)

if os.environ["NBC_CHECK"] == "1":
    nb = os.environ["NBC_NOTEBOOK"]
    status, body = get(f"/api/contents/{nb}?content=0")
    if status != 200 or json.loads(body).get("type") != "notebook":
        sys.exit(f"lab: the server does not serve {nb}")
    status, page = get(f"/lab/tree/{nb}")
    text = page.decode("utf-8", "replace")
    if status != 200 or '"name": "nbconnect"' not in text.replace('":"', '": "'):
        sys.exit("lab: the lab page does not load the nbconnect extension")
    print("lab: /api/status answered; the quickstart and the nbconnect extension are served")
PY

echo "JupyterLab is running on the quickstart:"
echo "  $url"
if ((check)); then
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  echo "lab: check passed (server stopped)"
  exit 0
fi
echo "(Ctrl-C stops it)"
wait "$pid"
