# Sourced by the bench scripts (needs PYTHON and ROOT). `pinned_install PKG...` installs each
# package at the version scripts/requirements.txt pins, unless that version is already installed.
pinned_install() {
  local pkg line
  for pkg in "$@"; do
    line="$(grep -iE "^${pkg}==" "$ROOT/scripts/requirements.txt")" \
      || { printf 'scripts/requirements.txt pins no %s\n' "$pkg" >&2; return 2; }
    if [[ "$("$PYTHON" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$pkg" 2>/dev/null)" != "${line#*==}" ]]; then
      printf 'installing %s\n' "$line" >&2
      "$PYTHON" -m pip install -q "$line" >&2
    fi
  done
}
