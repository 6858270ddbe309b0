/* app: looks its arguments up in the keyword table gen made at build time. */
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "table.h"

static int lookup(const char *word)
{
	uint32_t h = hash_name(word);

	for (size_t i = 0; i < NKEYWORDS; i++)
		if (keyword_table[i].hash == h && strcmp(keyword_table[i].name, word) == 0)
			return keyword_table[i].token;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("%d keywords\n", NKEYWORDS);
		return 0;
	}
	for (int i = 1; i < argc; i++)
		printf("%s: %d\n", argv[i], lookup(argv[i]));
	return 0;
}
