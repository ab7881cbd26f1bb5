# Sourced by scripts/test-all.sh and scripts/test-deep.sh: stages that always run, and a summary that
# decides the exit status at the end.
declare -a names=() results=() times=()

# stage NAME COMMAND...: runs the command, records ok/FAILED and its duration.
stage() {
  local name=$1
  shift
  local start=$SECONDS
  echo "=== $name"
  if "$@"; then results+=("ok"); else results+=("FAILED"); fi
  names+=("$name")
  times+=("$((SECONDS - start))")
}

# fail_stage NAME: records a failure found outside a command (e.g. a leftover process).
fail_stage() {
  names+=("$1")
  results+=("FAILED")
  times+=(0)
}

# Prints the table and exits 1 when any stage failed.
summarize() {
  echo
  echo "=== summary"
  local status=0 i
  for i in "${!names[@]}"; do
    printf '%-34s %-7s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
    [[ "${results[$i]}" == "ok" ]] || status=1
  done
  exit $status
}
