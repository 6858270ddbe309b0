/* A host that leaves through _exit(7) (or _Exit(7) with the argument
 * "_Exit"): stdio buffers are not flushed on that path, so the unflushed
 * text must never appear, with or without the shim. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	fputs("flushed before _exit\n", stdout);
	fflush(stdout);
	fputs("never flushed", stdout);
	fputs("on stderr\n", stderr);
	if (argc > 1 && strcmp(argv[1], "_Exit") == 0)
		_Exit(7);
	_exit(7);
}
