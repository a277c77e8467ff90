/* TEMPORARY stand-in until the real fdpass lands. */
#ifndef PVMMAP_FDPASS_H
#define PVMMAP_FDPASS_H
#include <stdint.h>
#include "inject.h"
#define FDPASS_SCRATCH 256
int fdpass_send(struct inject_proc *p, int fd, uint64_t scratch, int *remote);
int fdpass_close(struct inject_proc *p, int remote);
#endif
