#!/usr/bin/env python3
"""corrupt_heap.py CORE MHEAP OFF_HEAPARENAS OFF_ARENAS OFF_HASPANS WHAT OFF SIZE VALUE

Rewrites Go heap metadata in an ELF core (x86_64, little-endian), in
place, for tests/t_leaks.sh: the offsets are the ones pileup's layout dump
prints.  WHAT is "arenas" (the word at mheap + OFF: a field of mheap_) or
"span" (a field at OFF of the mspan of the first used page of the first
arena).  Prints the address written."""
import struct
import sys


def segments(f):
    f.seek(0)
    eh = f.read(64)
    if eh[:4] != b"\x7fELF" or eh[4] != 2:
        sys.exit("not a 64-bit ELF core")
    phoff, = struct.unpack_from("<Q", eh, 32)
    phentsize, phnum = struct.unpack_from("<HH", eh, 54)
    segs = []
    for i in range(phnum):
        f.seek(phoff + i * phentsize)
        p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack("<IIQQQQQQ", f.read(56))
        if p_type == 1 and filesz:
            segs.append((vaddr, filesz, off))
    return segs


def where(segs, addr, n):
    for vaddr, filesz, off in segs:
        if vaddr <= addr and addr + n <= vaddr + filesz:
            return off + (addr - vaddr)
    sys.exit("0x%x is not in the core" % addr)


def main():
    core, mheap, o_ha, o_ar, o_sp, what, off, size, value = sys.argv[1:10]
    mheap, o_ha, o_ar, o_sp, off, size, value = (int(x, 0) for x in (mheap, o_ha, o_ar, o_sp, off, size, value))
    with open(core, "r+b") as f:
        segs = segments(f)

        def u64(addr):
            f.seek(where(segs, addr, 8))
            return struct.unpack("<Q", f.read(8))[0]

        if what == "arenas":
            at = mheap + off
        else:
            ids = u64(mheap + o_ha)
            l2 = u64(mheap + o_ar)
            ha = u64(l2 + 8 * u64(ids))
            span = 0
            for page in range(8192):
                span = u64(ha + o_sp + 8 * page)
                if span:
                    break
            if not span:
                sys.exit("no span")
            at = span + off
        f.seek(where(segs, at, size))
        f.write(value.to_bytes(size, "little"))
        print("0x%x" % at)


main()
