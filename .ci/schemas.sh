#!/usr/bin/env bash
# An independent JSON Schema validator over the sample: check-jsonschema (PyPI, Python's
# jsonschema with ruamel.yaml) checks that every committed schema in docs/schema/ is a valid
# draft-7 schema, and validates every document of examples/contoso against its schema.
# adoptbot's own validator (the jsonschema crate) runs the same schemas in `validate`, and
# tests/validate_agreement.rs holds the two verdicts together; this is the third opinion.
#
# Usage: bash .ci/schemas.sh            (from anywhere; works from a fresh clone)
# Env:   CHECKOV_VENV  the virtualenv to install into (default: <repo>/.venv, as checkov.sh)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="${CHECKOV_VENV:-$repo/.venv}"

if [ ! -x "$venv/bin/check-jsonschema" ]; then
  echo "schemas.sh: installing check-jsonschema into $venv"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'check-jsonschema==0.*'
fi
cj="$venv/bin/check-jsonschema"
echo "schemas.sh: $("$cj" --version)"

"$cj" --check-metaschema docs/schema/*.schema.json

sample=examples/contoso
check() {
  local schema="$1"; shift
  local files=()
  for f in "$@"; do [ -f "$f" ] && files+=("$f"); done
  [ "${#files[@]}" -gt 0 ] || return 0
  "$cj" --schemafile "docs/schema/$schema" "${files[@]}"
  checked=$((checked + ${#files[@]}))
}
checked=0
check adoption.schema.json "$sample/adoption.yaml"
check shadow-inventory.schema.json "$sample/inventory/shadow-ai.yaml"
check scorecard.schema.json "$sample"/scorecards/*.yaml
check team.schema.json "$sample"/teams/*.yaml
check experiment.schema.json "$sample"/experiments/*.yaml
check use-case.schema.json "$sample"/use-cases/*.yaml
check slo.schema.json "$sample"/slos/*.yaml
check radar-entry.schema.json "$sample"/radar/*.yaml
check overrides.schema.json "$sample/phases/overrides.yaml"
check policies.schema.json phases/policies.yaml
check phase.schema.json phases/[1-6]-*.yaml
check blueprint.schema.json blueprints/*/blueprint.yaml
echo "schemas.sh: $checked documents valid against docs/schema/"
