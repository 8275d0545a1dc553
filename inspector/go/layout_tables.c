/* go/layout_tables.c - which table a toolchain version reads, and the
 * names of the facts the tables and the DWARF reader fill. */
#include "go/layout_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char golayout_table_versions[] = "go1.17.x, go1.18.x, go1.19.x, go1.20.x, go1.21.x, go1.22.x, go1.23.x, "
				       "go1.24.x, go1.25.x, go1.26.x and go1.27.x";

const struct golayout_spec golayout_specs[GL__N] = {
#define SPEC_F(id, s, p) [GL_##id] = {#id, GOLAYOUT_OFF, s, p},
#define SPEC_S(id, s) [GL_##id] = {#id, GOLAYOUT_SIZE, s, NULL},
#define SPEC_C(id, c) [GL_##id] = {#id, GOLAYOUT_CONST, NULL, c},
	GOLAYOUT_FIELDS(SPEC_F, SPEC_S, SPEC_C)
#undef SPEC_F
#undef SPEC_S
#undef SPEC_C
};

const char *const golayout_global_syms[GG__N] = {
#define SYM_G(id, sym) [GG_##id] = sym,
	GOLAYOUT_GLOBALS(SYM_G)
#undef SYM_G
};

static const char *const global_names[GG__N] = {
#define NAME_G(id, sym) [GG_##id] = #id,
	GOLAYOUT_GLOBALS(NAME_G)
#undef NAME_G
};

const char *golayout_name(enum golayout_id id)
{
	return id < GL__N ? golayout_specs[id].name : "?";
}

const char *golayout_global_name(enum golayout_global g)
{
	return g < GG__N ? global_names[g] : "?";
}

static const struct golayout_table *const tables[] = {
	&golayout_go117, &golayout_go118, &golayout_go119, &golayout_go120, &golayout_go121,
	&golayout_go122, &golayout_go123, &golayout_go124, &golayout_go125, &golayout_go126, &golayout_go127,
};

/* GOEXPERIMENTs that leave the runtime's structures as they are: boringcrypto
 * swaps crypto packages only.  Any other "X:" suffix (staticlockranking
 * grows every runtime mutex, for one) makes the table unsafe. */
static bool experiment_harmless(const char *x, size_t n)
{
	static const char *const ok[] = {"boringcrypto"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (strlen(ok[i]) == n && strncmp(x, ok[i], n) == 0)
			return true;
	return false;
}

const struct golayout_table *golayout_table_find(const char *v, unsigned *patch, const char **why)
{
	*why = "no table for that release";
	*patch = 0;
	if (!v)
		return NULL;
	if (strncmp(v, "devel", 5) == 0) {
		*why = "a development build, whose runtime may differ from any release";
		return NULL;
	}
	/* "go" MAJOR "." MINOR [ "." PATCH ] then the end or " X:exp,exp". */
	if (strncmp(v, "go", 2) != 0)
		return NULL;
	const char *p = v + 2;
	char *e;
	long major = strtol(p, &e, 10);
	if (e == p || *e != '.')
		return NULL;
	p = e + 1;
	long minor = strtol(p, &e, 10);
	if (e == p)
		return NULL;
	if (*e == '.') {
		p = e + 1;
		long pl = strtol(p, &e, 10);
		if (e == p || pl < 0 || pl >= GOLAYOUT_PATCH_MAX)
			return NULL;
		*patch = (unsigned)pl;
	}
	if (strncmp(e, "rc", 2) == 0 || strncmp(e, "beta", 4) == 0) {
		*why = "a pre-release, whose runtime may differ from the release";
		return NULL;
	}
	if (*e == ' ') {
		const char *x = e + 1;
		if (strncmp(x, "X:", 2) != 0)
			return NULL;
		x += 2;
		while (*x) {
			size_t n = strcspn(x, ",");
			if (!experiment_harmless(x, n)) {
				*why = "built with a GOEXPERIMENT that may change the runtime's layout";
				return NULL;
			}
			x += n;
			if (*x == ',')
				x++;
		}
	} else if (*e) {
		return NULL;
	}
	char series[24];
	if (major != 1 || minor < 0 || minor > 999)
		return NULL;
	snprintf(series, sizeof(series), "go1.%ld", minor);
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		if (strcmp(tables[i]->series, series) == 0) {
			*why = NULL;
			return tables[i];
		}
	return NULL;
}
