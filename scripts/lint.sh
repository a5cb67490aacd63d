#!/usr/bin/env bash
# The tree against the checked-in .swift-format (swift format lint --strict: any finding fails), and the
# commit messages against the project's rule (scripts/check-commits.sh). `swift format format -i FILE…`
# fixes the layout findings.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive --parallel \
    Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Benchmarks Fuzz/Package.swift Fuzz/Sources
echo "swift format lint: clean" >&2
scripts/check-commits.sh
