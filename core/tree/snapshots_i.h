#ifndef DOSSIER_CORE_SNAPSHOTS_I_H
#define DOSSIER_CORE_SNAPSHOTS_I_H

/*
 * Windows "Previous Versions" from history (core-only), for Samba's
 * vfs_shadow_copy2 with shadow:snapdirseverywhere (docs/samba.md):
 *
 *   FOLDER/.snapshots/                    tokens, per caller
 *   FOLDER/.snapshots/@GMT-YYYY.MM.DD-HH.MM.SS/   FOLDER as of that second
 *   .../@GMT-.../NAME                     a record's version then, read-only
 *   .../@GMT-.../SUB/                     a sub-folder as of that second
 *
 * - .snapshots answers a lookup in every client folder and sub-folder
 *   (never in a listing); creating that name there is EEXIST.
 * - The listing of .snapshots is the union, over the folder's live
 *   records whose history the caller may read, of each record's
 *   coalesced content changes (snap_coalesce), newest SNAP_MAX_TOKENS.
 * - @GMT-T resolves for any second T not in the future: the folder as it
 *   was at T, by today's names: a record shows its last content change
 *   at or before T when the caller may list it and read its history,
 *   else it is absent (ENOENT); records made after T are absent.
 * - A record's version there is the /.history version inode
 *   (HIST_VER_BASE | version id), so opening it is decided, read and
 *   refused exactly as in /.history; it never shares an inode number
 *   with a live record (which smbd would take for the same open file).
 *
 * All functions run with the archive lock held (subtree.c calls them).
 */

#include <stddef.h>
#include <stdint.h>

#include "archive_i.h"

struct view_list;

#define SNAP_DIR_NAME ".snapshots"

/* FOLDER/.snapshots: | folder id */
#define SNAP_DIR_BASE (12ULL << 60)
/*
 * FOLDER as of second T: | folder id << 32 | (T - SNAP_EPOCH). Folder ids
 * past 2^28 (268 million nodes) have no Previous Versions (ENOENT);
 * seconds run from 2000-01-01 to 2136.
 */
#define SNAP_AT_BASE (13ULL << 60)
#define SNAP_EPOCH 946684800LL
#define SNAP_ID_LIMIT (1ULL << 28)

/* The newest tokens a .snapshots folder lists at most. */
#define SNAP_MAX_TOKENS 512

/* 1 if ino is a .snapshots folder or a folder inside one. */
int snap_owns(uint64_t ino);

/*
 * Lookup of nfc in parent: parent a live folder and nfc ".snapshots", or
 * parent a snapshot folder. DOSSIER_ENOTFOUND / DOSSIER_EHIDDEN when
 * absent for who.
 */
int snap_lookup(struct dossier_archive *a, const struct dossier_caller *who,
		uint64_t parent, const char *nfc, struct dossier_attr *out);

/* Attributes of a snapshot folder, as lookup gave them. */
int snap_getattr(struct dossier_archive *a, const struct dossier_caller *who,
		 uint64_t ino, struct dossier_attr *out);

/* Listing of a snapshot folder (names belong to out). */
int snap_list(struct dossier_archive *a, const struct dossier_caller *who,
	      uint64_t ino, struct view_list *out);

/*
 * Which of one record's content changes Previous Versions lists: the
 * SNAP_RECENT newest, the last of each UTC day of the SNAP_DAYS days
 * before now_s, and the last of each UTC month before that. t holds n
 * times in seconds, oldest first; the kept ones are moved to its front
 * (still oldest first) and their count returned.
 */
#define SNAP_RECENT 10
#define SNAP_DAYS 31
size_t snap_coalesce(int64_t *t, size_t n, int64_t now_s);

/* "@GMT-YYYY.MM.DD-HH.MM.SS" of t into out (at least 25 bytes). */
void snap_token(char *out, size_t outsz, int64_t t);

/* The second a token names; DOSSIER_EINVAL if it is not one. */
int snap_token_parse(const char *name, int64_t *t);

#endif
