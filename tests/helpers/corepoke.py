#!/usr/bin/env python3
"""corepoke.py CORE ADDR SIZE VALUE

Writes VALUE (SIZE bytes, little-endian; ADDR and VALUE in any base
Python's int() reads with base 0, VALUE may be negative) at the virtual
address ADDR of an ELF core (x86_64), in place, for tests/t_waitfor_go.sh:
target memory the process could have forged.  Prints the value that was
there.  Exits 1 when no PT_LOAD segment of the file holds ADDR..ADDR+SIZE."""
import struct
import sys


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.splitlines()[0])
    core, addr, size, value = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0), int(sys.argv[4], 0)
    if size not in (1, 2, 4, 8):
        sys.exit("corepoke: SIZE is 1, 2, 4 or 8")
    with open(core, "r+b") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2:
            sys.exit("corepoke: not a 64-bit ELF file")
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack("<IIQQQQQQ", f.read(56))
            if p_type == 1 and vaddr <= addr and addr + size <= vaddr + filesz:
                f.seek(off + addr - vaddr)
                old = int.from_bytes(f.read(size), "little")
                f.seek(off + addr - vaddr)
                f.write((value % (1 << (8 * size))).to_bytes(size, "little"))
                print(hex(old))
                return
    print("corepoke: 0x%x is in no segment of %s" % (addr, core), file=sys.stderr)
    sys.exit(1)


main()
