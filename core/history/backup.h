#ifndef DOSSIER_CORE_BACKUP_H
#define DOSSIER_CORE_BACKUP_H

/*
 * Backups, restore and verification of an archive (dossierctl backup,
 * restore-backup, verify). Both start from a *stage*: a snapshot the
 * process serving the archive makes on request (control request
 * "backup-stage"), in ARCHIVE/backup-XXXXXX: the catalog copied with
 * SQLite's online backup API at a moment when the journal is empty and
 * the committer idle, and hard links to every object of history.git as
 * they were at that same moment (git objects are never changed in place,
 * only removed by a repack: the links keep them). The stage is consistent
 * by construction; building a backup or verifying from it takes no lock
 * of the serving daemon.
 *
 * A backup folder DEST holds generations DEST/YYYY-MM-DDTHHMMSSZ/ and a
 * symlink DEST/latest. A generation is an archive folder (catalog.db,
 * history.git/, content/XX/ID) plus MANIFEST (sha256sum(1) format, every
 * file but itself), content.blobs (record id and the blob its content
 * file holds) and backup.info. Content files are written from history
 * (each record's last committed blob), so catalog, history and content
 * agree. A file unchanged since the previous generation (same pack or
 * loose object name, same blob) is a hard link to it.
 *
 * All functions return 0 or a negative enum dossier_err with a message
 * (dossier_error_last()).
 */

#include <stddef.h>
#include <stdint.h>

/* Progress of a long operation: done of total units of phase. */
struct dossier_progress {
	void (*fn)(void *arg, const char *phase, uint64_t done,
		   uint64_t total);
	void *arg;
};

struct dossier_backup_stats {
	uint64_t files;		/* in the generation */
	uint64_t linked;	/* hard links to the previous generation */
	uint64_t copied;	/* files written */
	uint64_t bytes;		/* bytes written */
	uint64_t records;	/* content files */
};

/*
 * Build a new generation in dest (created 0700 if missing) from stage.
 * archive is the archive folder (scratch files, which have no history,
 * are copied from its content/). The generation's path goes to gen.
 * progress may be NULL.
 */
int dossier_backup_make(const char *archive, const char *stage,
			const char *dest,
			const struct dossier_progress *progress,
			struct dossier_backup_stats *stats, char *gen,
			size_t gensz);

/*
 * Make a new archive at newarchive (which must not exist, or be an empty
 * folder) from src: a generation, or a backup folder (its latest). Every
 * file is checked against the MANIFEST while it is copied; on a mismatch
 * nothing is left at newarchive and DOSSIER_ECORRUPT names the file.
 */
int dossier_backup_restore(const char *src, const char *newarchive,
			   const struct dossier_progress *progress);

/* Remove a stage folder (what the backup-stage request made). */
int dossier_stage_remove(const char *stage);

/*
 * Check the archive whose stage this is: catalog integrity and foreign
 * keys, every object of history.git readable, the version index against
 * the repository (commits, authors, times, blobs, refs), current content
 * (archive/content) against each record's last commit, the destruction
 * register and the audit trail without gaps. problem(arg, sentence) is
 * called once per problem, with a sentence naming the record and what to
 * do; note(arg, sentence) for facts that are not problems. With mounted,
 * a content file changed in the last minutes (an editor at work) is
 * noted, not counted. *problems gets the count.
 */
struct dossier_verify_out {
	void (*problem)(void *arg, const char *sentence);
	void (*note)(void *arg, const char *sentence);
	void *arg;
};
int dossier_verify(const char *archive, const char *stage, int mounted,
		   const struct dossier_verify_out *out,
		   const struct dossier_progress *progress,
		   uint64_t *problems);

#endif
