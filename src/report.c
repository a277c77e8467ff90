/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

/* ---- strings ------------------------------------------------------------ */

/*
 * Length of the valid UTF-8 sequence at @s, or 0 when the byte there does not
 * start one (overlong forms, surrogates and values past U+10FFFF included:
 * RFC 3629).
 */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_write_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n = utf8_seq(s);
		if (n == 0) {
			/* A lone surrogate is valid JSON text and lets Python's
			 * os.fsencode give back the exact bytes. */
			fprintf(out, "\\udc%02x", *s++);
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, out);
			s += n;
			continue;
		}
		switch (*s) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				fprintf(out, "\\u%04x", *s);
			else
				fputc(*s, out);
		}
		s++;
	}
	fputc('"', out);
}

/* A name for a terminal: control bytes and invalid UTF-8 shown as \xNN. */
static void text_write_name(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_seq(s);
		if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f)) ||
		    (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* C1 controls */) {
			fprintf(out, "\\x%02x", *s++);
			continue;
		}
		fwrite(s, 1, n, out);
		s += n;
	}
}

void format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	int u = 0;
	uint64_t whole = bytes, rest = 0;

	while (whole >= 1024 && u < 6) {
		rest = whole % 1024;
		whole /= 1024;
		u++;
	}
	if (u && whole < 10 && rest)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", whole, rest * 10 / 1024, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[u]);
}

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
static void current_error(const struct report *r, const char **code, char *msg, size_t mlen,
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

static void entry_message(const struct plan_entry *e, char *buf, size_t len)
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
		json_write_string(out, s);
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
		json_write_string(out, v->name);
	} else {
		fputs(", \"perms\": null, \"offset\": null, \"dev\": null, \"inode\": null, \"name\": null", out);
	}
	fputs(", \"kind\": ", out);
	json_str_or_null(out, kind_name(e->kind));
	fprintf(out, ", \"size\": %" PRIu64 ", \"rss\": %" PRIu64 ", \"swap\": %" PRIu64 ", \"method\": ",
		e->end - e->start, e->rss, e->swap);
	json_str_or_null(out, method_name(e->method));
	fprintf(out, ", \"status\": \"%s\", \"reason\": ", status_name(e->status));
	json_str_or_null(out, reason_info(e->reason)->code);
	fputs(", \"message\": ", out);
	if (e->reason) {
		entry_message(e, msg, sizeof(msg));
		json_write_string(out, msg);
	} else {
		fputs("null", out);
	}
	fputs(", \"hint\": ", out);
	json_str_or_null(out, reason_info(e->reason)->hint);
	if (v && v->residue) {
		fputs(", \"residue\": ", out);
		json_hex(out, v->residue);
	}
	fprintf(out, ", \"bytes_copied\": %" PRIu64 "}", e->bytes_copied);
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
	fputs("},\n", out);
	if (req->op == OP_MAPS) {
		fputs("  \"blockers\": [", out);
		for (int i = 0; p && i < p->nblockers; i++) {
			const struct reason_info *ri = reason_info(p->blockers[i].reason);
			fprintf(out, "%s{\"code\": \"%s\", \"pid\": %d, \"message\": ", i ? ", " : "", ri->code,
				p->blockers[i].pid);
			snprintf(msg, sizeof(msg), "%s (%s)", ri->sentence, p->blockers[i].detail);
			json_write_string(out, msg);
			fputs(", \"hint\": ", out);
			json_str_or_null(out, refusal_hint(&p->blockers[i]));
			fputc('}', out);
		}
		fputs("],\n", out);
	}
	current_error(r, &code, msg, sizeof(msg), &hint);
	fputs("  \"error\": ", out);
	if (code) {
		fputs("{\"code\": ", out);
		json_write_string(out, code);
		fputs(", \"message\": ", out);
		json_write_string(out, msg);
		fputs(", \"hint\": ", out);
		json_str_or_null(out, hint);
		fputs("}", out);
	} else {
		fputs("null", out);
	}
	fputs("\n}\n", out);
}

/* ---- text ------------------------------------------------------------------- */

#define WRAP_COLUMNS 80

/* @text wrapped at word boundaries, every line indented by @indent. */
static void text_wrapped(FILE *out, int indent, const char *text)
{
	const char *p = text;
	int col = 0;

	while (*p) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (!w)
			break;
		if (col && col + 1 + (int)w > WRAP_COLUMNS) {
			fputc('\n', out);
			col = 0;
		}
		if (!col)
			col = fprintf(out, "%*s", indent, "");
		else
			col += fprintf(out, " ");
		col += (int)fwrite(p, 1, w, out);
		p += w;
	}
	fputc('\n', out);
}

static void text_reason(FILE *out, const char *code, const char *sentence, const char *detail,
			const char *hint, int indent)
{
	char buf[1024];

	if (detail && detail[0])
		snprintf(buf, sizeof(buf), "%s: %s (%s)", code, sentence, detail);
	else
		snprintf(buf, sizeof(buf), "%s: %s", code, sentence);
	text_wrapped(out, indent, buf);
	if (hint) {
		snprintf(buf, sizeof(buf), "hint: %s", hint);
		text_wrapped(out, indent + 2, buf);
	}
}

static void text_verdict(const struct plan_entry *e, char *buf, size_t len)
{
	if (e->status == STATUS_OK || e->status == STATUS_DONE)
		snprintf(buf, len, "%s", method_name(e->method));
	else
		snprintf(buf, len, "%s", status_name(e->status));
}

/* The destination of each piece is the header's address plus its offset in
 * the range, so the table keeps pmap's columns and fits 80 columns. */
static void text_entry(FILE *out, const struct plan_entry *e)
{
	char size[16], rss[16], verdict[16];

	format_size(size, sizeof(size), e->end - e->start);
	format_size(rss, sizeof(rss), e->rss);
	text_verdict(e, verdict, sizeof(verdict));
	fprintf(out, "%016" PRIx64 " ", e->start);
	fprintf(out, "%-4s %-7s %6s %6s %-8s ", e->vma ? e->vma->perms : "", kind_name(e->kind) ?: "-",
		size, e->vma ? rss : "", verdict);
	if (e->vma)
		text_write_name(out, e->vma->name);
	fputc('\n', out);
	/* A skipped row's reason is the summary's "all or nothing". */
	if (e->reason && e->status != STATUS_SKIPPED) {
		const struct reason_info *ri = reason_info(e->reason);
		text_reason(out, ri->code, ri->sentence, e->detail, ri->hint, 4);
	}
	if (e->vma && e->vma->residue)
		fprintf(out, "    note: rescue code of a pvmmap that was killed is left at 0x%" PRIx64
			" (inert; pvmmap clean removes it)\n", e->vma->residue);
}

static void text_summary(FILE *out, const struct report *r, const struct plan_summary *s)
{
	const struct plan *p = r->plan;
	enum op op = effective_op(r->req);
	bool planned = r->req->op == OP_MAPS || r->req->dry_run;
	const char *verb = op == OP_MOVE ? "move" : "copy";
	const char *past = op == OP_MOVE ? "moved" : "copied";
	char size[16], rss[16], methods[128] = "", buf[512];
	size_t per_method[METHOD_REMAP + 1] = { 0 };
	size_t n = 0, gaps = 0;
	int len;

	for (size_t i = 0; i < p->n; i++) {
		gaps += !p->e[i].vma;
		if (p->e[i].status == STATUS_OK || p->e[i].status == STATUS_DONE)
			per_method[p->e[i].method]++;
	}
	for (int m = METHOD_COPY; m <= METHOD_REMAP; m++)
		if (per_method[m] && n < sizeof(methods))
			n += (size_t)snprintf(methods + n, sizeof(methods) - n, "%s%zu %s", n ? ", " : " (",
					      per_method[m], method_name(m));
	if (p->n && gaps == p->n) {
		/* nothing at all is mapped in the range */
		snprintf(buf, sizeof(buf), "Nothing is mapped at 0x%" PRIx64 "-0x%" PRIx64 " in process %d%s.",
			 p->e[0].start, p->e[p->n - 1].end, r->req->pid,
			 r->req->op == OP_MAPS ? "" : op == OP_MOVE ? ": nothing to move" : ": nothing to copy");
		text_wrapped(out, 0, buf);
		return;
	}
	format_size(size, sizeof(size), s->size);
	format_size(rss, sizeof(rss), s->rss);
	len = snprintf(buf, sizeof(buf), "%zu %s, %s mapped, %s resident: ", s->vmas, s->vmas == 1 ? "VMA" : "VMAs",
		       size, rss);
	if (len < 0 || (size_t)len >= sizeof(buf))
		len = 0;
	if (s->skipped) {
		/* all or nothing, and something was refused: say so */
		char other[32];
		if (s->skipped == 1)
			snprintf(other, sizeof(other), "other one");
		else
			snprintf(other, sizeof(other), "other %zu", s->skipped);
		snprintf(buf + len, sizeof(buf) - (size_t)len,
			 "nothing %s%s: %zu %s refused (all or nothing; --partial would %s the %s).",
			 planned ? "would be " : "", past, s->refused, s->refused == 1 ? "VMA" : "VMAs", verb, other);
	} else if (!planned && !s->done && !s->failed && !s->rolled_back) {
		snprintf(buf + len, sizeof(buf) - (size_t)len, "nothing %s: %zu %s refused.", past, s->refused,
			 s->refused == 1 ? "VMA" : "VMAs");
	} else {
		char deferred[64] = "";
		if (s->deferred)
			snprintf(deferred, sizeof(deferred), ", %zu to be checked by the %s itself", s->deferred, verb);
		snprintf(buf + len, sizeof(buf) - (size_t)len, "%zu %s%s%s%s, %zu refused, %zu failed.",
			 s->ok + s->done, planned ? (op == OP_MOVE ? "can be moved" : "can be copied") : past,
			 methods, n ? ")" : "", deferred, s->refused, s->failed + s->rolled_back);
	}
	text_wrapped(out, 0, buf);
}

static void text_header(FILE *out, const struct report *r)
{
	const struct request *req = r->req;
	const struct plan *p = r->plan;

	if (req->op == OP_MAPS) {
		fprintf(out, "%d: %s", req->pid, r->src ? r->src->comm : "?");
		if (req->pid2)
			fprintf(out, "  (verdicts to %s into %d: %s)", op_name(req->for_op), req->pid2,
				r->tgt ? r->tgt->comm : "?");
		else
			fprintf(out, "  (verdicts to %s; add --to PID2 for the target's rules)", op_name(req->for_op));
		fputc('\n', out);
		return;
	}
	fprintf(out, "%s%s 0x%" PRIx64 "-0x%" PRIx64 " of %d (%s) to %d (%s) at ", req->dry_run ? "dry run: " : "",
		op_name(req->op), req->addr, req->range_end, req->pid, r->src ? r->src->comm : "?", req->pid2,
		r->tgt ? r->tgt->comm : "?");
	if (p && p->dest_start != ADDR_NONE)
		fprintf(out, "0x%" PRIx64 "\n", p->dest_start);
	else
		fputs("an address the kernel chooses\n", out);
}

void report_text(FILE *out, FILE *err, const struct report *r)
{
	const struct request *req = r->req;
	const struct plan *p = r->plan;
	const char *code, *hint = NULL;
	char msg[768];
	struct plan_summary s;

	current_error(r, &code, msg, sizeof(msg), &hint);
	if (code) {
		fprintf(err, "pvmmap: ");
		text_reason(err, code, msg, NULL, hint, 0);
		return;
	}
	if (!p)
		return;
	plan_summarise(p, &s);
	if (req->quiet && req->op != OP_MAPS) {
		/* Quiet: refusals still reach the user, on stderr. */
		for (size_t i = 0; i < p->n; i++)
			if (p->e[i].status == STATUS_REFUSED || p->e[i].status == STATUS_DEFERRED)
				text_entry(err, &p->e[i]);
		return;
	}
	text_header(out, r);
	fprintf(out, "%-16s %-4s %-7s %6s %6s %-8s %s\n", "ADDRESS", "PERM", "KIND", "SIZE", "RSS",
		"VERDICT", "NAME");
	for (size_t i = 0; i < p->n; i++)
		text_entry(out, &p->e[i]);
	text_summary(out, r, &s);
	for (int i = 0; i < p->nblockers; i++) {
		const struct reason_info *ri = reason_info(p->blockers[i].reason);
		fprintf(out, "Any %s would be refused for process %d:\n", op_name(effective_op(req)),
			p->blockers[i].pid);
		text_reason(out, ri->code, ri->sentence, p->blockers[i].detail, refusal_hint(&p->blockers[i]), 2);
	}
}
