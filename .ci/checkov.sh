#!/usr/bin/env bash
# Scan every built-in blueprint with checkov, offline.
#
# Renders each blueprint in blueprints/ with its example_parameters, in both flavours (via the
# ignored test tests/render_checkov.rs), then runs checkov once per blueprint and flavour, with
# no `--skip-check`: the manifest's checkov_skips (each with a written reason) are in the
# rendered files as checkov's inline skip comments, so anyone's checkov run agrees with ours.
# Fails unless every scan has zero parsing errors and zero failed checks. Also lints the
# rendered cost cap runbook (adoptbot-cap.py) with ruff.
#
# Usage: bash .ci/checkov.sh            (from anywhere; works from a fresh clone)
# Env:   CHECKOV_VENV  where to keep the virtualenv (default: <repo>/.venv)
#        KEEP_RENDER=1 keep the rendered files and checkov reports (path printed at the end)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="${CHECKOV_VENV:-$repo/.venv}"

if [ ! -x "$venv/bin/checkov" ] || [ ! -x "$venv/bin/ruff" ]; then
  echo "checkov.sh: installing checkov 3 and ruff into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'checkov==3.*' 'ruff==0.*'
fi
echo "checkov.sh: $("$venv/bin/checkov" --version 2>/dev/null | tail -n1)"

out="$(mktemp -d "${TMPDIR:-/tmp}/adoptbot-checkov.XXXXXX")"
if [ "${KEEP_RENDER:-0}" != 1 ]; then
  trap 'rm -rf "$out"' EXIT
fi

echo "checkov.sh: rendering blueprints into $out"
ADOPTBOT_RENDER_OUT="$out/rendered" cargo test --quiet --test render_checkov -- \
  --ignored --exact write_rendered_blueprints

scans=0
bad=0
for dir in "$out"/rendered/*/; do
  bp="$(basename "$dir")"
  for flavour in bicep terraform; do
    [ -d "$dir/$flavour" ] || continue
    args=(-d "$dir/$flavour" --framework bicep terraform --skip-download --compact --quiet
      --output json)
    report="$out/$bp-$flavour.json"
    # checkov exits 1 when a check fails; the report is judged below.
    "$venv/bin/checkov" "${args[@]}" >"$report" 2>"$out/$bp-$flavour.log" || true
    scans=$((scans + 1))
    if ! "$venv/bin/python" - "$report" "$bp" "$flavour" <<'PY'
import json, sys

path, bp, flavour = sys.argv[1:4]
try:
    with open(path) as f:
        data = json.load(f)
except (OSError, ValueError) as e:
    print(f"checkov.sh: {bp} {flavour}: no JSON report ({e})")
    sys.exit(1)
reports = data if isinstance(data, list) else [data]
passed = failed = parsing = resources = skipped = 0
failures = []
for r in reports:
    s = r.get("summary", r)
    passed += s.get("passed", 0)
    failed += s.get("failed", 0)
    parsing += s.get("parsing_errors", 0)
    resources += s.get("resource_count", 0)
    skipped += s.get("skipped", 0)
    for c in r.get("results", {}).get("failed_checks", []):
        failures.append(f"    FAILED {c['check_id']} {c['resource']}: {c['check_name']} ({c.get('file_path', '')})")
    for p in r.get("results", {}).get("parsing_errors", []) or []:
        failures.append(f"    PARSING ERROR {p}")
print(f"checkov.sh: {bp} {flavour}: passed {passed}, failed {failed}, skipped inline {skipped}, "
      f"parsing errors {parsing}, resources {resources}")
for line in failures:
    print(line)
ok = failed == 0 and parsing == 0 and resources > 0 and passed > 0
sys.exit(0 if ok else 1)
PY
    then
      bad=$((bad + 1))
      sed 's/^/    checkov: /' "$out/$bp-$flavour.log" | tail -n 20 || true
    fi
  done
done

# The cost cap runbook, as rendered, lints clean (Python 3.8, the Automation runtime's floor).
runbooks=("$out"/rendered/*/*/adoptbot-cap.py)
# (The line length allows the generated header with its two sha256 fingerprints.)
if ! "$venv/bin/ruff" check --isolated --line-length 180 --select E,F,W,B,UP,I \
  --target-version py38 "${runbooks[@]}"; then
  echo "checkov.sh: ruff found problems in the rendered runbook" >&2
  bad=$((bad + 1))
fi

if [ "${KEEP_RENDER:-0}" = 1 ]; then
  echo "checkov.sh: rendered files and reports kept in $out"
fi
if [ "$scans" -eq 0 ]; then
  echo "checkov.sh: nothing was rendered" >&2
  exit 1
fi
if [ "$bad" -ne 0 ]; then
  echo "checkov.sh: $bad of $scans scans failed" >&2
  exit 1
fi
echo "checkov.sh: all $scans scans clean"
