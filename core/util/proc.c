/* What the kernel says of a process (procfs). */
#include "proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void dossier_program_of(int pid, char *out, size_t outsz)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(out, outsz, "?");
	if (pid <= 0)
		return;
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, outsz - 1);
	close(fd);
	if (n <= 0) {
		snprintf(out, outsz, "?");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}
