#!/usr/bin/env bash
# Builds every guest program under SRC into OUT with GNU binutils (see guests/DESIGN.md).
#   SRC/NAME.S -> OUT/NAME.elf  ELF32 (EM_386) multiboot image, linked at 0x100000 with SRC/NAME.ld if
#                               present, else SRC/include/guest.ld
#                 OUT/NAME.bin  flat image of the loaded sections (file offset 0 = link address 0x100000)
#   OUT/index.txt               one guest name per line, sorted
#   SRC/../c/NAME.c + NAME.S -> a C guest (gcc -m64 -ffreestanding ...), linked at 4 MiB with c-guest.ld
# Sources are plain GNU as (no C preprocessor); shared macros and runtime code come from SRC/include
# via .include. Code is assembled with --64 (so .code16/.code32/.code64 may be mixed), linked as
# elf_x86_64 and wrapped as ELF32 with objcopy, because multiboot loaders (QEMU -kernel) refuse ELF64.
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: build-guests.sh SRC OUT" >&2; exit 2; fi
src=$1 out=$2
for tool in as ld objcopy; do
  command -v "$tool" >/dev/null || { echo "hvsim guests: GNU binutils '$tool' not found (install binutils)" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shopt -s nullglob
names=()
for s in "$src"/*.S; do
  name=$(basename "$s" .S)
  script="$src/include/guest.ld"
  [ -f "$src/$name.ld" ] && script="$src/$name.ld"
  as --64 --fatal-warnings -I "$src" -I "$src/include" -o "$tmp/$name.o" "$s"
  ld -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
     -T "$script" -o "$tmp/$name.elf64" "$tmp/$name.o"
  objcopy -I elf64-x86-64 -O elf32-i386 "$tmp/$name.elf64" "$out/$name.elf"
  objcopy -O binary "$tmp/$name.elf64" "$out/$name.bin"
  names+=("$name")
done
# C guests: SRC/../c/NAME.c with its start-up code SRC/../c/NAME.S, linked at 4 MiB with c-guest.ld.
csrc=$(dirname "$src")/c
for c in "$csrc"/*.c; do
  name=$(basename "$c" .c)
  command -v gcc >/dev/null || { echo "hvsim guests: gcc not found (needed for the C guest $name.c)" >&2; exit 1; }
  gcc -m64 -ffreestanding -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -fno-pic -fno-pie -fno-stack-protector \
      -fno-asynchronous-unwind-tables -fno-builtin -O2 -Wall -Werror -c -o "$tmp/$name.c.o" "$c"
  as --64 --fatal-warnings -I "$src" -I "$src/include" -o "$tmp/$name.o" "$csrc/$name.S"
  ld -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
     -T "$csrc/c-guest.ld" -o "$tmp/$name.elf64" "$tmp/$name.o" "$tmp/$name.c.o"
  objcopy -I elf64-x86-64 -O elf32-i386 "$tmp/$name.elf64" "$out/$name.elf"
  objcopy -O binary "$tmp/$name.elf64" "$out/$name.bin"
  names+=("$name")
done
if [ ${#names[@]} -eq 0 ]; then echo "hvsim guests: no guest sources (*.S) in $src" >&2; exit 1; fi
printf '%s\n' "${names[@]}" | LC_ALL=C sort > "$out/index.txt"
