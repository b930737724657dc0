#ifndef DOSSIER_CORE_TEXT_I_H
#define DOSSIER_CORE_TEXT_I_H

/*
 * The text of records (core-only): every content version the committer
 * indexes is queued (table text_queue, in the same transaction as its
 * version row, so the queue survives restarts); a worker thread of the
 * serving daemon takes the queue in order, reads the version's blob into
 * memory and gets its text with dossier_extract_text() (tesseract for
 * scans and images, at nice 19 and idle I/O priority), then keeps it per
 * version (version_text) and, when the version is still its record's
 * current one, in the full-text index (text_index, FTS5 with the trigram
 * tokenizer, rowid = record id). The record's bytes are never changed.
 *
 * Requests (control_text_cmds): "search" (results decided per hit by the
 * rules, READ now), "text" (one version's text: READ, plus HISTORY for an
 * older version), "ocr" (the queue's state). See docs/design.md.
 */

#include <stdint.h>

#include "archive_i.h"

struct dossier_text;

/*
 * Start the worker for archive a (serving daemons only; call without
 * a->lock). Caller frees with text_close().
 */
int text_open(struct dossier_text **out, struct dossier_archive *a);

/*
 * Stop the worker (a recognition running is ended; its version stays
 * queued for the next start) and free. Accepts NULL. Without a->lock.
 */
void text_close(struct dossier_text *t);

/*
 * Queue content version `version` (a version row id) of record for its
 * text, and take the record out of the index until that text is there
 * (the index holds current versions only). Lock held, inside the
 * committer's transaction. Wake the worker with text_kick() after it.
 */
int text_queue_version(struct dossier_archive *a, int64_t version,
		       uint64_t record);

/*
 * Make the search's rank function (hit_density, FTS5) known to db: at
 * every open of the catalog.
 */
int text_db_init(sqlite3 *db);

/* Wake the worker (accepts NULL: no worker here). Safe with any lock. */
void text_kick(struct dossier_text *t);

/*
 * Forget every text of record: its versions' texts, its queue rows and
 * its index row. Lock held, inside the purge's transaction.
 */
int text_forget_record(struct dossier_archive *a, uint64_t record);

/*
 * After records were purged: rewrite the index so that no segment keeps
 * their terms (FTS5 deletes by adding tombstones until segments merge).
 * Lock not held; before the WAL checkpoint.
 */
void text_purged(struct dossier_archive *a);

#endif
