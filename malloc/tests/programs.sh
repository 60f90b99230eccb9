#!/usr/bin/env bash
# A real program run twice, with the C library's malloc and with kmm's
# preloaded, must give the same output; kmm must report nothing.
#   programs.sh LIB SRC_DIR BIN_DIR PROGRAM [KMM_CMDLINE]
# PROGRAM: python | git | gcc | sort | cxx. The optional boot parameters
# (e.g. slub_debug=FZPU) apply to the preloaded run.
set -euo pipefail
lib=$1 src=$2 bin=$3 prog=$4 cmdline=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case $prog in
python)
	cat > "$work/script.py" <<'PY'
import collections, json, re, random
random.seed(7)
words = ["".join(random.choice("abcdefgh") for _ in range(random.randint(1, 9))) for _ in range(40000)]
counts = collections.Counter(words)
doc = {"top": counts.most_common(20), "lengths": sorted({len(w) for w in words})}
text = json.dumps(doc, sort_keys=True)
print(len(text), sum(len(m) for m in re.findall(r"[a-d]+", " ".join(words))))
print(json.loads(text)["top"][:5])
class Node:
    def __init__(self, v, kids): self.v, self.kids = v, kids
def tree(d): return Node(d, [tree(d - 1) for _ in range(3)] if d else [])
def total(n): return n.v + sum(total(k) for k in n.kids)
print(total(tree(8)))
PY
	cmd=("${PYTHON:-python3}" "$work/script.py")
	;;
git)
	cmd=(git -C "$src" --no-pager log --stat --format='%H %an %s' -n 200)
	;;
gcc)
	# The same object twice: compared as files, not as output.
	cmd=(sh -c 'gcc -O2 -g -c "$1" -I"$2/include" -I"$2/src" -D_GNU_SOURCE -o "$3/out.o" && cat "$3/out.o"'
	     sh "$src/src/lib/cmdline.c" "$src" "$work")
	;;
sort)
	awk 'BEGIN { s = 1; for (i = 0; i < 600000; i++) { s = (s * 1103515245 + 12345) % 2147483648; printf "%d %x line %d\n", s % 1000, s, i } }' \
		> "$work/input"
	cmd=(sort -k1,1n -k2 "$work/input")
	;;
cxx)
	cmd=("$bin/cxx_test")
	;;
*)
	echo "unknown program $prog"; exit 2 ;;
esac

"${cmd[@]}" > "$work/expected" 2> "$work/expected.err"
LD_PRELOAD=$lib KMM_CMDLINE=$cmdline "${cmd[@]}" > "$work/got" 2> "$work/got.err"
if ! cmp -s "$work/expected" "$work/got"; then
	echo "$prog: output differs with kmm's malloc (KMM_CMDLINE='$cmdline')"
	diff <(head -c 2000 "$work/expected") <(head -c 2000 "$work/got") | head -20
	exit 1
fi
if grep -qE '^(BUG|WARNING)|kmm' "$work/got.err"; then
	echo "$prog: kmm reported (KMM_CMDLINE='$cmdline'):"
	head -20 "$work/got.err"
	exit 1
fi
echo "$prog: $(wc -c < "$work/got") bytes of output identical (KMM_CMDLINE='$cmdline')"
