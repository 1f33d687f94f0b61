#!/usr/bin/env bash
# Builds every guest program under SRC into OUT with GNU binutils.
#   NAME.S            -> NAME.elf (linked with NAME.ld if present, else at 0x100000) and NAME.bin (flat)
# A guest source starts with a line "# hvsim-guest: load=ADDR entry=ADDR" only when it is flat-loaded
# somewhere else than its link address; see guests/DESIGN.md.
set -euo pipefail
src=$1 out=$2
mkdir -p "$out"
for tool in as ld objcopy; do
  command -v "$tool" >/dev/null || { echo "hvsim guests: GNU binutils '$tool' not found (install binutils)" >&2; exit 1; }
done
shopt -s nullglob
for s in "$src"/*.S; do
  name=$(basename "$s" .S)
  obj="$out/$name.o"
  as --64 -o "$obj" "$s"
  if [ -f "$src/$name.ld" ]; then
    ld -m elf_x86_64 -nostdlib -T "$src/$name.ld" -o "$out/$name.elf" "$obj"
  else
    ld -m elf_x86_64 -nostdlib -Ttext=0x100000 -e _start -o "$out/$name.elf" "$obj"
  fi
  objcopy -O binary "$out/$name.elf" "$out/$name.bin"
  rm -f "$obj"
done
