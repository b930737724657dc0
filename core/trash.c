/* Trash, purge, destruction register, retention and legal holds. */
#include "trash_i.h"

#include "control_i.h"
#include "error.h"

const char trash_schema[] = "SELECT 1;";

int trash_may_delete(struct dossier_archive *a, const struct node *n)
{
	(void)a;
	(void)n;
	return 0;
}

int trash_rename_out(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, uint64_t newparent, const char *newname)
{
	(void)a;
	(void)who;
	(void)parent;
	(void)name;
	(void)newparent;
	(void)newname;
	return DOSSIER_EREADONLY;
}

int trash_is_view(uint64_t ino)
{
	return ino == INO_TRASH || VIRT_KIND(ino) == 3;
}

const struct control_cmd control_trash_cmds[] = {
	{ NULL, NULL },
};
