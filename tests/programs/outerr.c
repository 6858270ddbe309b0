/* A host writing to both stdout and stderr through stdio (buffered,
 * unbuffered, partial lines, a large block) and from an atexit handler,
 * then returning 5 from main: every byte and the status must be the same
 * with and without the shim. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void at_exit_note(void)
{
	fputs("atexit: last words on stdout\n", stdout);
	fputs("atexit: last words on stderr\n", stderr);
}

int main(void)
{
	static char block[100000];
	atexit(at_exit_note);
	for (size_t i = 0; i < sizeof block; i++)
		block[i] = (char)('a' + i % 26);
	printf("line 1 on stdout\n");
	fprintf(stderr, "line 1 on stderr\n");
	printf("partial line, no newline yet... ");
	fwrite(block, 1, sizeof block, stdout);
	fwrite(block, 1, 4097, stderr);
	printf("\nend of stdout\n");
	fprintf(stderr, "\nend of stderr\n");
	return 5;
}
