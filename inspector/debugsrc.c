#include "debugsrc.h"
#include "error.h"
#include "proc.h"

#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One module, as looked up once: the names its line tables give (sorted,
 * each once), or why it cannot vouch for any. */
struct modsrc {
	char *module, *build_id;
	char *why;
	char **names;
	size_t n;
};

struct debugsrc {
	struct modsrc *v;
	size_t n, cap;
};

struct debugsrc *debugsrc_create(void)
{
	return xcalloc(1, sizeof(struct debugsrc));
}

void debugsrc_destroy(struct debugsrc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct modsrc *m = &d->v[i];
		for (size_t k = 0; k < m->n; k++)
			free(m->names[k]);
		free(m->names);
		free(m->module);
		free(m->build_id);
		free(m->why);
	}
	free(d->v);
	free(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void hex(const unsigned char *b, int n, char *out, size_t size)
{
	size_t k = 0;
	for (int i = 0; i < n && k + 3 <= size; i++, k += 2)
		snprintf(out + k, 3, "%02x", b[i]);
	out[k < size ? k : size - 1] = 0;
}

/* Every file name the line tables of the module's compile units give. */
static void read_names(struct modsrc *m, Dwarf *dw)
{
	size_t cap = 0;
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t type;
	while (dwarf_get_units(dw, cu, &cu, NULL, &type, &cudie, NULL) == 0) {
		Dwarf_Files *files;
		size_t nf;
		if (dwarf_getsrcfiles(&cudie, &files, &nf) != 0)
			continue;
		for (size_t i = 0; i < nf; i++) {
			const char *s = dwarf_filesrc(files, i, NULL, NULL);
			if (!s || !*s)
				continue;
			xgrow(&m->names, &cap, m->n + 1, sizeof(*m->names));
			m->names[m->n++] = xstrdup(s);
		}
	}
	qsort(m->names, m->n, sizeof(*m->names), cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (k && !strcmp(m->names[i], m->names[k - 1]))
			free(m->names[i]);
		else
			m->names[k++] = m->names[i];
	}
	m->n = k;
}

static void load(struct modsrc *m)
{
	if (!m->build_id) {
		m->why = xasprintf("the report gives no build-id for %s to check it against", m->module);
		return;
	}
	/* A regular file only: the path comes from the report. */
	int fd = file_open_regular(m->module);
	if (fd < 0) {
		m->why = xasprintf("%s is not here", m->module);
		return;
	}
	static const Dwfl_Callbacks cbs = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	Dwfl *dwfl = dwfl_begin(&cbs);
	if (!dwfl) {
		close(fd);
		m->why = xasprintf("libdwfl: %s", dwfl_errmsg(-1));
		return;
	}
	dwfl_report_begin(dwfl);
	Dwfl_Module *mod = dwfl_report_offline(dwfl, m->module, m->module, fd);
	dwfl_report_end(dwfl, NULL, NULL);
	if (!mod) {
		close(fd); /* consumed only on success */
		m->why = xasprintf("%s here is not an ELF file", m->module);
		dwfl_end(dwfl);
		return;
	}
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	char bid[2 * 64 + 1];
	hex(bits, len > 0 && len <= 64 ? len : 0, bid, sizeof(bid));
	Dwarf_Addr bias;
	Dwarf *dw;
	if (len <= 0 || strcmp(bid, m->build_id) != 0)
		m->why = xasprintf("%s here is another build (build-id %.12s, the report's %.12s)", m->module, len > 0 ? bid : "none",
				   m->build_id);
	else if (!(dw = dwfl_module_getdwarf(mod, &bias)))
		m->why = xasprintf("%s here has no debug info", m->module);
	else
		read_names(m, dw);
	dwfl_end(dwfl);
}

bool debugsrc_names(struct debugsrc *d, const char *module, const char *build_id, const char *file, char *why, size_t size)
{
	if (size)
		why[0] = 0;
	if (!module || !file) {
		snprintf(why, size, "the frame names no module");
		return false;
	}
	struct modsrc *m = NULL;
	for (size_t i = 0; i < d->n && !m; i++)
		if (!strcmp(d->v[i].module, module) && (d->v[i].build_id ? build_id && !strcmp(d->v[i].build_id, build_id) : !build_id))
			m = &d->v[i];
	if (!m) {
		xgrow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
		m = &d->v[d->n++];
		*m = (struct modsrc){.module = xstrdup(module), .build_id = build_id ? xstrdup(build_id) : NULL};
		load(m);
	}
	if (m->why) {
		snprintf(why, size, "%s", m->why);
		return false;
	}
	if (bsearch(&file, m->names, m->n, sizeof(*m->names), cmp_str))
		return true;
	snprintf(why, size, "the debug info of %s names no such file", module);
	return false;
}
