#ifndef DOSSIER_CORE_LISTING_H
#define DOSSIER_CORE_LISTING_H

#include <stddef.h>

#include "archive.h"

struct view_entry {
	char *name;
	struct dossier_attr attr;
};

/* A listing being built; every name belongs to the list. */
struct view_list {
	struct view_entry *e;
	size_t n;
	size_t cap;
};

/* Add an entry (name copied); DOSSIER_ERROR when out of memory. */
int view_list_add(struct view_list *l, const char *name,
		  const struct dossier_attr *at);

#endif
