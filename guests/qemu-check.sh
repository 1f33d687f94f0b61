#!/usr/bin/env bash
# Developer tool, not used by the build or the tests: runs every built guest on QEMU
# (qemu-system-x86_64, TCG) and compares its end with the expected one (guests/DESIGN.md).
# FAIL lines listed in qemu-known-deviations.txt (QEMU deviations from the SDM, each explained
# there) are reported as KNOWN and do not count.
#   usage: guests/qemu-check.sh [GUEST_DIR [QEMU_EXTRA_ARGS...]]
#   GUEST_DIR defaults to guests/target/classes/dev/hvsim/guests (mvn -pl guests package).
#   Example with all optional features: guests/qemu-check.sh "" -cpu max -m 5G
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-}
[ -n "$dir" ] || dir="$here/target/classes/dev/hvsim/guests"
shift || true
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-check: qemu-system-x86_64 not found" >&2; exit 1; }
[ -f "$dir/index.txt" ] || { echo "qemu-check: no $dir/index.txt (build the guests first)" >&2; exit 1; }
known="$here/qemu-known-deviations.txt"
bad=0
while read -r g; do
  out=$(timeout 120 qemu-system-x86_64 -kernel "$dir/$g.elf" -display none -serial stdio \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot "$@" </dev/null 2>&1) && st=0 || st=$?
  want=1
  [ "$g" = triplefault ] && want=0          # QEMU -no-reboot exits 0 on shutdown
  unknown=0
  while IFS= read -r line; do
    case "$line" in
      FAIL*)
        if grep -qxF -- "${line%% got*}" <(sed -e 's/^ *//' -e '/^#/d' -e '/^$/d' "$known"); then
          echo "  KNOWN $g: $line"
        else
          echo "  $g: $line"; unknown=$((unknown + 1))
        fi ;;
    esac
  done <<< "$out"
  # Exit status (v<<1)|1 with v = number of FAIL lines; accept it when every FAIL is known.
  nfail=$(grep -c '^FAIL' <<< "$out" || true)
  if [ "$g" != triplefault ] && [ "$unknown" -eq 0 ] && [ "$st" -eq $(( (nfail << 1) | 1 )) ]; then st=1; fi
  if [ "$st" -eq "$want" ] && [ "$unknown" -eq 0 ]; then
    echo "ok   $g (status $st$( [ "$nfail" -gt 0 ] && echo ", $nfail known QEMU deviation(s)"))"
  else
    echo "BAD  $g (status $st, want $want, $unknown unexplained FAIL line(s))"; bad=$((bad + 1))
  fi
done < "$dir/index.txt"
exit $(( bad > 0 ))
