# Shared set-up of the end-to-end tests.  `load helpers` in every .bats file.
#
# PVMMAP   the binary under test (tests/run sets it; default: ./pvmmap)
# FIXTURES the directory of the fixture programs (build/fixtures)
# TOP      the project's top directory

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${PVMMAP:=$TOP/pvmmap}"
: "${FIXTURES:=$TOP/build/fixtures}"
export PVMMAP FIXTURES TOP

bats_load_library bats-support
bats_load_library bats-assert

pvmmap() { "$PVMMAP" "$@"; }
