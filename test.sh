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
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)

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

# PostGIS for the installed PostgreSQL major version (Debian names it postgresql-<major>-postgis-3): the sensing
# module's geo-queries run in it where the store is PostgreSQL, and its tests compare it with the in-memory path.
pg_major=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [ ! -f "/usr/share/postgresql/$pg_major/extension/postgis.control" ]; then
  echo "test.sh: installing postgresql-$pg_major-postgis-3"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: PostGIS missing and not root: install it (apt-get install -y postgresql-$pg_major-postgis-3) and run again" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  [ ${#missing[@]} -gt 0 ] || apt-get update -qq
  apt-get install -y -qq --no-install-recommends "postgresql-$pg_major-postgis-3" >/dev/null
fi

# The tests start PostgreSQL as the 'postgres' user (it refuses root); the package creates that user.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "test.sh: $(nproc) cores, $(free -g 2>/dev/null | awk '/Mem:/ {print $2 " GiB"}'), $(/usr/bin/chromium --version 2>/dev/null), LANG=${LANG:-unset}, TZ=${TZ:-unset}"
dotnet build CityBrain.slnx -c Release -warnaserror --nologo -v quiet
# The end of the output is what a CI log shows first: list each failed test with its message there.
results=TestResults
# The browser tests' screenshots (the closed loop step by step, phone and wall screen) are kept with the reports.
screenshots=tests/CityBrain.EndToEnd.Tests/bin/Release/net10.0/TestResults/screenshots
rm -rf "$results" "$screenshots"
status=0
mkdir -p "$results"
dotnet test --solution CityBrain.slnx -c Release --no-build --results-directory "$results" --report-xunit-markdown 2>&1 | tee "$results/output.log" || status=$?
if [ -d "$screenshots" ]; then mkdir -p "$results" && cp -r "$screenshots" "$results/"; echo "test.sh: screenshots in $results/screenshots/"; fi
if [ "$status" -ne 0 ]; then
  echo "test.sh: failed tests (reports in $results/):"
  grep -A 8 -E '^failed ' "$results/output.log" | head -c 20000 || true
fi
exit "$status"
