# Sourced by scripts/run, scripts/test and scripts/lock: finds Python 3.10 and
# makes .venv match requirements.lock. Re-installs only when the lock changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PIP_VERSION="24.0"

export RASA_TELEMETRY_ENABLED=false        # no calls home, there is no internet
export TF_CPP_MIN_LOG_LEVEL=2              # TensorFlow start-up chatter
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

is_python310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python310() {
  local candidate
  for candidate in "${PYTHON:-}" python3.10 "$HOME/.pyenv/versions/3.10.13/bin/python" \
      "$HOME"/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && is_python310 "$candidate"; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1 && PYENV_VERSION=3.10.13 pyenv exec python -c '' 2>/dev/null; then
    PYENV_VERSION=3.10.13 pyenv which python; return 0
  fi
  return 1
}

ensure_venv() {
  local lock="$ROOT/requirements.lock" stamp="$VENV/.lock.sha256" want python
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && is_python310 "$VENV/bin/python" \
      && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if ! python="$(find_python310)"; then
    echo "error: Python 3.10 is required (Rasa 3.6 runs on 3.8-3.10) and none was found." >&2
    echo "       Install it (e.g. 'pyenv install 3.10.13') or set PYTHON=/path/to/python3.10." >&2
    exit 1
  fi
  echo "==> Installing dependencies from requirements.lock into .venv (Python: $python)"
  if [ ! -x "$VENV/bin/python" ] || ! is_python310 "$VENV/bin/python"; then
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pip==$PIP_VERSION"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
  echo "$want" > "$stamp"
}

# Debian packages the tests use: Chromium for the browser tests (Playwright
# never downloads one), PostgreSQL and Redis for the two-replica test (it
# starts private instances of them; see tests/services.py).
ensure_debian_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing Debian packages for the tests: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: the tests need these Debian packages: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}
