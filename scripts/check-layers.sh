#!/usr/bin/env bash
# Fails when the folders under src/ include each other in a cycle (docs/architecture.md, sections 1 and 5).
#
# An edge "a b" means a file under src/a/ has `#include "b/..."`. The edges are printed as a table, then
# given to tsort(1), which orders them and names the folders of a loop when there is one.
# Usage: scripts/check-layers.sh [src-dir]   (default: src/ next to this script). Exit 1 on a cycle.
set -euo pipefail

src="${1:-$(cd "$(dirname "$0")/.." && pwd)/src}"

# Edges that may close a cycle for now, one "from to" pair a line. Keep this list empty: every line here
# is known debt with an owner.
allowed_edges=()

edges() {
  local dir folder
  for dir in "$src"/*/; do
    folder=$(basename "$dir")
    grep -rhoE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' "$dir" |
      sed -E 's/.*"([a-z_]+)\//\1/' | sort -u | grep -vx "$folder" | sed "s/^/$folder /" || true
  done
}

all_edges=$(edges)
checked_edges="$all_edges"
for edge in "${allowed_edges[@]}"; do
  if ! grep -qx "$edge" <<<"$all_edges"; then
    echo "check-layers: allowed edge \"$edge\" no longer exists: delete it from $0" >&2
    exit 1
  fi
  checked_edges=$(grep -vx "$edge" <<<"$checked_edges" || true)
done

echo "folder-level includes of $src:"
for dir in "$src"/*/; do
  folder=$(basename "$dir")
  printf '  %-11s %s\n' "$folder:" "$(awk -v f="$folder" '$1 == f { printf "%s ", $2 }' <<<"$all_edges")"
done
for edge in "${allowed_edges[@]}"; do
  echo "  allowed for now: ${edge/ / -> }"
done

# tsort reports each loop it breaks as a header line followed by one "tsort: folder" line per member.
if ! loops=$(tsort <<<"$checked_edges" 2>&1 >/dev/null) || [[ -n "$loops" ]]; then
  echo "check-layers: FAILED, folders include each other in a cycle:" >&2
  awk '/contains a loop/ { if (cycle != "") print "  " cycle " -> " first; cycle = ""; next }
       { sub(/^tsort: /, ""); if (cycle == "") { first = $0; cycle = $0 } else cycle = cycle " -> " $0 }
       END { if (cycle != "") print "  " cycle " -> " first }' <<<"$loops" >&2
  echo "Break it by moving the shared part down a layer (docs/architecture.md, section 5)." >&2
  exit 1
fi
echo "check-layers: OK, no include cycle between folders"
