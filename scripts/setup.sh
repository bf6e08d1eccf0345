#!/usr/bin/env bash
# One-shot set-up on a fresh Debian/Ubuntu machine: system library for Dr.Jit's LLVM
# back end, then .venv/ with the project and its pinned dependencies. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

have_llvm() {  # any libLLVM >= 16 that Dr.Jit can load
  local f
  for f in /usr/lib/*-linux-gnu/libLLVM.so.{1[6-9],[2-9][0-9]}* /usr/lib/*-linux-gnu/libLLVM-{1[6-9],[2-9][0-9]}.so* \
           /usr/lib/llvm-{1[6-9],[2-9][0-9]}/lib/libLLVM*.so*; do
    [ -f "$f" ] && return 0
  done
  return 1
}
if ! have_llvm; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "setup: installing libllvm19 (Dr.Jit's LLVM back end needs libLLVM >= 16)"
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libllvm19 >/dev/null \
      || echo "setup: could not install libllvm19 with apt; install libLLVM >= 16 and set DRJIT_LIBLLVM_PATH" >&2
  else
    echo "setup: apt-get is unavailable; install libLLVM >= 16 yourself and set DRJIT_LIBLLVM_PATH to it" >&2
  fi
fi

stamp=.venv/.dgan-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log=.venv/pip-install.log
  echo "setup: installing the project and its pinned dependencies into .venv (log: $log)"
  if ! { .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"; } >"$log" 2>&1; then
    grep -v "is ignored" "$log" | tail -20
    echo "setup: pip install failed; see $log" >&2
    exit 1
  fi
  .venv/bin/python -c "import bpy, mitsuba, torch, dgan_blender"  # fail loudly if the install did not take
  echo "$want" > "$stamp"
else
  # source changes need no reinstall (editable), only a fresh entry point check
  [ -x .venv/bin/dgan ] || .venv/bin/python -m pip install -q --no-deps -e .
fi
