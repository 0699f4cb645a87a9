#!/usr/bin/env bash
# Installs what the tests need when it is missing (Debian packages), then runs every test.
# CI runs this on a fresh machine that has only the .NET SDK: see .ci/run.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
# Without a CJK font the browser tests' screenshots show Chinese text as boxes.
fc-list :lang=zh 2>/dev/null | grep -q . || [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: ${missing[*]} missing and not root: install them (apt-get install -y ${missing[*]}) and run again" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The tests run their own throwaway PostgreSQL cluster; the package's service is not needed.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The tests start PostgreSQL as the 'postgres' user (it refuses root); the package creates that user.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build CityBrain.slnx -c Release -warnaserror --nologo -v quiet
dotnet test --solution CityBrain.slnx -c Release --no-build
