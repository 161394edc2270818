/* SPDX-License-Identifier: MIT */
/*
 * replay.c - run a fuzz target's inputs without libFuzzer: replay FILE|DIR...
 *
 * Linked with a target instead of libFuzzer's main, it builds with any
 * compiler (gcc with -fsanitize=address,undefined in make check-fuzz), so
 * that a crash found by the fuzzer can be replayed under gcc, valgrind or
 * a debugger, and the seed corpus runs on every build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned replayed;

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!fp) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				fclose(fp);
				free(buf);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	replayed++;
	return 0;
}

static int replay_path(const char *path)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	int rc = 0;

	if (stat(path, &st)) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	dir = opendir(path);
	if (!dir) {
		perror(path);
		return -1;
	}
	while (rc == 0 && (d = readdir(dir))) {
		char sub[4096];

		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
		rc = replay_path(sub);
	}
	closedir(dir);
	return rc;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i]))
			return 1;
	printf("%s: %u inputs replayed\n", argv[0], replayed);
	return 0;
}
