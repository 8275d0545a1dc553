/* glibc_tables.c - the lock layouts of the glibc releases pileup knows
 * without debug information: one table per release, read by glibc.c.
 *
 * A row is used only for the release its banner names ("stable release
 * version 2.36."), on x86_64.  Each says how its numbers were checked; a
 * release without a table needs libc6-dbg (or the distribution's debug
 * package) and is otherwise refused by name. */
#include "glibc.h"

#include <stddef.h>

const char *const glibc_struct_names[GL__STRUCTS] = {
	[GL_MUTEX] = "__pthread_mutex_s",
	[GL_RWLOCK] = "__pthread_rwlock_arch_t",
	[GL_COND] = "__pthread_cond_s",
	[GL_SEM] = "new_sem",
};

/* Names and sizes as glibc's headers spell them: bits/struct_mutex.h,
 * bits/struct_rwlock.h, bits/thread-shared-types.h (the condvar) and
 * nptl's internaltypes.h (struct new_sem, with 64-bit atomics). */
const struct glibc_field_name glibc_fields[GF__COUNT] = {
	[GF_MUTEX_LOCK] = {GL_MUTEX, "__lock", 4},
	[GF_MUTEX_COUNT] = {GL_MUTEX, "__count", 4},
	[GF_MUTEX_OWNER] = {GL_MUTEX, "__owner", 4},
	[GF_MUTEX_NUSERS] = {GL_MUTEX, "__nusers", 4},
	[GF_MUTEX_KIND] = {GL_MUTEX, "__kind", 4},
	[GF_RW_READERS] = {GL_RWLOCK, "__readers", 4},
	[GF_RW_WRITERS] = {GL_RWLOCK, "__writers", 4},
	[GF_RW_WRPHASE_FUTEX] = {GL_RWLOCK, "__wrphase_futex", 4},
	[GF_RW_WRITERS_FUTEX] = {GL_RWLOCK, "__writers_futex", 4},
	[GF_RW_PAD3] = {GL_RWLOCK, "__pad3", 4},
	[GF_RW_PAD4] = {GL_RWLOCK, "__pad4", 4},
	[GF_RW_CUR_WRITER] = {GL_RWLOCK, "__cur_writer", 4},
	[GF_RW_SHARED] = {GL_RWLOCK, "__shared", 4},
	[GF_RW_FLAGS] = {GL_RWLOCK, "__flags", 4},
	[GF_COND_WSEQ] = {GL_COND, "__wseq", 8},
	[GF_COND_G1_START] = {GL_COND, "__g1_start", 8},
	[GF_COND_G_REFS] = {GL_COND, "__g_refs", 8},
	[GF_COND_G_SIZE] = {GL_COND, "__g_size", 8},
	[GF_COND_G1_ORIG_SIZE] = {GL_COND, "__g1_orig_size", 4},
	[GF_COND_WREFS] = {GL_COND, "__wrefs", 4},
	[GF_COND_G_SIGNALS] = {GL_COND, "__g_signals", 8},
	[GF_SEM_DATA] = {GL_SEM, "data", 8},
	[GF_SEM_PRIVATE] = {GL_SEM, "private", 4},
};

/* glibc 2.36, Debian 12 (bookworm).  Checked: every size and offset read
 * from the DWARF of libc6-dbg 2.36-9+deb12u14 (struct __pthread_mutex_s,
 * __pthread_rwlock_arch_t, __pthread_cond_s, new_sem); tests/t_waitfor.sh
 * compares this table with that DWARF on every run (PILEUP_WAITS_DEBUG). */
static const struct glibc_release glibc_2_36 = {
	.version = "2.36",
	.checked = "libc6-dbg 2.36-9+deb12u14 DWARF (Debian 12); compared again by tests/t_waitfor.sh",
	.size = {[GL_MUTEX] = 40, [GL_RWLOCK] = 56, [GL_COND] = 48, [GL_SEM] = 16},
	.off = {
		[GF_MUTEX_LOCK] = 0, [GF_MUTEX_COUNT] = 4, [GF_MUTEX_OWNER] = 8, [GF_MUTEX_NUSERS] = 12,
		[GF_MUTEX_KIND] = 16,
		[GF_RW_READERS] = 0, [GF_RW_WRITERS] = 4, [GF_RW_WRPHASE_FUTEX] = 8, [GF_RW_WRITERS_FUTEX] = 12,
		[GF_RW_PAD3] = 16, [GF_RW_PAD4] = 20, [GF_RW_CUR_WRITER] = 24, [GF_RW_SHARED] = 28,
		[GF_RW_FLAGS] = 48,
		[GF_COND_WSEQ] = 0, [GF_COND_G1_START] = 8, [GF_COND_G_REFS] = 16, [GF_COND_G_SIZE] = 24,
		[GF_COND_G1_ORIG_SIZE] = 32, [GF_COND_WREFS] = 36, [GF_COND_G_SIGNALS] = 40,
		[GF_SEM_DATA] = 0, [GF_SEM_PRIVATE] = 8,
	},
};

const struct glibc_release *const glibc_releases[] = {&glibc_2_36};
const size_t glibc_nreleases = sizeof(glibc_releases) / sizeof(glibc_releases[0]);
