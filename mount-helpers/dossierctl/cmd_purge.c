#include <stdio.h>

#include "ctl.h"

/* NEEDSWORK: not written yet. */
int cmd_purge(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	fprintf(stderr, "dossierctl purge: not available in this version\n");
	return CTL_REFUSED;
}
