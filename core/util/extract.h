#ifndef DOSSIER_CORE_EXTRACT_H
#define DOSSIER_CORE_EXTRACT_H

/*
 * The text of a document, by Debian's tools: one place for the daemon's
 * background recognition (text.c) and `dossierctl diff`.
 *
 * What the content is decides the tool (by its bytes, never its name):
 *   PDF                  pdftotext, page by page; a page without text is
 *                        rendered (pdftoppm, 300 dpi, grey) and recognised
 *                        by tesseract (with DOSSIER_EXTRACT_OCR)
 *   PNG, JPEG, TIFF,     tesseract (with DOSSIER_EXTRACT_OCR)
 *   BMP, GIF
 *   .docx / .xlsx / ODF  docx2txt / the workbook's shared strings (unzip) /
 *                        odt2txt
 *   .doc / .xls          catdoc / xls2csv
 *   UTF-8 text           itself
 * Recognition uses tesseract's chi_sim+eng data. The tools read the
 * content through /proc/self/fd (never a file named after the record)
 * and write to a pipe: nothing derived from the content touches a disk.
 */

#include <pthread.h>
#include <sys/types.h>

#include "buf.h"

/* At most this much text is kept of one document; the rest is dropped. */
#define DOSSIER_EXTRACT_MAX (8 * 1024 * 1024)

enum dossier_extract_flags {
	DOSSIER_EXTRACT_OCR = 1 << 0,	     /* recognise images and scans */
	DOSSIER_EXTRACT_BACKGROUND = 1 << 1, /* tools at nice 19, idle I/O,
						one thread each, 2 GiB, as
						nobody when we are root */
};

struct dossier_extract_info {
	char method[16];	/* "ocr" "pdftotext" "pdf+ocr" "docx2txt" "xlsx"
				   "odt2txt" "catdoc" "xls2csv" "plain" "none" */
	int pages;		/* pages recognised by tesseract */
	int truncated;		/* the text was longer than the maximum */
};

/*
 * The children a running extraction waits for, so that another thread
 * may end them (a daemon shutting down). Initialise with
 * DOSSIER_EXTRACT_JOB_INIT.
 */
struct dossier_extract_job {
	pthread_mutex_t lock;
	pid_t pid[2];		/* protected by lock; 0: none */
	int cancelled;		/* protected by lock */
};
#define DOSSIER_EXTRACT_JOB_INIT \
	{ PTHREAD_MUTEX_INITIALIZER, { 0, 0 }, 0 }

/*
 * Append the text of the content readable at fd (read with pread from
 * offset 0; fd is not moved) to out and describe how in info. A content
 * of no kind above gives method "none" and no text; so does a scan
 * without DOSSIER_EXTRACT_OCR. job (NULL ok) lets another thread cancel.
 * Returns 0, DOSSIER_ENOTSUP when a tool is missing, DOSSIER_EBUSY when
 * cancelled, DOSSIER_EIO when a tool could not be started or the content
 * not read (may pass), DOSSIER_ERROR when a tool failed on this content
 * (message set).
 */
int dossier_extract_text(struct dossier_buf *out,
			 struct dossier_extract_info *info, int fd,
			 unsigned flags, struct dossier_extract_job *job);

/*
 * Whether dossier_extract_text() could find text in content beginning
 * with head (its first n bytes, 8 KiB or all of it), with flags: so that
 * a large file of no known kind need not be read whole.
 */
int dossier_extract_wants(const void *head, size_t n, unsigned flags);

/* End the children of job (SIGKILL) and make it fail with DOSSIER_EBUSY. */
void dossier_extract_cancel(struct dossier_extract_job *job);

/*
 * Tidy recognised text in place: page breaks become blank lines, the
 * spaces tesseract puts between Chinese characters go (so a search for
 * a phrase finds it), trailing blanks and runs of empty lines go, and
 * bytes that are not UTF-8 become '?'.
 */
void dossier_extract_tidy(struct dossier_buf *text);

#endif
