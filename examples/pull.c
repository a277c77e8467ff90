/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pull: take a buffer over from another process with process_vm_mmap().
 *
 * A child fills 1 MiB of private memory with a pattern and makes a shared
 * memfd mapping; the parent clones both into itself, checks every byte of
 * the private copy, and sees the child's later writes to the shared one.
 * Build against an installed libpvmmap:
 *   cc -o pull pull.c $(pkg-config --cflags --libs pvmmap)
 * Exit status 0 when every check held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pvmmap.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (1u << 20)

struct where { uintptr_t priv, shared; };

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 4096);
}

static int child(int wfd, int rfd)
{
	unsigned char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = memfd_create("pull-example", 0);
	char *s;
	struct where w;
	char c;

	if (p == MAP_FAILED || fd < 0 || ftruncate(fd, 4096))
		return 1;
	s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < LEN; i++)
		p[i] = pattern(i);
	strcpy(s, "before");
	w.priv = (uintptr_t)p;
	w.shared = (uintptr_t)s;
	if (write(wfd, &w, sizeof w) != sizeof w)
		return 1;
	/* the parent has cloned both: write to the shared one */
	if (read(rfd, &c, 1) != 1)
		return 1;
	strcpy(s, "after");
	if (write(wfd, &c, 1) != 1)
		return 1;
	pause();
	return 0;
}

int main(void)
{
	int up[2], down[2];
	struct where w;
	unsigned char *p;
	char *s, c = 'x';
	pid_t pid;
	int bad = 0;

	if (pipe(up) || pipe(down))
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		_exit(child(up[1], down[0]));
	if (read(up[0], &w, sizeof w) != sizeof w) {
		fprintf(stderr, "pull: the child did not start\n");
		return 2;
	}
	p = process_vm_mmap(pid, w.priv, LEN, 0, 0);
	s = process_vm_mmap(pid, w.shared, 4096, 0, 0);
	if (p == MAP_FAILED || s == MAP_FAILED) {
		fprintf(stderr, "pull: process_vm_mmap: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		return 1;
	}
	for (size_t i = 0; i < LEN; i++)
		bad += p[i] != pattern(i);
	if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1)
		bad++;
	if (strcmp(s, "after") != 0) {
		fprintf(stderr, "pull: the shared page says '%s', not 'after'\n", s);
		bad++;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("pull: 1 MiB private copied (%d bytes differ), shared page %s\n", bad, strcmp(s, "after") ? "not shared" : "shared");
	return bad ? 1 : 0;
}
