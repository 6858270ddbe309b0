/* Loads a shared library from a memfd (as JITs and self-extracting tools
 * do): copies the file named by argv[1] into a memfd, dlopens
 * /proc/self/fd/N, and calls its plug_crash(), which faults. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int in = open(argv[1], O_RDONLY), fd = memfd_create("plug", MFD_CLOEXEC);
	char buf[65536], path[64];
	ssize_t n;
	if (in < 0 || fd < 0)
		return 2;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 2;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	void *h = dlopen(path, RTLD_NOW);
	int (*crash)(int) = h ? (int (*)(int))dlsym(h, "plug_crash") : NULL;
	if (!crash) {
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	printf("%d\n", crash(argc));
	return 0;
}
