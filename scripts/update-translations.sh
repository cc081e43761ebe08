#!/usr/bin/env bash
# Re-extracts the translatable strings into translations/messages.pot, merges them into the English
# catalogue (translations/en/LC_MESSAGES/messages.po) and compiles the .mo files.
# After running it, translate every empty msgstr in the .po file: tests/test_translations.py fails while
# one is missing or fuzzy. Works from any directory.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${VENV:-.venv}/bin/pybabel"
if [[ ! -x $PYBABEL ]]; then
  echo "pybabel not found at $PYBABEL: create the venv first (make test does)" >&2
  exit 1
fi

"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext \
  -o translations/messages.pot --no-location --sort-output \
  --project "Khen Thuong So" --ignore-dirs=".venv migrations tests" .
"$PYBABEL" update -i translations/messages.pot -d translations -l en \
  --no-fuzzy-matching --ignore-obsolete --init-missing
"$PYBABEL" compile -d translations --statistics
