# tap-failures.awk: from a node --test TAP file, one block per failed test (not the parents that
# failed only because a subtest did): its name, where it is, and the first lines of its error.
# Used by test.sh so the end of `npm test`'s output says what failed, not only how many.
function flush() {
  if (name != "" && type != "subtestsFailed") {
    printf "✗ %s%s\n", name, (where != "" ? " (" where ")" : "")
    for (i = 1; i <= n && i <= 6; i++) printf "    %s\n", lines[i]
  }
  name = ""; where = ""; type = ""; n = 0; inerror = 0
}
/^ *not ok [0-9]+ - / { flush(); sub(/^ *not ok [0-9]+ - /, ""); name = $0; next }
name == "" { next }
/^ *\.\.\.$/ { flush(); next }
/^ *location: / { where = $0; sub(/^ *location: '?/, "", where); sub(/'$/, "", where); inerror = 0; next }
/^ *failureType: / { type = $0; sub(/^ *failureType: '?/, "", type); sub(/'$/, "", type); inerror = 0; next }
/^ *error: \|-$/ { inerror = 1; match($0, /^ */); indent = RLENGTH; next }
/^ *error: / { line = $0; sub(/^ *error: '?/, "", line); sub(/'$/, "", line); lines[++n] = line; inerror = 0; next }
inerror && $0 != "" && match($0, /^ */) && RLENGTH <= indent { inerror = 0 }
inerror { line = $0; sub(/^ +/, "", line); if (line != "") lines[++n] = line; next }
END { flush() }
