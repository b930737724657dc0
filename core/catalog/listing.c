/* A listing of a virtual folder being built: names and what each shows. */
#include "listing.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

int view_list_add(struct view_list *l, const char *name,
		   const struct dossier_attr *at)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct view_entry *ne = realloc(l->e, cap * sizeof(*ne));

		if (!ne)
			return DOSSIER_ERROR;
		l->e = ne;
		l->cap = cap;
	}
	l->e[l->n].name = strdup(name);
	l->e[l->n].attr = *at;
	if (!l->e[l->n].name)
		return DOSSIER_ERROR;
	l->n++;
	return 0;
}
