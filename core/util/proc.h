#ifndef DOSSIER_CORE_PROC_H
#define DOSSIER_CORE_PROC_H

#include <stddef.h>

/*
 * The command name of process pid (/proc/PID/comm) into out, or "?" when
 * it is gone or unknown (pid <= 0). Never fails.
 */
void dossier_program_of(int pid, char *out, size_t outsz);

#endif
