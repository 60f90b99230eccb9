#!/usr/bin/env bash
# The installed tree holds lib*/libkmm-malloc.so, and a program runs on it.
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
lib=$(ls "$prefix"/lib*/libkmm-malloc.so)
out=$(LD_PRELOAD=$lib sh -c 'echo installed')
[ "$out" = installed ]
echo "${lib#$prefix/}: runs sh"
