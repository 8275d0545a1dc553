/* The one memory interface of the unwinder engines (engine.h). */
#include "engine.h"

#include <gelf.h>
#include <string.h>

/* A module's read-only loaded segments are the same bytes as its file
 * (no relocation touches them in position-independent code): reading
 * .eh_frame or code from the file needs no system call on a live process
 * and works on a core, which does not hold them. */
static bool read_file_backed(struct unwind_mem *m, uint64_t addr, void *buf, size_t len)
{
	Dwfl_Module *mod = m->dwfl ? dwfl_addrmodule(m->dwfl, addr) : NULL;
	Dwarf_Addr bias;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
	size_t nph, size;
	if (!elf || elf_getphdrnum(elf, &nph) != 0)
		return false;
	const char *image = elf_rawfile(elf, &size);
	if (!image)
		return false;
	uint64_t va = addr - bias;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_W))
			continue;
		if (va < ph.p_vaddr || va - ph.p_vaddr + len > ph.p_filesz)
			continue;
		uint64_t off = ph.p_offset + (va - ph.p_vaddr);
		if (off > size || size - off < len)
			return false;
		memcpy(buf, image + off, len);
		return true;
	}
	return false;
}

bool unwind_mem_read(struct unwind_mem *m, uint64_t addr, void *buf, size_t len)
{
	struct mem_region *st = m->cur ? &m->cur->stack : NULL;
	if (st && addr >= st->addr) {
		/* Deeper than the copied top of the stack: read more of it, once. */
		if (st->more && addr - st->addr + len > st->len)
			snapshot_region_extend(m->snap, st, addr);
		if (st->data && st->len >= len && addr - st->addr <= st->len - len) {
			memcpy(buf, st->data + (addr - st->addr), len);
			return true;
		}
	}
	const struct snap_map *map = snapshot_find_map(m->snap, addr);
	if ((!map || map->perms[1] != 'w') && read_file_backed(m, addr, buf, len))
		return true;
	return snapshot_read(m->snap, addr, buf, len) == len;
}
