#include <stdio.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl restore-backup SRC NEWARCHIVE\n\n"
		     "Make a new archive in NEWARCHIVE (a new or empty folder) "
		     "from the backup SRC:\na backup folder (its latest "
		     "generation) or one generation DEST/DATE. Every\nfile is "
		     "checked against the backup's MANIFEST; on a damaged file "
		     "nothing is\nleft behind. Then mount NEWARCHIVE, or move "
		     "it where the old archive was.\nRoot only.\n");
}

int cmd_restore_backup(struct ctl *ctl, int argc, char **argv)
{
	struct dossier_archive *a = NULL;
	int c, rc;

	(void)ctl;
	if ((c = ctl_only_help(argc, argv, usage, 2, 2)) >= 0)
		return c;
	rc = dossier_backup_restore(argv[optind], argv[optind + 1],
				    ctl_progress());
	ctl_progress_done();
	if (rc < 0)
		return ctl_fail("restore failed", rc);
	/* it opens as an archive (catalog schema, repository) */
	if ((rc = dossier_archive_open(&a, argv[optind + 1], 0)) < 0)
		return ctl_fail("the restored archive does not open", rc);
	dossier_archive_close(a);
	printf("restored '%s' into '%s'; check it with 'dossierctl -a %s "
	       "verify'\n", argv[optind], argv[optind + 1], argv[optind + 1]);
	return CTL_OK;
}
