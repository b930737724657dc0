#include <inttypes.h>
#include <unistd.h>
#include <stdio.h>

#include "ctl.h"
#include "error.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl [-a ARCHIVE] backup DEST\n\n"
		     "Back up the archive into the folder DEST, consistently "
		     "even while it is mounted\nand people save: the catalog "
		     "(SQLite's online backup), the history repository\nand "
		     "the content as of one moment. Each run adds a "
		     "generation DEST/DATE/ and\npoints DEST/latest at it; "
		     "files unchanged since the previous generation are\n"
		     "hard links, so later backups copy only what changed. "
		     "DEST/DATE/MANIFEST lists\nevery file's SHA-256 "
		     "(check it with 'cd DEST/latest && sha256sum -c "
		     "MANIFEST').\nRestore with 'dossierctl restore-backup'. "
		     "Root only.\n");
}

int cmd_backup(struct ctl *ctl, int argc, char **argv)
{
	struct dossier_backup_stats st;
	char stage[4096], gen[4096];
	const char *archive;
	int c, mounted = 0, rc;

	if ((c = ctl_only_help(argc, argv, usage, 1, 1)) >= 0)
		return c;
	if (!(archive = ctl_archive_path(ctl)))
		return CTL_USAGE;
	if (ctl_stage(ctl, 0, stage, sizeof(stage), &mounted) < 0)
		return CTL_REFUSED;
	rc = dossier_backup_make(archive, stage, argv[optind], ctl_progress(),
				 &st, gen, sizeof(gen));
	ctl_progress_done();
	dossier_stage_remove(stage);
	if (rc < 0)
		return ctl_fail("backup failed", rc);
	printf("backed up %" PRIu64 " records into '%s': %" PRIu64 " files, "
	       "%" PRIu64 " unchanged (linked), %" PRIu64 " written (%" PRIu64
	       " bytes)\n", st.records, gen, st.files, st.linked, st.copied,
	       st.bytes);
	return CTL_OK;
}
