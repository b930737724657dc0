/* dossierctl ocr status: the text recognition queue of the archive. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

int cmd_ocr(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	const char *p;
	int ret;

	if (ctl_wants_help(argc, argv) || argc != 2 ||
	    strcmp(argv[1], "status")) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl ocr status\n\n"
			"The background text recognition of the archive: "
			"versions queued,\ndone (text kept), recognised "
			"(by OCR), failed, pages recognised,\npages per "
			"minute, and whether recognition runs (setting\n"
			"text-recognition, 'dossierctl policy set "
			"text-recognition off|on').\nFor archivists, auditors "
			"and the gm.\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	if (ctl_call(ctl, "ocr\tstatus\n", &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "ocr status")) == CTL_OK)
		for (p = r.body; *p; p++)
			fputs(*p == '\t' ? ": " : (char[]){ *p, 0 }, stdout);
	ctl_reply_release(&r);
	return ret;
}
