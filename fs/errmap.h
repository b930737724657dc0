#ifndef DOSSIER_FS_ERRMAP_H
#define DOSSIER_FS_ERRMAP_H

/* The positive errno for a libdossier code (0 for 0); unknown: EIO. */
int fs_errno(int rc);

#endif
