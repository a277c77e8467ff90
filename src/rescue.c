/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rescue area (see rescue.h and src/rescue_layout.h).
 *
 * Why it exists.  A traced thread whose tracer dies is let go with whatever
 * registers and signal mask it has at that instant.  Before this area,
 * that was every signal blocked for good, and, for a thread killed in the
 * middle of an injected syscall, that syscall's result handed to its own
 * code as if its read() had returned it; the target also kept half a
 * destination and a descriptor or two.  The proposed process_vm_mmap() is
 * a syscall and cannot be half done because its caller died; pvmmap must
 * keep the same promise from user space.
 *
 * How.  Before a thread runs anything for pvmmap, its context and mask go
 * into a record in the area, and its registers are made to rest in the
 * rescue code (src/arch/<arch>-rescue.S) with every signal blocked.  The
 * syscalls pvmmap injects run at the code's syscall instruction and end in
 * it too.  So whenever the thread runs without pvmmap, it settles the
 * journal change of the syscall it just ran, undoes the journal, restores
 * its mask and returns to its own context.  Threads that run nothing for
 * pvmmap keep their own registers and mask all along and need nothing.
 *
 * Where.  In the unused tail of the process's [vdso] when it has room:
 * pvmmap writes it through /proc/PID/mem, as a debugger writes a
 * breakpoint (the kernel gives the process its own copy of that page), so
 * no syscall runs in the process before the area is in place or after it
 * is gone, and there is no instant at which a death of pvmmap is not
 * covered.  The bytes are put back at the detach; the page stays the
 * process's own copy (4 KiB of Anonymous in the [vdso] line of smaps).
 * Otherwise (no vdso, or no room: a large journal) in a mapping of its
 * own, made by one plain injected syscall and removed by another: those
 * two syscalls are the only instants not covered (their time is counted in
 * inject_proc.unguarded_ns; pvmmap.1 RELIABILITY gives the figures).
 *
 * What a death leaves.  The journal's undo runs in the process itself, so
 * nothing pvmmap made is left but the rescue code: its bytes in the vdso's
 * unused tail (never run again), or its own mapping.  The area starts with
 * RESCUE_MAGIC and the pid of the pvmmap that wrote it, so pvmmap can tell
 * its residue (rescue_find) and a later run removes it.
 *
 * Ordering.  pvmmap's writes into the area are made while every thread of
 * the process is stopped, each single field at most 8 bytes, so the
 * rescue code can only ever see a field entirely old or entirely new; a
 * sequence of writes is ordered so that the journal is right after each
 * one (see rescue_settle).
 */
#include "rescue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inject_priv.h"
#include "rescue_layout.h"

#define NREC        2      /* the journal's holder; one for another thread */
#define VDSO_MARGIN 64     /* bytes kept free after the vdso image's last byte */
#define VDSO_SCAN   4096   /* the tail looked at */
#define JOURNAL_MIN 8      /* entries when nobody asked for a number */
#define ALIGN16(x)  (((x) + 15) & ~(size_t)15)

struct rescue_entry {
	int32_t nr;
	uint32_t flags;
	uint64_t a0, a1, a2;
};
_Static_assert(sizeof(struct rescue_entry) == ENTRY_BYTES, "src/rescue_layout.h: entries");

struct rescue {
	uint64_t base, size;
	bool mapped;               /* its own mapping (else the vdso's tail) */
	unsigned char *saved;      /* vdso: what the tail held before */
	uint64_t code, recs, journal;
	size_t rec_size;
	pid_t slot_tid[NREC];      /* 0: free */
	size_t jcap, jcount;
	struct rescue_entry *j;    /* pvmmap's copy of the entries */
	bool armed;                /* a change in flight (in record 0) */
	size_t pidx;
	struct rescue_entry pend;
};

/* ---- layout ---------------------------------------------------------------- */

static size_t code_bytes(void)
{
	const unsigned char *c;

	return ALIGN16(arch_rescue_code(&c));
}

static size_t rec_bytes(void)
{
	return ALIGN16(REC_CTX + arch_rescue_ctx_size());
}

static size_t area_bytes(size_t jcap)
{
	return HEAD_BYTES + code_bytes() + NREC * rec_bytes() + jcap * ENTRY_BYTES;
}

static void place(struct rescue *r, uint64_t base, size_t jcap)
{
	r->base = base;
	r->size = area_bytes(jcap);
	r->code = base + HEAD_BYTES;
	r->rec_size = rec_bytes();
	r->recs = r->code + code_bytes();
	r->journal = r->recs + NREC * r->rec_size;
	r->jcap = jcap;
}

/* The whole area as it is first written: head and code, the rest zero. */
static unsigned char *image(const struct rescue *r)
{
	const unsigned char *code;
	size_t len = arch_rescue_code(&code);
	unsigned char *img = calloc(1, r->size);
	uint64_t head[8] = { 0 };

	if (!img)
		return NULL;
	memcpy(head, RESCUE_MAGIC, sizeof RESCUE_MAGIC);
	head[HEAD_PID / 8] = (uint64_t)getpid();
	head[HEAD_SIZE / 8] = r->size;
	head[HEAD_JCAP / 8] = r->jcap;
	head[HEAD_JOFF / 8] = r->journal - r->base;
	head[HEAD_NREC / 8] = NREC;
	memcpy(img, head, sizeof head);
	memcpy(img + (r->code - r->base), code, len);
	return img;
}

/* ---- where ----------------------------------------------------------------- */

/*
 * The vdso's tail: past the image's last non-zero byte (the kernel pads the
 * image with zeros to whole pages).  An area a killed pvmmap left there is
 * residue, not image: it counts as zeros, and putting the tail back at the
 * detach then removes it too.  0, or -ENOSPC when there is no room.
 */
static int vdso_place(struct inject_proc *p, struct rescue *r, size_t jcap)
{
	uint64_t start, end, from;
	size_t len, need = area_bytes(jcap), used;
	unsigned char *tail;
	int err = inject_vdso_range(p, &start, &end);

	if (err)
		return err;
	len = end - start < VDSO_SCAN ? (size_t)(end - start) : VDSO_SCAN;
	from = end - len;
	tail = malloc(len);
	if (!tail)
		return -ENOMEM;
	err = inject_read(p, from, tail, len);
	if (err) {
		free(tail);
		return err;
	}
	for (size_t off = 0; off + sizeof RESCUE_MAGIC <= len; off += 16)
		if (memcmp(tail + off, RESCUE_MAGIC, sizeof RESCUE_MAGIC) == 0 &&
		    !inject_thread_resting_in(p, from + off, end)) {
			memset(tail + off, 0, len - off);
			break;
		}
	used = len;
	while (used > 0 && tail[used - 1] == 0)
		used--;
	if (len - used < need + VDSO_MARGIN) {
		free(tail);
		return -ENOSPC;
	}
	place(r, (end - need) & ~(uint64_t)15, jcap);
	r->saved = malloc(r->size);
	if (!r->saved) {
		free(tail);
		return -ENOMEM;
	}
	memcpy(r->saved, tail + (r->base - from), r->size);
	free(tail);
	return 0;
}

/* A mapping of its own: one plain syscall, not covered by any rescue. */
static int map_place(struct inject_proc *p, struct rescue *r, size_t jcap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = (area_bytes(jcap) + page - 1) & ~(page - 1);
	const uint64_t args[6] = { 0, len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
				   (uint64_t)-1, 0 };
	int idx = inject_pick_thread(p);
	int64_t ret;
	int err;

	if (idx < 0)
		return -ESRCH;
	/* the area's journal fills what the page holds */
	jcap = (len - area_bytes(0)) / ENTRY_BYTES;
	err = inject_plain_syscall(p, (size_t)idx, arch_sysno(ARCH_SYS_MMAP), args, &ret);
	if (err)
		return err;
	if (ret < 0 && ret > -4096)
		return (int)ret;
	place(r, (uint64_t)ret, jcap);
	r->size = len;
	r->mapped = true;
	return 0;
}

int rescue_open(struct inject_proc *p)
{
	size_t jcap = p->journal_room > JOURNAL_MIN ? p->journal_room : JOURNAL_MIN;
	struct rescue *r;
	unsigned char *img;
	int err;

	if (p->rescue)
		return 0;
	r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	err = inject_force_mapped(p) ? -ENOSPC : vdso_place(p, r, jcap);
	if (err == -ENOSPC || err == -ENOENT)
		err = map_place(p, r, jcap);
	if (!err && !(r->j = calloc(r->jcap, sizeof *r->j)))
		err = -ENOMEM;
	img = err ? NULL : image(r);
	if (!err && !img)
		err = -ENOMEM;
	if (!err)
		err = inject_poke(p, r->base, img, area_bytes(r->jcap));
	free(img);
	p->rescue = r;
	if (err) {
		/* a mapping made for it goes again; a half-written tail is put back */
		rescue_close(p);
		return err;
	}
	return 0;
}

bool rescue_in_vdso(const struct inject_proc *p)
{
	return p->rescue && !p->rescue->mapped;
}

uint64_t rescue_site(const struct inject_proc *p)
{
	return p->rescue->code;
}

static uint64_t rec_addr(const struct rescue *r, int slot)
{
	return r->recs + (uint64_t)slot * r->rec_size;
}

/* ---- holding threads -------------------------------------------------------- */

void rescue_rest_regs(const struct inject_proc *p, const struct inject_thread *t,
		      struct arch_regs *regs)
{
	const struct rescue *r = p->rescue;

	*regs = t->regs;
	arch_regs_rest(regs, r->code + arch_syscall_insn_len, rec_addr(r, t->slot),
		       t->slot == 0 ? r->base : 0);
}

int rescue_hold(struct inject_proc *p, struct inject_thread *t, bool anchor)
{
	struct rescue *r = p->rescue;
	int slot = anchor ? 0 : 1;
	unsigned char *rec;
	struct arch_regs rest;
	void *frame;
	size_t flen;
	uint64_t fat;
	int err;

	if (t->slot >= 0)
		return 0;
	if (r->slot_tid[slot])
		return -EBUSY;
	/* The way back's part in the thread's own memory (arm64: the
	 * sigframe below its sp) is in place before the record points at it,
	 * and both before the thread rests. */
	err = arch_rescue_frame(t->tid, &t->regs, t->sigmask, &frame, &flen, &fat);
	if (!err && flen)
		err = inject_poke(p, fat, frame, flen);
	free(frame);
	if (err)
		return err;
	rec = calloc(1, r->rec_size);
	if (!rec)
		return -ENOMEM;
	memcpy(rec + REC_MASK, &t->sigmask, sizeof t->sigmask);
	arch_rescue_ctx_fill(rec + REC_CTX, &t->regs, flen ? fat : 0);
	err = inject_poke(p, rec_addr(r, slot), rec, r->rec_size);
	free(rec);
	if (err)
		return err;
	/* Registers first, then the mask: between the two the thread would
	 * run the rescue code with its own mask, which is harmless; the
	 * other order would leave it running its own code with every signal
	 * blocked. */
	t->slot = slot;
	rescue_rest_regs(p, t, &rest);
	err = inject_regs_set(p, t, &rest);
	if (err) {
		t->slot = -1;
		return err;
	}
	r->slot_tid[slot] = t->tid;
	t->state |= INJECT_T_HELD;
	return inject_mask_set(p, t, ~UINT64_C(0));
}

int rescue_release(struct inject_proc *p, struct inject_thread *t)
{
	struct rescue *r = p->rescue;
	int err = 0;

	if (!(t->state & INJECT_T_HELD))
		return 0;
	/* Mask first, then registers: the reverse of rescue_hold. */
	if (!(t->state & INJECT_T_GONE)) {
		err = inject_mask_set(p, t, t->sigmask);
		if (!err)
			err = inject_regs_restore(p, t);
	}
	if (err == -ESRCH) {
		err = 0;        /* gone: nothing of it to put back */
		t->state |= INJECT_T_GONE;
	}
	if (err)
		return err;
	r->slot_tid[t->slot] = 0;
	t->slot = -1;
	t->state &= ~INJECT_T_HELD;
	return 0;
}

/* ---- the journal ----------------------------------------------------------- */

static int poke_u64(struct inject_proc *p, uint64_t addr, uint64_t v)
{
	return inject_poke(p, addr, &v, sizeof v);
}

static uint64_t entry_addr(const struct rescue *r, size_t k)
{
	return r->journal + (uint64_t)k * ENTRY_BYTES;
}

static int to_entry(const struct inject_undo *u, struct rescue_entry *e)
{
	long nr = arch_sysno(u->sys);

	if (nr < 0 || (u->sys != ARCH_SYS_MUNMAP && u->sys != ARCH_SYS_CLOSE &&
		       u->sys != ARCH_SYS_MREMAP))
		return -EINVAL;
	*e = (struct rescue_entry){
		.nr = (int32_t)nr, .a0 = u->a0, .a1 = u->a1, .a2 = u->a2,
		.flags = ((u->flags & INJECT_UNDO_RESULT) ? ENTRY_F_RESULT : 0) |
			 ((u->flags & INJECT_UNDO_FDS_AT) ? ENTRY_F_FDS_AT : 0) |
			 (u->sys == ARCH_SYS_MREMAP ? ENTRY_F_MREMAP : 0),
	};
	return 0;
}

size_t rescue_journal_count(const struct inject_proc *p)
{
	size_t n = 0;

	for (size_t k = 0; p->rescue && k < p->rescue->jcount; k++)
		n += p->rescue->j[k].nr >= 0;
	return n;
}

size_t rescue_journal_end(const struct inject_proc *p)
{
	return p->rescue ? p->rescue->jcount : 0;
}

int rescue_void(struct inject_proc *p, size_t k)
{
	struct rescue *r = p->rescue;
	int32_t v = -1;
	int err;

	if (!r || k >= r->jcount)
		return -EINVAL;
	err = inject_poke(p, entry_addr(r, k) + ENTRY_NR, &v, sizeof v);
	if (!err)
		r->j[k].nr = -1;
	return err;
}

bool rescue_entry(const struct inject_proc *p, size_t k, struct inject_undo *out)
{
	const struct rescue_entry *e;

	if (!p->rescue || k >= p->rescue->jcount || p->rescue->j[k].nr < 0)
		return false;
	e = &p->rescue->j[k];
	*out = (struct inject_undo){
		.sys = e->nr == arch_sysno(ARCH_SYS_MUNMAP) ? ARCH_SYS_MUNMAP
		       : e->nr == arch_sysno(ARCH_SYS_CLOSE) ? ARCH_SYS_CLOSE : ARCH_SYS_MREMAP,
		.a0 = e->a0, .a1 = e->a1, .a2 = e->a2,
		.flags = (e->flags & ENTRY_F_FDS_AT) ? INJECT_UNDO_FDS_AT : 0,
	};
	return true;
}

/* The last live entry, when it is a plain munmap ending at @at. */
static int merge_with(const struct rescue *r, uint64_t at)
{
	size_t k = r->jcount;

	while (k > 0 && r->j[k - 1].nr < 0)
		k--;
	if (k == 0)
		return -1;
	k--;
	return r->j[k].nr == arch_sysno(ARCH_SYS_MUNMAP) && r->j[k].flags == 0 &&
	       r->j[k].a0 + r->j[k].a1 == at ? (int)k : -1;
}

int rescue_arm(struct inject_proc *p, const struct inject_undo *add, int undoes)
{
	struct rescue *r = p->rescue;
	struct rescue_entry e = { .nr = -1 };
	uint64_t rec = rec_addr(r, 0);
	size_t idx;
	int err;

	if (add && (err = to_entry(add, &e)))
		return err;
	if (undoes >= 0) {
		if ((size_t)undoes >= r->jcount || r->j[undoes].nr < 0)
			return -EINVAL;
		idx = (size_t)undoes;
	} else {
		int m = -1;
		if (!add)
			return 0;
		if ((add->flags & INJECT_UNDO_MERGE) && add->sys == ARCH_SYS_MUNMAP &&
		    !(add->flags & INJECT_UNDO_RESULT))
			m = merge_with(r, add->a0);
		if (m >= 0) {
			idx = (size_t)m;
			e.a0 = r->j[m].a0;
			e.a1 = r->j[m].a1 + add->a1;
		} else {
			/* a voided slot first: the entries are independent of
			 * one another (disjoint ranges, distinct descriptors),
			 * so their order does not matter */
			for (idx = 0; idx < r->jcount && r->j[idx].nr >= 0; idx++)
				;
			if (idx == r->jcap)
				return -ENOSPC;
		}
	}
	/* The change first, the switch last: the rescue code reads the
	 * change only once the switch says it is there. */
	err = poke_u64(p, rec + REC_IDX, idx);
	if (!err)
		err = inject_poke(p, rec + REC_PEND, &e, sizeof e);
	if (!err)
		err = poke_u64(p, rec + REC_ARMED, 1);
	if (err)
		return err;
	r->armed = true;
	r->pidx = idx;
	r->pend = e;
	return 0;
}

/*
 * After the syscall: when it succeeded, the entry becomes what the armed
 * change says, then the change is disarmed.  Each write leaves the journal
 * right for the rescue code, which applies the armed change on top of the
 * entries as long as it is armed (and the thread has the result in its
 * register: it is stopped on the way out of that syscall throughout):
 *   new entry:  entry written (not counted yet) -> count + 1 -> disarmed
 *   replaced:   entry written (the armed change shadows it) -> disarmed
 *   undone:     entry voided -> disarmed -> voided entries at the end
 *               uncounted
 */
int rescue_settle(struct inject_proc *p, int64_t result, int *id)
{
	struct rescue *r = p->rescue;
	struct rescue_entry e;
	size_t k;
	int err = 0;

	if (!r || !r->armed)
		return 0;
	e = r->pend;
	k = r->pidx;
	if ((uint64_t)result < (uint64_t)-4095) {
		if (e.flags & ENTRY_F_RESULT) {
			e.a0 = (uint64_t)result;
			e.flags &= ~(uint32_t)ENTRY_F_RESULT;
		}
		/* One descriptor the syscall stored in memory (recvmsg's cmsg):
		 * journaled by its number from here on, so that the memory may
		 * be used again (the armed change still covers the entry while
		 * it is written). */
		if ((e.flags & ENTRY_F_FDS_AT) && e.a1 == 1) {
			int32_t fd;
			err = inject_read(p, e.a0, &fd, sizeof fd);
			if (err)
				return err;
			e = fd < 0 ? (struct rescue_entry){ .nr = -1 }
				   : (struct rescue_entry){ .nr = e.nr, .a0 = (uint64_t)(int64_t)fd };
		}
		if (e.nr < 0)
			err = inject_poke(p, entry_addr(r, k) + ENTRY_NR, &e.nr, sizeof e.nr);
		else
			err = inject_poke(p, entry_addr(r, k), &e, sizeof e);
		if (!err && k == r->jcount)
			err = poke_u64(p, r->base + HEAD_JCOUNT, k + 1);
		if (err)
			return err;
		r->j[k] = e;
		if (k == r->jcount)
			r->jcount++;
		if (id)
			*id = (int)k;
	}
	err = poke_u64(p, rec_addr(r, 0) + REC_ARMED, 0);
	if (err)
		return err;
	r->armed = false;
	k = r->jcount;
	while (k > 0 && r->j[k - 1].nr < 0)
		k--;
	if (k != r->jcount) {
		err = poke_u64(p, r->base + HEAD_JCOUNT, k);
		if (!err)
			r->jcount = k;
	}
	return err;
}

int rescue_forget(struct inject_proc *p)
{
	struct rescue *r = p->rescue;
	int err;

	if (!r || !r->jcount)
		return 0;
	err = poke_u64(p, r->base + HEAD_JCOUNT, 0);
	if (!err)
		r->jcount = 0;
	return err;
}

/* ---- the end ---------------------------------------------------------------- */

int rescue_close(struct inject_proc *p)
{
	struct rescue *r = p->rescue;
	int first = 0, err;

	if (!r)
		return 0;
	for (size_t i = 0; i < p->nthreads; i++) {
		err = rescue_release(p, &p->threads[i]);
		if (err && !first)
			first = err;
	}
	if (first)
		return first;   /* a thread may still rest in it: keep it */
	if (r->mapped) {
		const uint64_t args[6] = { r->base, r->size };
		int idx = inject_pick_thread(p);
		int64_t ret = 0;
		err = idx < 0 ? -ESRCH
			      : inject_plain_syscall(p, (size_t)idx, arch_sysno(ARCH_SYS_MUNMAP), args, &ret);
		if (!err && ret < 0)
			err = (int)ret;
	} else {
		err = r->saved ? inject_poke(p, r->base, r->saved, r->size) : 0;
	}
	if (err == -ESRCH && !inject_alive(p))
		err = 0;        /* nothing left to clean in a process that is gone */
	if (err)
		return err;
	rescue_free(p);
	return 0;
}

void rescue_free(struct inject_proc *p)
{
	if (!p->rescue)
		return;
	free(p->rescue->saved);
	free(p->rescue->j);
	free(p->rescue);
	p->rescue = NULL;
}
