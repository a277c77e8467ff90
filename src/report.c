/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- shared pieces -------------------------------------------------------- */

static enum op effective_op(const struct request *req)
{
	return req->op == OP_MAPS ? req->for_op : req->op;
}

/* NULL for OP_NONE: a command line that was not understood. */
static const char *op_name(enum op op)
{
	return op == OP_MAPS ? "maps" : op == OP_MOVE ? "move" : op == OP_COPY ? "copy" : NULL;
}

/* The hint of a per-process refusal: its own, else its reason's. */
static const char *refusal_hint(const struct proc_refusal *r)
{
	return r->hint[0] ? r->hint : reason_info(r->reason)->hint;
}

/* The error to report: an explicit one, or the plan's per-process refusal. */
void report_error_of(const struct report *r, const char **code, char *msg, size_t mlen,
		     const char **hint)
{
	*code = NULL;
	if (r->error) {
		*code = r->error->code;
		snprintf(msg, mlen, "%s", r->error->message);
		*hint = r->error->hint;
	} else if (r->plan && r->plan->error.reason) {
		const struct reason_info *ri = reason_info(r->plan->error.reason);
		*code = ri->code;
		snprintf(msg, mlen, "%s (%s)", ri->sentence, r->plan->error.detail);
		*hint = refusal_hint(&r->plan->error);
	}
}

void report_entry_message(const struct plan_entry *e, char *buf, size_t len)
{
	const struct reason_info *ri = reason_info(e->reason);
	if (e->detail[0])
		snprintf(buf, len, "%s (%s)", ri->sentence, e->detail);
	else
		snprintf(buf, len, "%s", ri->sentence);
}

/* The offset the kernel would show for a piece of a file VMA. */
static uint64_t piece_offset(const struct plan_entry *e)
{
	const struct vma *v = e->vma;
	return v->inode ? v->offset + (e->start - v->start) : v->offset;
}

void report_note_message(const struct plan_entry *e, char *buf, size_t len)
{
	const struct note_info *ni = note_info(e->note);

	if (!ni->code) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (e->note_detail)
		snprintf(buf, len, "%s (%s)", ni->sentence, e->note_detail);
	else
		snprintf(buf, len, "%s", ni->sentence);
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_hex(FILE *out, uint64_t v)
{
	if (v == ADDR_NONE)
		fputs("null", out);
	else
		fprintf(out, "\"0x%" PRIx64 "\"", v);
}

static void json_str_or_null(FILE *out, const char *s)
{
	if (s)
		text_json_string(out, s);
	else
		fputs("null", out);
}

static void json_proc(FILE *out, pid_t pid, const struct proc_facts *pf)
{
	if (!pid) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"pid\": %d, \"comm\": ", pid);
	json_str_or_null(out, pf && pf->comm[0] ? pf->comm : NULL);
	fputc('}', out);
}

static void json_range(FILE *out, uint64_t start, uint64_t end)
{
	if (start == ADDR_NONE) {
		fputs("null", out);
		return;
	}
	fputs("{\"start\": ", out);
	json_hex(out, start);
	fputs(", \"end\": ", out);
	json_hex(out, end);
	fputc('}', out);
}

static void json_entry(FILE *out, const struct plan_entry *e)
{
	const struct vma *v = e->vma;
	char msg[512];

	fputs("    {\"start\": ", out);
	json_hex(out, e->start);
	fputs(", \"end\": ", out);
	json_hex(out, e->end);
	fputs(", \"dest_start\": ", out);
	json_hex(out, e->dest_start);
	if (v) {
		fprintf(out, ", \"perms\": \"%s\", \"offset\": \"0x%" PRIx64 "\", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64 ", \"name\": ",
			v->perms, piece_offset(e), v->dev_major, v->dev_minor, v->inode);
		text_json_string(out, v->name);
	} else {
		fputs(", \"perms\": null, \"offset\": null, \"dev\": null, \"inode\": null, \"name\": null", out);
	}
	fputs(", \"kind\": ", out);
	json_str_or_null(out, plan_kind_name(e->kind));
	fprintf(out, ", \"size\": %" PRIu64 ", \"rss\": %" PRIu64 ", \"swap\": %" PRIu64 ", \"method\": ",
		e->end - e->start, e->rss, e->swap);
	json_str_or_null(out, plan_method_name(e->method));
	fprintf(out, ", \"status\": \"%s\", \"reason\": ", plan_status_name(e->status));
	json_str_or_null(out, reason_info(e->reason)->code);
	fputs(", \"message\": ", out);
	if (e->reason) {
		report_entry_message(e, msg, sizeof(msg));
		text_json_string(out, msg);
	} else {
		fputs("null", out);
	}
	fputs(", \"hint\": ", out);
	json_str_or_null(out, reason_info(e->reason)->hint);
	if (v && v->residue) {
		fputs(", \"residue\": ", out);
		json_hex(out, v->residue);
	}
	fprintf(out, ", \"bytes_copied\": %" PRIu64 ", \"live\": %s, \"note\": ", e->bytes_copied,
		e->live ? "true" : "false");
	if (e->note) {
		fputs("{\"code\": ", out);
		text_json_string(out, note_info(e->note)->code);
		fputs(", \"message\": ", out);
		report_note_message(e, msg, sizeof(msg));
		text_json_string(out, msg);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fputc('}', out);
}

static void json_seconds(FILE *out, double s)
{
	if (s < 0)
		fputs("null", out);
	else
		fprintf(out, "%.6f", s);
}

void report_json(FILE *out, const struct report *r)
{
	const struct request *req = r->req;
	const struct plan *p = r->plan;
	struct plan_summary s = { 0 };
	const char *code, *hint = NULL;
	char msg[768];

	if (p)
		plan_summarise(p, &s);
	fputs("{\n  \"pvmmap\": 1,\n  \"operation\": ", out);
	json_str_or_null(out, op_name(req->op));
	fprintf(out, ",\n  \"dry_run\": %s,\n  \"source\": ",
		req->op == OP_MAPS || req->dry_run ? "true" : "false");
	json_proc(out, req->pid, r->src);
	fputs(",\n  \"target\": ", out);
	json_proc(out, req->pid2, r->tgt);
	fputs(",\n  \"range\": ", out);
	json_range(out, req->has_range ? req->addr : ADDR_NONE, req->range_end);
	fputs(",\n  \"dest\": ", out);
	json_range(out, p ? p->dest_start : ADDR_NONE, p ? p->dest_end : ADDR_NONE);
	fputs(",\n  \"vmas\": [", out);
	for (size_t i = 0; p && i < p->n; i++) {
		fputs(i ? ",\n" : "\n", out);
		json_entry(out, &p->e[i]);
	}
	fputs(p && p->n ? "\n  ],\n" : "],\n", out);
	fprintf(out, "  \"summary\": {\"vmas\": %zu, \"done\": %zu, \"refused\": %zu, \"failed\": %zu, "
		"\"deferred\": %zu, \"skipped\": %zu, "
		"\"bytes_copied\": %" PRIu64 ", \"bytes_shared\": %" PRIu64 ", \"elapsed_s\": ",
		s.vmas, s.done, s.refused, s.failed + s.rolled_back, s.deferred, s.skipped, s.bytes_copied,
		s.bytes_shared);
	json_seconds(out, r->elapsed_s);
	fputs(", \"source_paused_s\": ", out);
	json_seconds(out, r->paused_s);
	if (req->op != OP_MAPS)
		fprintf(out, ", \"rounds\": %u, \"bytes_recopied\": %" PRIu64, r->rounds,
			r->bytes_recopied);
	fputs("},\n", out);
	if (req->op == OP_MAPS) {
		fputs("  \"blockers\": [", out);
		for (int i = 0; p && i < p->nblockers; i++) {
			const struct reason_info *ri = reason_info(p->blockers[i].reason);
			fprintf(out, "%s{\"code\": \"%s\", \"pid\": %d, \"message\": ", i ? ", " : "", ri->code,
				p->blockers[i].pid);
			snprintf(msg, sizeof(msg), "%s (%s)", ri->sentence, p->blockers[i].detail);
			text_json_string(out, msg);
			fputs(", \"hint\": ", out);
			json_str_or_null(out, refusal_hint(&p->blockers[i]));
			fputc('}', out);
		}
		fputs("],\n", out);
	}
	report_error_of(r, &code, msg, sizeof(msg), &hint);
	fputs("  \"error\": ", out);
	if (code) {
		fputs("{\"code\": ", out);
		text_json_string(out, code);
		fputs(", \"message\": ", out);
		text_json_string(out, msg);
		fputs(", \"hint\": ", out);
		json_str_or_null(out, hint);
		fputs("}", out);
	} else {
		fputs("null", out);
	}
	fputs("\n}\n", out);
}

/* ---- text ------------------------------------------------------------------- */

/*
 * Where the table goes: a terminal gets lines that fit its width; anything
 * else (a pipe, a file) gets one line per row, reason and hint, never
 * wrapped nor cut, so that grep and cut see whole records.
 */
struct text {
	FILE *f;
	int width;               /* 0: never wrap */
};

static int terminal_width(FILE *f)
{
	struct winsize ws;

	if (!isatty(fileno(f)))
		return 0;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

/* Columns of UTF-8 text (one per code point: names and messages hold no
 * wide characters that pvmmap could measure better without a locale). */
static size_t text_columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* @text on one line, or wrapped at word boundaries to the terminal's width,
 * every line indented by @indent. */
static void text_line(const struct text *t, int indent, const char *text)
{
	char buf[2048];
	const char *p = buf;
	int col = 0;

	text_escape(buf, sizeof(buf), text);
	if (!t->width || indent + (int)text_columns(buf) <= t->width) {
		fprintf(t->f, "%*s%s\n", indent, "", buf);
		return;
	}
	while (*p) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (!w)
			break;
		char word[2048];
		snprintf(word, sizeof(word), "%.*s", (int)w, p);
		int cols = (int)text_columns(word);
		if (col && col + 1 + cols > t->width) {
			fputc('\n', t->f);
			col = 0;
		}
		if (!col)
			col = fprintf(t->f, "%*s", indent, "");
		else
			col += fprintf(t->f, " ");
		fputs(word, t->f);
		col += cols;
		p += w;
	}
	fputc('\n', t->f);
}

static void text_reason(const struct text *t, const char *code, const char *sentence, const char *detail,
			const char *hint, int indent)
{
	char buf[1024];

	if (detail && detail[0])
		snprintf(buf, sizeof(buf), "%s: %s (%s)", code, sentence, detail);
	else
		snprintf(buf, sizeof(buf), "%s: %s", code, sentence);
	text_line(t, indent, buf);
	if (hint) {
		snprintf(buf, sizeof(buf), "hint: %s", hint);
		text_line(t, indent + 2, buf);
	}
}

/* A diagnostic: "pvmmap: CODE: message" and "  hint: ..." on stderr, one
 * line each whatever their length: a line per fact for logs and grep. */
static void text_diagnostic(FILE *err, const char *code, const char *message, const char *hint)
{
	fprintf(err, "pvmmap: %s: ", code);
	text_write_name(err, message);
	fputc('\n', err);
	if (hint) {
		fputs("  hint: ", err);
		text_write_name(err, hint);
		fputc('\n', err);
	}
}

/* How the VMA's pages travel, or what became of it instead. */
static void text_method(const struct plan_entry *e, char *buf, size_t len)
{
	if (e->status == STATUS_OK || e->status == STATUS_DONE)
		snprintf(buf, len, "%s", plan_method_name(e->method));
	else
		snprintf(buf, len, "%s", plan_status_name(e->status));
}

#define ROW_PREFIX 53            /* the columns before NAME */

/* A name on a terminal too narrow for it keeps its tail: "...lib/libc.so.6". */
static void text_name(const struct text *t, const char *name)
{
	char buf[1024];
	const char *p = buf;

	text_escape(buf, sizeof(buf), name);
	if (t->width && t->width - ROW_PREFIX >= 16) {
		size_t room = (size_t)(t->width - ROW_PREFIX), n = text_columns(buf);
		if (n > room) {
			/* past n - (room - 3) code points, to a code point's start */
			for (size_t skip = n - (room - 3); skip; skip--)
				for (p++; ((unsigned char)*p & 0xc0) == 0x80; p++)
					;
			fputs("...", t->f);
		}
	}
	fputs(p, t->f);
}

/* The destination of each piece is the header's address plus its offset in
 * the range, so the table keeps pmap's columns and fits 80 columns. */
static void text_entry(const struct text *t, const struct plan_entry *e)
{
	char size[16], rss[16], method[16], buf[400];

	text_format_size(size, sizeof(size), e->end - e->start);
	text_format_size(rss, sizeof(rss), e->rss);
	text_method(e, method, sizeof(method));
	fprintf(t->f, "%016" PRIx64 " %-4s %-7s %6s %6s %-8s ", e->start, e->vma ? e->vma->perms : "",
		plan_kind_name(e->kind) ?: "-", size, e->vma ? rss : "", method);
	if (e->vma)
		text_name(t, e->vma->name);
	fputc('\n', t->f);
	/* A skipped row's reason is the summary's "all or nothing". */
	if (e->reason && e->status != STATUS_SKIPPED) {
		const struct reason_info *ri = reason_info(e->reason);
		text_reason(t, ri->code, ri->sentence, e->detail, ri->hint, 4);
	}
	if (e->note) {
		char note[512];
		report_note_message(e, buf, sizeof(buf));
		snprintf(note, sizeof(note), "note: %s", buf);
		text_line(t, 4, note);
	}
	if (e->vma && e->vma->residue) {
		snprintf(buf, sizeof(buf), "note: rescue code of a pvmmap that was killed is left at 0x%" PRIx64
			 " (inert; pvmmap clean removes it)", e->vma->residue);
		text_line(t, 4, buf);
	}
}

/* -q: a refused (or deferred) VMA as a diagnostic of its own. */
static void text_entry_diagnostic(FILE *err, const struct plan_entry *e)
{
	const struct reason_info *ri = reason_info(e->reason);
	char msg[1024], what[1200];

	report_entry_message(e, msg, sizeof(msg));
	snprintf(what, sizeof(what), "%016" PRIx64 "-%016" PRIx64 "%s%s: %s", e->start, e->end,
		 e->vma && e->vma->name[0] ? " " : "", e->vma ? e->vma->name : "", msg);
	text_diagnostic(err, ri->code, what, ri->hint);
}

/* The summary's verdict ("nothing copied: 3 VMAs refused (...)"), which is
 * also a refusal's one line on stderr; the table's summary puts the sizes
 * before it.  @sizes: "4 VMAs, 3M mapped, 3M resident: ", or "" when the
 * range holds no mapping at all. */
static void summary_sentence(const struct report *r, const struct plan_summary *s, char *sizes, size_t slen,
			     char *buf, size_t blen)
{
	const struct plan *p = r->plan;
	enum op op = effective_op(r->req);
	bool planned = r->req->op == OP_MAPS || r->req->dry_run;
	const char *verb = op == OP_MOVE ? "move" : "copy";
	const char *past = op == OP_MOVE ? "moved" : "copied";
	char size[16], rss[16], methods[128] = "";
	size_t per_method[METHOD_REMAP + 1] = { 0 };
	size_t n = 0, gaps = 0;

	for (size_t i = 0; i < p->n; i++) {
		gaps += !p->e[i].vma;
		if (p->e[i].status == STATUS_OK || p->e[i].status == STATUS_DONE)
			per_method[p->e[i].method]++;
	}
	for (int m = METHOD_COPY; m <= METHOD_REMAP; m++)
		if (per_method[m] && n < sizeof(methods))
			n += (size_t)snprintf(methods + n, sizeof(methods) - n, "%s%zu %s", n ? ", " : " (",
					      per_method[m], plan_method_name(m));
	sizes[0] = '\0';
	if (p->n && gaps == p->n) {
		/* nothing at all is mapped in the range */
		snprintf(buf, blen, "Nothing is mapped at 0x%" PRIx64 "-0x%" PRIx64 " in process %d%s.",
			 p->e[0].start, p->e[p->n - 1].end, r->req->pid,
			 r->req->op == OP_MAPS ? "" : op == OP_MOVE ? ": nothing to move" : ": nothing to copy");
		return;
	}
	text_format_size(size, sizeof(size), s->size);
	text_format_size(rss, sizeof(rss), s->rss);
	snprintf(sizes, slen, "%zu %s, %s mapped, %s resident: ", s->vmas, s->vmas == 1 ? "VMA" : "VMAs",
		 size, rss);
	if (s->skipped) {
		/* all or nothing, and something was refused: say so */
		char other[32];
		if (s->skipped == 1)
			snprintf(other, sizeof(other), "other one");
		else
			snprintf(other, sizeof(other), "other %zu", s->skipped);
		snprintf(buf, blen,
			 "nothing %s%s: %zu %s refused (all or nothing; --partial would %s the %s).",
			 planned ? "would be " : "", past, s->refused, s->refused == 1 ? "VMA" : "VMAs", verb, other);
	} else if (!planned && !s->done && !s->failed && !s->rolled_back) {
		snprintf(buf, blen, "nothing %s: %zu %s refused.", past, s->refused,
			 s->refused == 1 ? "VMA" : "VMAs");
	} else {
		char deferred[64] = "";
		if (s->deferred)
			snprintf(deferred, sizeof(deferred), ", %zu to be checked by the %s itself", s->deferred, verb);
		snprintf(buf, blen, "%zu %s%s%s%s, %zu refused, %zu failed.",
			 s->ok + s->done, planned ? (op == OP_MOVE ? "can be moved" : "can be copied") : past,
			 methods, n ? ")" : "", deferred, s->refused, s->failed + s->rolled_back);
	}
}

static void text_header(const struct text *t, const struct report *r)
{
	const struct request *req = r->req;
	const struct plan *p = r->plan;
	char buf[512], dest[64];

	if (req->op == OP_MAPS) {
		if (req->pid2)
			snprintf(buf, sizeof(buf), "%d: %s  (verdicts to %s into %d: %s)", req->pid,
				 r->src ? r->src->comm : "?", op_name(req->for_op), req->pid2, r->tgt ? r->tgt->comm : "?");
		else
			snprintf(buf, sizeof(buf), "%d: %s  (verdicts to %s; add --to PID2 for the target's rules)",
				 req->pid, r->src ? r->src->comm : "?", op_name(req->for_op));
		text_line(t, 0, buf);
		return;
	}
	if (p && p->dest_start != ADDR_NONE)
		snprintf(dest, sizeof(dest), "0x%" PRIx64, p->dest_start);
	else
		snprintf(dest, sizeof(dest), "an address the kernel chooses");
	snprintf(buf, sizeof(buf), "%s%s 0x%" PRIx64 "-0x%" PRIx64 " of %d (%s) to %d (%s) at %s",
		 req->dry_run ? "dry run: " : "", op_name(req->op), req->addr, req->range_end, req->pid,
		 r->src ? r->src->comm : "?", req->pid2, r->tgt ? r->tgt->comm : "?", dest);
	text_line(t, 0, buf);
}

/*
 * The table and its summary on @out; on @err, what a script's caller must
 * see even when stdout goes elsewhere: an error, or for a refusal (or a
 * dry run that defers checks) one line that says so.  -q leaves only @err.
 */
void report_text(FILE *out, FILE *err, const struct report *r)
{
	const struct request *req = r->req;
	const struct plan *p = r->plan;
	const struct text t = { .f = out, .width = terminal_width(out) };
	const char *code, *hint = NULL;
	char msg[768], sizes[128], summary[512];
	struct plan_summary s;

	report_error_of(r, &code, msg, sizeof(msg), &hint);
	if (code) {
		text_diagnostic(err, code, msg, hint);
		return;
	}
	if (!p)
		return;
	plan_summarise(p, &s);
	summary_sentence(r, &s, sizes, sizeof(sizes), summary, sizeof(summary));
	if (req->quiet && req->op != OP_MAPS) {
		for (size_t i = 0; i < p->n; i++)
			if (p->e[i].status == STATUS_REFUSED || p->e[i].status == STATUS_DEFERRED)
				text_entry_diagnostic(err, &p->e[i]);
	} else {
		text_header(&t, r);
		fprintf(out, "%-16s %-4s %-7s %6s %6s %-8s %s\n", "ADDRESS", "PERM", "KIND", "SIZE", "RSS",
			"METHOD", "NAME");
		for (size_t i = 0; i < p->n; i++)
			text_entry(&t, &p->e[i]);
		snprintf(msg, sizeof(msg), "%s%s", sizes, summary);
		text_line(&t, 0, msg);
		for (int i = 0; i < p->nblockers; i++) {
			const struct reason_info *ri = reason_info(p->blockers[i].reason);
			char buf[128];
			snprintf(buf, sizeof(buf), "Any %s would be refused for process %d:",
				 op_name(effective_op(req)), p->blockers[i].pid);
			text_line(&t, 0, buf);
			text_reason(&t, ri->code, ri->sentence, p->blockers[i].detail,
				    refusal_hint(&p->blockers[i]), 2);
		}
	}
}

void report_text_verdict(FILE *err, const struct report *r)
{
	const struct request *req = r->req;
	const char *code, *hint, *verdict = NULL;
	char msg[768], sizes[128], summary[512];
	struct plan_summary s;

	report_error_of(r, &code, msg, sizeof(msg), &hint);
	if (code || !r->plan || req->op == OP_MAPS)
		return;
	plan_summarise(r->plan, &s);
	if (s.refused)
		verdict = "refused";
	else if (req->dry_run && s.deferred)
		verdict = "deferred";
	if (!verdict)
		return;
	summary_sentence(r, &s, sizes, sizeof(sizes), summary, sizeof(summary));
	text_diagnostic(err, verdict, summary, NULL);
}

/* ---- clean ------------------------------------------------------------------ */

void report_clean_json(FILE *out, const struct proc_facts *pf, const uint64_t *removed, size_t n,
		       const struct report_error *e)
{
	fputs("{\"pvmmap\": 1, \"operation\": \"clean\", \"source\": ", out);
	if (pf) {
		fprintf(out, "{\"pid\": %d, \"comm\": ", (int)pf->pid);
		text_json_string(out, pf->comm);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fputs(", \"removed\": [", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s\"0x%" PRIx64 "\"", i ? ", " : "", removed[i]);
	fputs("], \"error\": ", out);
	if (e && e->code) {
		fprintf(out, "{\"code\": \"%s\", \"message\": ", e->code);
		text_json_string(out, e->message);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fputs("}\n", out);
}

void report_clean_text(FILE *out, FILE *err, const struct proc_facts *pf, const uint64_t *removed,
		       size_t n, const struct report_error *e, bool quiet)
{
	if (e && e->code) {
		fprintf(err, "pvmmap: %s: %s\n", e->code, e->message);
		return;
	}
	if (quiet || !pf)
		return;
	if (!n)
		fprintf(out, "process %d (%s) holds nothing a killed pvmmap left\n", (int)pf->pid, pf->comm);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "removed the rescue code a killed pvmmap left at 0x%" PRIx64 " in process %d (%s)\n",
			removed[i], (int)pf->pid, pf->comm);
}
