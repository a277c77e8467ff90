/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pvmmap: move or copy memory mappings between live processes.
 *
 * main.c is the thin caller: it turns argv into a request, gathers the facts,
 * has the planner decide and the reporter speak, and maps the outcome to the
 * contract's exit status.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "args.h"
#include "plan.h"
#include "proc.h"
#include "report.h"
#include "transfer.h"

enum exit_status {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_PROCESS = 3,
	EXIT_ROLLED_BACK = 4,
	EXIT_LEFT_OVER = 5,
	EXIT_DEFERRED = 6,       /* dry run: nothing refused, but the move itself
				    must check some pieces (status deferred) */
	EXIT_WRITE = 7,          /* done as 0 (or 6) says, but the report could
				    not be written to stdout */
};

const char *argp_program_version = "pvmmap " PVMMAP_VERSION;
const char *argp_program_bug_address = NULL;

/* Option keys without a short form. */
enum {
	OPT_USAGE = 0x100, OPT_FOR, OPT_AT, OPT_REPLACE, OPT_PARTIAL,
	OPT_JSON, OPT_TIMEOUT, OPT_CROSS_USER, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_FORCE,
};

struct cli {
	struct request req;
	bool clean;              /* the clean command (req.op is OP_MAPS) */
	bool help_done;          /* --help, --usage or --version printed */
	const char *range_arg;   /* ADDR given as START-END: no LEN follows */
	bool cmd_known;          /* usage errors point at the command's --help */
	const char *cmd;
	char **rest;             /* argv from the command name on */
	int nrest;
	int nargs;               /* positional arguments seen by the command */
	long page_size;
};

/* ---- the command line ------------------------------------------------------ */

static int usage_errno(struct argp_state *st, const char *what, const char *arg, int err)
{
	argp_error(st, "%s '%s': %s", what, arg,
		   arg_negative(arg) ? "negative numbers are not allowed" :
		   err == -ERANGE ? "out of range" : "not a valid number");
	return EINVAL;
}

static int opt_common(int key, struct argp_state *st, struct cli *c)
{
	switch (key) {
	case 'h':
		argp_state_help(st, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK);
		c->help_done = true;
		return 0;
	case OPT_USAGE:
		argp_state_help(st, stdout, ARGP_HELP_USAGE);
		c->help_done = true;
		return 0;
	case OPT_JSON:
		c->req.json = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static bool page_aligned(const struct cli *c, uint64_t v)
{
	return !(v & (uint64_t)(c->page_size - 1));
}

static int parse_addr_arg(struct argp_state *st, struct cli *c, const char *what, const char *arg,
			  uint64_t *out)
{
	bool decimal;
	uint64_t hex;
	int r = parse_addr(arg, out, &decimal);

	if (r)
		return usage_errno(st, what, arg, r);
	if (!page_aligned(c, *out)) {
		/* "555555554000" pasted from /proc/PID/maps reads as decimal
		 * (as the contract says); say how to mean hex. */
		char alt[64] = "";
		if (decimal && strlen(arg) < 40 && parse_u64(arg, &hex) == 0 &&
		    snprintf(alt, sizeof(alt), "0x%s", arg) > 0 && parse_u64(alt, &hex) == 0 && page_aligned(c, hex))
			argp_error(st, "%s '%s' is not page aligned (pages are %ld bytes); if it is hex, write %s",
				   what, arg, c->page_size, alt);
		else
			argp_error(st, "%s '%s' is not page aligned (pages are %ld bytes)", what, arg, c->page_size);
		return EINVAL;
	}
	return 0;
}

/* ADDR as START-END (a line's first field): the range itself. */
static int parse_range_arg(struct argp_state *st, struct cli *c, const char *arg)
{
	struct request *req = &c->req;
	uint64_t start, end;

	if (parse_range(arg, &start, &end)) {
		argp_error(st, "range '%s': expected START-END in hex, as /proc/PID/maps prints it", arg);
		return EINVAL;
	}
	if (!page_aligned(c, start) || !page_aligned(c, end)) {
		argp_error(st, "range '%s' is not page aligned (pages are %ld bytes)", arg, c->page_size);
		return EINVAL;
	}
	if (end <= start) {
		argp_error(st, "range '%s' is empty: it ends where or before it starts", arg);
		return EINVAL;
	}
	req->addr = start;
	req->len = end - start;
	c->range_arg = arg;
	return 0;
}

static int parse_positional(struct argp_state *st, struct cli *c, const char *arg)
{
	struct request *req = &c->req;
	int r;

	switch (c->nargs++) {
	case 0:
		r = parse_pid(arg, &req->pid);
		return r ? usage_errno(st, "PID", arg, r) : 0;
	case 1:
		if (c->clean)
			break;
		req->has_range = true;
		req->len = (uint64_t)c->page_size;
		if (arg[0] != '-' && strchr(arg, '-'))
			return parse_range_arg(st, c, arg);
		return parse_addr_arg(st, c, "address", arg, &req->addr);
	case 2:
		if (c->clean)
			break;
		if (c->range_arg) {
			argp_error(st, "length '%s' given after the range '%s'", arg, c->range_arg);
			return EINVAL;
		}
		r = parse_len(arg, &req->len);
		if (r == -EINVAL && !arg_negative(arg)) {
			argp_error(st, "length '%s': not a valid number (%s)", arg, len_suffixes);
			return EINVAL;
		}
		if (r)
			return usage_errno(st, "length", arg, r);
		if (req->len == 0) {
			argp_error(st, "length '%s' is zero", arg);
			return EINVAL;
		}
		/* mmap rounds a length up to whole pages; so does pvmmap. */
		if (req->len > UINT64_MAX - (uint64_t)(c->page_size - 1)) {
			argp_error(st, "length '%s' is too large", arg);
			return EINVAL;
		}
		req->len = (req->len + (uint64_t)c->page_size - 1) & ~(uint64_t)(c->page_size - 1);
		return 0;
	}
	argp_error(st, "unexpected argument '%s'", arg);
	return EINVAL;
}

static int check_complete(struct argp_state *st, struct cli *c)
{
	struct request *req = &c->req;
	int need = req->op == OP_MAPS ? 1 : c->range_arg ? 2 : 3;
	static const char *const names[] = { "PID", "ADDR", "LEN" };

	if (c->help_done)
		return 0;
	if (c->nargs < need) {
		argp_error(st, "missing %s", names[c->nargs]);
		return EINVAL;
	}
	if (c->clean && req->pid2) {
		argp_error(st, "clean takes no --to");
		return EINVAL;
	}
	if (req->op != OP_MAPS && !req->pid2) {
		argp_error(st, "missing --to PID2 (the process that receives the range)");
		return EINVAL;
	}
	if (req->has_range) {
		if (req->addr > UINT64_MAX - req->len) {
			argp_error(st, "the range 0x%llx + 0x%llx passes the end of the address space",
				   (unsigned long long)req->addr, (unsigned long long)req->len);
			return EINVAL;
		}
		req->range_end = req->addr + req->len;
	}
	if (!req->at_any && req->at != ADDR_NONE && req->has_range && req->at > UINT64_MAX - req->len) {
		argp_error(st, "--at 0x%llx + the length passes the end of the address space",
			   (unsigned long long)req->at);
		return EINVAL;
	}
	return 0;
}

static error_t parse_cmd_opt(int key, char *arg, struct argp_state *st)
{
	struct cli *c = st->input;
	struct request *req = &c->req;
	int r = opt_common(key, st, c);

	if (r != ARGP_ERR_UNKNOWN)
		return r;
	switch (key) {
	case 't':
		r = parse_pid(arg, &req->pid2);
		return r ? usage_errno(st, "--to", arg, r) : 0;
	case OPT_FOR:
		if (strcmp(arg, "move") == 0)
			req->for_op = OP_MOVE;
		else if (strcmp(arg, "copy") == 0)
			req->for_op = OP_COPY;
		else {
			argp_error(st, "--for '%s': expected move or copy", arg);
			return EINVAL;
		}
		return 0;
	case OPT_AT:
		if (strcmp(arg, "any") == 0) {
			req->at_any = true;
			req->at = ADDR_NONE;
			return 0;
		}
		req->at_any = false;
		return parse_addr_arg(st, c, "--at", arg, &req->at);
	case OPT_REPLACE: req->replace = true; return 0;
	case OPT_PARTIAL: req->partial = true; return 0;
	case 'n': req->dry_run = true; return 0;
	case 'q': req->quiet = true; return 0;
	case OPT_CROSS_USER: req->allow_cross_user = true; return 0;
	case OPT_FORCE: req->force = true; return 0;
	case OPT_PROGRESS: req->progress = 1; return 0;
	case OPT_NO_PROGRESS: req->progress = 0; return 0;
	case OPT_TIMEOUT:
		r = parse_seconds(arg, &req->timeout_s);
		if (r && arg_negative(arg))
			return usage_errno(st, "--timeout", arg, r);
		if (r) {
			argp_error(st, "--timeout '%s': expected seconds, more than 0 and at most 86400", arg);
			return EINVAL;
		}
		return 0;
	case ARGP_KEY_ARG:
		return parse_positional(st, c, arg);
	case ARGP_KEY_END:
		return check_complete(st, c);
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp_option maps_options[] = {
	{ "to", 't', "PID2", 0, "Also apply the rules of a target process", 0 },
	{ "for", OPT_FOR, "move|copy", 0, "Give the verdicts for move (default) or copy", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON document", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ 0 }
};

static const struct argp_option transfer_options[] = {
	/* NO_USAGE: the usage line already names "--to PID2" as required. */
	{ "to", 't', "PID2", OPTION_NO_USAGE, "The process that receives the range (required)", 0 },
	{ "at", OPT_AT, "ADDR2|any", 0, "Where the range starts in the target (default: the same address)", 0 },
	{ "replace", OPT_REPLACE, NULL, 0, "Replace what the target maps in the destination", 0 },
	{ "partial", OPT_PARTIAL, NULL, 0, "Do what can be done, report the rest", 0 },
	{ "dry-run", 'n', NULL, 0, "Check and print the plan; change nothing, stop nothing", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON document", 0 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0, "Longest wait for a process to stop (default 10)", 0 },
	{ "allow-cross-user", OPT_CROSS_USER, NULL, 0, "Permit source and target of different users", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Move [heap] although the program may still use it", 0 },
	{ "progress", OPT_PROGRESS, NULL, 0, "Show progress on stderr", 0 },
	{ "no-progress", OPT_NO_PROGRESS, NULL, 0, "Never show progress", 0 },
	{ "quiet", 'q', NULL, 0, "Print nothing on success", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ 0 }
};

static const struct argp_option clean_options[] = {
	{ "json", OPT_JSON, NULL, 0, "Print one JSON document", 0 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0, "Longest wait for the process to stop (default 10)", 0 },
	{ "quiet", 'q', NULL, 0, "Print nothing on success", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ 0 }
};

static const struct argp clean_argp = {
	clean_options, parse_cmd_opt, "PID",
	"Remove the rescue code a killed pvmmap left in PID.\v"
	"pvmmap writes a few hundred bytes of code into the unused tail of a "
	"process's [vdso] (or a small mapping of its own) while it holds the "
	"process; a pvmmap that is killed leaves them there, inert.  `pvmmap maps' "
	"shows them as a note; any later move or copy in that process removes "
	"them too.  Stops PID for a moment.", NULL, NULL, NULL
};

/* The number format, the same under every command's --help. */
#define NUMBERS_DOC \
	"ADDR is page aligned and hex when written with 0x, zero-padded or with a " \
	"letter a-f (as pvmmap and /proc/PID/maps print it), else decimal.  " \
	"START-END (hex, a line's first field in /proc/PID/maps) may stand for " \
	"ADDR LEN.  LEN is decimal or 0x hex, with an optional suffix in any " \
	"case: K M G T, KB MB GB TB or KiB MiB GiB TiB, all powers of 1024; it " \
	"is rounded up to whole pages."

static const struct argp maps_argp = {
	maps_options, parse_cmd_opt, "PID [ADDR [LEN] | START-END]",
	"List PID's mappings and what a move (or copy) would do with each.\v"
	NUMBERS_DOC "  LEN defaults to one page.\n\nRead-only: never stops or "
	"attaches to a process.", NULL, NULL, NULL
};

static const struct argp move_argp = {
	transfer_options, parse_cmd_opt, "PID {ADDR LEN | START-END} --to PID2",
	"Move [ADDR, ADDR+LEN) of PID into PID2; PID no longer maps it afterwards.\v"
	NUMBERS_DOC "\n\nSee pvmmap(1) for what moves how, and for every reason of a refusal.",
	NULL, NULL, NULL
};

static const struct argp copy_argp = {
	transfer_options, parse_cmd_opt, "PID {ADDR LEN | START-END} --to PID2",
	"Copy [ADDR, ADDR+LEN) of PID into PID2; shared memory stays shared.\v"
	NUMBERS_DOC "\n\nSee pvmmap(1) for what moves how, and for every reason of a refusal.",
	NULL, NULL, NULL
};

static const struct argp_option root_options[] = {
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the program version", -1 },
	{ 0 }
};

static error_t parse_root_opt(int key, char *arg, struct argp_state *st)
{
	struct cli *c = st->input;
	int r = opt_common(key, st, c);

	if (r != ARGP_ERR_UNKNOWN)
		return r;
	switch (key) {
	case 'V':
		printf("%s\n", argp_program_version);
		c->help_done = true;
		return 0;
	case ARGP_KEY_ARG:
		/* The command: the rest of argv belongs to its own parser. */
		c->cmd = arg;
		c->rest = &st->argv[st->next - 1];
		c->nrest = st->argc - st->next + 1;
		st->next = st->argc;
		return 0;
	case ARGP_KEY_END:
		if (!c->cmd && !c->help_done) {
			argp_error(st, "missing command (maps, move, copy or clean)");
			return EINVAL;
		}
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp root_argp = {
	root_options, parse_root_opt, "COMMAND [ARGS...]",
	"Move or copy memory mappings between live processes.\v"
	"Commands:\n"
	"  maps PID [ADDR [LEN]]     list the mappings and whether/how each can move\n"
	"  move PID ADDR LEN --to PID2   hand the range over; PID loses it\n"
	"  copy PID ADDR LEN --to PID2   duplicate it; shared memory stays shared\n"
	"  clean PID                 remove what a killed pvmmap left in PID\n"
	"  help [COMMAND]            this help, or COMMAND's\n"
	"\n`pvmmap COMMAND --help' describes each command's options.",
	NULL, NULL, NULL
};

/*
 * argp reports errors in two lines (the error, then "Try --help"); the
 * contract wants one line naming the bad argument, and --json wants it in
 * the document.  So argp and getopt write into a buffer while parsing, and
 * the first line of it is the message.
 */
static int run_argp(const struct argp *argp, int argc, char **argv, struct cli *c,
		    char *msg, size_t mlen)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *saved = stderr;
	FILE *mem = open_memstream(&buf, &blen);
	int r;

	if (!mem)
		return -ENOMEM;
	stderr = mem;
	r = argp_parse(argp, argc, argv, ARGP_IN_ORDER | ARGP_NO_HELP | ARGP_NO_EXIT, NULL, c);
	stderr = saved;
	fclose(mem);
	if (r) {
		/* The message is all argp wrote before its "Try" line; a
		 * newline in an argument must not end it early. */
		char *end = buf ? strstr(buf, "Try `") : NULL;
		if (end)
			*end = '\0';
		for (size_t n = buf ? strlen(buf) : 0; n && buf[n - 1] == '\n'; n--)
			buf[n - 1] = '\0';
		text_escape(msg, mlen, buf && buf[0] ? buf : "invalid command line");
	}
	free(buf);
	return r ? -EINVAL : 0;
}

/* Options of move, copy, maps and clean that take a value in the next
 * argument ("-t 5", "--to 5", "--ti 5": getopt takes unique prefixes). */
static bool takes_next(const char *a)
{
	static const char *const longs[] = { "to", "for", "at", "timeout" };

	if (a[0] == '-' && a[1] == '-') {
		if (strchr(a, '=') || !a[2])
			return false;
		for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
			if (strncmp(longs[i], a + 2, strlen(a + 2)) == 0)
				return true;
		return false;
	}
	/* a cluster such as "-nt": the last short option takes the next */
	return a[0] == '-' && a[1] && a[strlen(a) - 1] == 't' && !strpbrk(a + 1, "0123456789");
}

/*
 * getopt takes "-1" for an option and says "invalid option -- '1'"; a
 * negative number deserves its own message.  Only what getopt would read
 * as options is checked here: option values and what follows "--" reach
 * the number parsers, which say the same.
 */
static int check_negative(int argc, char **argv, char *msg, size_t mlen)
{
	static const char *const what[] = { "PID", "address", "length" };
	int positional = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (arg_negative(a)) {
			char arg[128];
			text_escape(arg, sizeof(arg), a);
			snprintf(msg, mlen, "%s: %s '%s': negative numbers are not allowed", argv[0],
				 what[positional < 3 ? positional : 2], arg);
			return -EINVAL;
		}
		if (a[0] != '-' || !a[1])
			positional++;
		else if (takes_next(a))
			i++;
	}
	return 0;
}

static const struct argp *command_argp(struct cli *c, const char *cmd)
{
	static const struct {
		const char *name;
		enum op op;
		const struct argp *argp;
	} cmds[] = {
		{ "maps", OP_MAPS, &maps_argp },
		{ "move", OP_MOVE, &move_argp },
		{ "copy", OP_COPY, &copy_argp },
		{ "clean", OP_MAPS, &clean_argp },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i].name) != 0)
			continue;
		c->req.op = cmds[i].op;
		c->clean = cmds[i].argp == &clean_argp;
		return cmds[i].argp;
	}
	return NULL;
}

static void unknown_command(const char *cmd, char *msg, size_t mlen)
{
	char arg[128];

	text_escape(arg, sizeof(arg), cmd);
	snprintf(msg, mlen, "pvmmap: unknown command '%s' (expected maps, move, copy or clean)", arg);
}

/* pvmmap help [COMMAND]: the same text as pvmmap [COMMAND] --help. */
static int run_help(struct cli *c, char *msg, size_t mlen)
{
	static char name[32];
	const struct argp *argp = &root_argp;

	if (c->nrest > 2) {
		snprintf(msg, mlen, "pvmmap help: unexpected argument '%.64s'", c->rest[2]);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "pvmmap");
	if (c->nrest == 2) {
		argp = command_argp(c, c->rest[1]);
		if (!argp) {
			unknown_command(c->rest[1], msg, mlen);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "pvmmap %s", c->rest[1]);
	}
	argp_help(argp, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK, name);
	c->help_done = true;
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *c, char *msg, size_t mlen)
{
	static char name[32];
	const struct argp *cmd_argp;
	int r;

	c->page_size = sysconf(_SC_PAGESIZE);
	c->req.op = OP_NONE;     /* until the command is known */
	c->req.at = ADDR_NONE;
	c->req.for_op = OP_MOVE;
	c->req.progress = -1;
	c->req.timeout_s = 10;

	/* Messages say "pvmmap", however it was invoked. */
	argv[0] = name;
	snprintf(name, sizeof(name), "pvmmap");
	r = run_argp(&root_argp, argc, argv, c, msg, mlen);
	if (r || c->help_done)
		return r;
	if (strcmp(c->cmd, "help") == 0)
		return run_help(c, msg, mlen);
	cmd_argp = command_argp(c, c->cmd);
	if (!cmd_argp) {
		unknown_command(c->cmd, msg, mlen);
		return -EINVAL;
	}
	c->cmd_known = true;
	/* "pvmmap move: ..." in messages and help. */
	snprintf(name, sizeof(name), "pvmmap %s", c->cmd);
	c->rest[0] = name;
	r = check_negative(c->nrest, c->rest, msg, mlen);
	if (r)
		return r;
	return run_argp(cmd_argp, c->nrest, c->rest, c, msg, mlen);
}

/* ---- running a request --------------------------------------------------- */


/* A fact-gathering failure as the contract's per-process reason.  @sf is
 * NULL when the system's own facts could not be read. */
static void facts_error(struct report_error *e, const struct sys_facts *sf, pid_t pid, int err,
			const struct proc_facts *failed)
{
	static struct proc_refusal why; /* e->hint may point into it */
	const struct reason_info *ri;

	if (err == -ESRCH)
		ri = reason_info(R_NO_SUCH_PROCESS);
	else if (err == -EACCES || err == -EPERM)
		ri = reason_info(R_PTRACE_DENIED);
	else
		ri = NULL;
	if (ri && err != -ESRCH && sf) {
		/* Reading /proc needs the ptrace access check's read mode:
		 * say which file, and which rule refused it, from the facts
		 * anyone may read (status). */
		struct proc_facts lite = { .procfd = -1 };
		char what[96];
		snprintf(what, sizeof(what), "reading /proc/%d/%s", pid, failed->denied ? failed->denied : "smaps");
		if (proc_facts_read(pid, false, &lite) == 0) {
			plan_access_denied(sf, &lite, false, what, &why);
			e->code = ri->code;
			e->hint = why.hint[0] ? why.hint : ri->hint;
			snprintf(e->message, sizeof(e->message), "%s (%s)", ri->sentence, why.detail);
			proc_facts_free(&lite);
			return;
		}
		proc_facts_free(&lite);
	}
	if (ri) {
		e->code = ri->code;
		e->hint = ri->hint;
		snprintf(e->message, sizeof(e->message), "%s (process %d%s%s)", ri->sentence, pid,
			 err == -ESRCH ? "" : ": ", err == -ESRCH ? "" : strerror(-err));
	} else {
		e->code = "error";
		e->hint = NULL;
		snprintf(e->message, sizeof(e->message), "cannot read the facts of process %d: %s", pid,
			 strerror(-err));
	}
}

/* Measure the pages of VMAs cut by the range edges, for exact rss figures. */
static void measure_edges(struct proc_facts *pf, const struct request *req)
{
	uint64_t cut[2] = { req->addr, req->range_end };

	for (int i = 0; i < 2; i++) {
		const struct vma *v = vma_find(&pf->vmas, cut[i] - (uint64_t)i);
		struct residency *r = &pf->edges[i];
		if (!v || v->start >= req->range_end || v->end <= req->addr)
			continue;
		r->start = v->start < req->addr ? req->addr : v->start;
		r->end = v->end > req->range_end ? req->range_end : v->end;
		if (r->start == v->start && r->end == v->end)
			continue;
		r->known = proc_range_residency(pf, r->start, r->end, &r->rss, &r->swap) == 0;
	}
}

static int exit_status(const struct request *req, const struct plan *p)
{
	struct plan_summary s;

	if (p->error.reason)
		return EXIT_PROCESS;
	if (req->op == OP_MAPS)
		return EXIT_DONE;
	plan_summarise(p, &s);
	if (s.failed || s.rolled_back)
		return EXIT_ROLLED_BACK;
	if (s.refused)
		return EXIT_REFUSED;
	/* A real move plans again under the freeze, where nothing is
	 * deferred; a dry run cannot promise what only the move can see. */
	return s.deferred && req->dry_run ? EXIT_DEFERRED : EXIT_DONE;
}

/* The errno of a failed flush of the report, for close_stdout's message. */
static int stdout_errno;

static void emit(const struct report *r)
{
	if (r->req->json) {
		report_json(stdout, r);
	} else {
		report_text(stdout, stderr, r);
		/* the table before its verdict, on a shared terminal or file */
		if (fflush(stdout) != 0)
			stdout_errno = errno;
		report_text_verdict(stderr, r);
	}
}

/* An attach error as the contract's per-process reason. */
static void attach_error(struct report_error *e, const struct sys_facts *sf, const struct proc_facts *pf,
			 double timeout_s, int err)
{
	static struct proc_refusal why; /* e->hint may point into it */
	enum reason r;

	switch (err) {
	case -EBUSY: r = R_ALREADY_TRACED; break;
	case -EPERM: r = R_PTRACE_DENIED; break;
	case -EACCES: r = pf->seccomp_mode ? R_SECCOMP_BLOCKS : R_PTRACE_DENIED; break;
	case -ETIMEDOUT: r = R_TIMEOUT; break;
	case -ESRCH: r = R_NO_SUCH_PROCESS; break;
	case -EOWNERDEAD: r = R_ZOMBIE; break;
	case -ENOEXEC: r = R_ARCH_MISMATCH; break;
	default: r = R_NONE; break;
	}
	if (r == R_NONE) {
		e->code = "error";
		e->hint = NULL;
		snprintf(e->message, sizeof(e->message), "cannot attach to process %d: %s",
			 pf->pid, strerror(-err));
		return;
	}
	const struct reason_info *ri = reason_info(r);
	e->code = ri->code;
	e->hint = ri->hint;
	if (r == R_ALREADY_TRACED) {
		char comm[64];
		pid_t tp = pf->tracer_pid;
		if (tp)
			proc_comm(tp, comm, sizeof(comm));
		if (tp)
			snprintf(e->message, sizeof(e->message), "%s (process %d, traced by %d %s)",
				 ri->sentence, pf->pid, tp, comm);
		else
			snprintf(e->message, sizeof(e->message), "%s (process %d)", ri->sentence, pf->pid);
	} else if (r == R_PTRACE_DENIED) {
		plan_access_denied(sf, pf, true, "attaching with PTRACE_SEIZE", &why);
		if (why.hint[0])
			e->hint = why.hint;
		snprintf(e->message, sizeof(e->message), "%s (process %d: %s)", ri->sentence, pf->pid, why.detail);
	} else if (r == R_TIMEOUT) {
		snprintf(e->message, sizeof(e->message), "%s (process %d did not stop within %g seconds)",
			 ri->sentence, pf->pid, timeout_s);
	} else if (r == R_NO_SUCH_PROCESS) {
		snprintf(e->message, sizeof(e->message), "%s (process %d exited)", ri->sentence, pf->pid);
	} else if (r == R_ZOMBIE) {
		snprintf(e->message, sizeof(e->message), "%s (process %d became a zombie)", ri->sentence, pf->pid);
	} else if (r == R_ARCH_MISMATCH) {
		snprintf(e->message, sizeof(e->message), "%s (process %d)", ri->sentence, pf->pid);
	} else {
		snprintf(e->message, sizeof(e->message), "%s (process %d: %s)", ri->sentence, pf->pid,
			 strerror(-err));
	}
}

/* The first terminating signal pvmmap received: once the report is out,
 * pvmmap dies of it (finish), as the caller expects of a careful tool. */
static int received_signal;

static void take_signals(const sigset_t *set)
{
	struct timespec zero = { 0, 0 };
	int sig;

	while ((sig = sigtimedwait(set, NULL, &zero)) > 0)
		if (!received_signal)
			received_signal = sig;
}

static void progress_hook(uint64_t done, uint64_t total, void *arg)
{
	report_progress(arg, done, total, clock_now_s());
}

/* Carry out the plan; SIGINT/SIGTERM/SIGHUP are held meanwhile and roll it back. */
static int do_transfer(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		       const struct request *req, struct plan *plan, struct report *rep,
		       struct report_error *err)
{
	struct transfer_stats st;
	struct progress prog;
	struct transfer_hooks hooks = { .progress = progress_hook, .arg = &prog };
	sigset_t set;
	int r, status;

	/* The terminating signals are blocked since main's first instruction:
	 * one that came before or during the transfer rolls it back (-EINTR);
	 * one that came after the last step boundary is too late to undo
	 * anything.  Either way it is consumed so that the report is printed
	 * and the exit status tells what happened. */
	progress_start(&prog, stderr, req->progress, clock_now_s());
	r = transfer_run(sf, src, tgt, req, plan, &hooks, &st);
	progress_end(&prog);
	transfer_term_signals(&set);
	take_signals(&set);
	rep->paused_s = st.paused_s;

	if (st.attach_err) {
		attach_error(err, sf, st.attach_pid == src->pid ? src : tgt, req->timeout_s, st.attach_err);
		return EXIT_PROCESS;
	}
	if (r == -ESRCH && st.exited_pid) {
		/* the contract's per-process code: "or exited during the operation" */
		const struct reason_info *ri = reason_info(R_NO_SUCH_PROCESS);
		err->code = ri->code;
		err->hint = NULL;
		snprintf(err->message, sizeof(err->message), "%s", st.message);
		return EXIT_PROCESS;
	}
	if (r == -EOPNOTSUPP) {
		err->code = "unsupported";
		err->hint = NULL;
		snprintf(err->message, sizeof(err->message), "%s", st.message);
		return EXIT_ROLLED_BACK;
	}
	if (r == -ENOTRECOVERABLE) {
		err->code = "left-over";
		err->hint = NULL;
		snprintf(err->message, sizeof(err->message), "%s", st.message);
		return EXIT_LEFT_OVER;
	}
	if (r) {
		err->code = r == -EINTR ? "interrupted" : "rolled-back";
		err->hint = NULL;
		snprintf(err->message, sizeof(err->message), "%s; everything was rolled back",
			 st.message[0] ? st.message : strerror(-r));
		/* re-read facts failing: no entry changed */
		return EXIT_ROLLED_BACK;
	}
	status = exit_status(req, plan);
	return status;
}

static int run(struct cli *c)
{
	struct request *req = &c->req;
	struct sys_facts sf;
	struct proc_facts src = { .procfd = -1 }, tgt = { .procfd = -1 };
	struct plan plan = { 0 };
	struct report_error err = { 0 };
	struct report rep = { .req = req, .elapsed_s = -1, .paused_s = -1 };
	double t0 = clock_now_s();
	int status = EXIT_PROCESS;
	int r;

	r = sys_facts_read(&sf);
	if (r) {
		facts_error(&err, NULL, getpid(), r, &src);
		goto report;
	}
	r = proc_facts_read(req->pid, true, &src);
	if (r) {
		facts_error(&err, &sf, req->pid, r, &src);
		goto report;
	}
	rep.src = &src;
	if (req->pid2 && req->pid2 != req->pid) {
		r = proc_facts_read(req->pid2, true, &tgt);
		if (r) {
			facts_error(&err, &sf, req->pid2, r, &tgt);
			goto report;
		}
		rep.tgt = &tgt;
	} else if (req->pid2) {
		rep.tgt = &src;
	}
	if (req->has_range && req->op != OP_MAPS)
		measure_edges(&src, req);

	r = plan_make(&sf, &src, rep.tgt, req, &plan);
	if (r) {
		snprintf(err.message, sizeof(err.message), "cannot make the plan: %s", strerror(-r));
		err.code = "error";
		goto report;
	}
	rep.plan = &plan;
	status = exit_status(req, &plan);
	rep.paused_s = 0; /* a listing or a dry run stops nothing */
	if (req->op != OP_MAPS && !req->dry_run && !plan.error.reason &&
	    (status == EXIT_DONE || req->partial))
		status = do_transfer(&sf, &src, rep.tgt == &src ? &src : &tgt, req, &plan, &rep, &err);

report:
	if (err.code)
		rep.error = &err;
	rep.elapsed_s = clock_now_s() - t0;
	emit(&rep);
	plan_free(&plan);
	proc_facts_free(&tgt);
	proc_facts_free(&src);
	return status;
}

/*
 * pvmmap clean PID: remove a killed pvmmap's rescue code.  Its JSON is a
 * document of its own: {"pvmmap": 1, "operation": "clean", "source":
 * {"pid", "comm"}, "removed": ["0x..."], "error": null | {"code",
 * "message"}}.  Exit 0 (removed, or nothing to remove), 3 (the process
 * cannot be used), 4 (it could not be removed: nothing changed).
 */
static int run_clean(struct cli *c)
{
	struct request *req = &c->req;
	struct proc_facts pf = { .procfd = -1 };
	struct report_error err = { 0 };
	struct sys_facts sf;
	uint64_t at[8];
	size_t n = 0;
	char msg[256] = "";
	int status = EXIT_DONE, r;

	r = sys_facts_read(&sf);
	bool sf_ok = r == 0;
	if (!r)
		r = proc_facts_read(req->pid, true, &pf);
	if (r) {
		facts_error(&err, sf_ok ? &sf : NULL, req->pid, r, &pf);
		status = EXIT_PROCESS;
	} else {
		bool any = false;
		for (size_t i = 0; i < pf.vmas.n; i++)
			any |= pf.vmas.v[i].residue != 0;
		r = any ? transfer_clean(&sf, &pf, req->timeout_s, at, 8, &n, msg, sizeof msg) : 0;
		if (r == -EBUSY || (r && msg[0])) {
			err.code = r == -EBUSY ? "busy" : "rolled-back";
			snprintf(err.message, sizeof err.message, "%s", msg);
			status = EXIT_ROLLED_BACK;
		} else if (r) {
			attach_error(&err, &sf, &pf, req->timeout_s, r);
			status = EXIT_PROCESS;
		}
	}
	if (req->json) {
		printf("{\"pvmmap\": 1, \"operation\": \"clean\", \"source\": ");
		if (pf.procfd >= 0) {
			printf("{\"pid\": %d, \"comm\": ", (int)pf.pid);
			json_write_string(stdout, pf.comm);
			fputc('}', stdout);
		} else {
			fputs("null", stdout);
		}
		fputs(", \"removed\": [", stdout);
		for (size_t i = 0; i < n; i++)
			printf("%s\"0x%llx\"", i ? ", " : "", (unsigned long long)at[i]);
		fputs("], \"error\": ", stdout);
		if (err.code) {
			printf("{\"code\": \"%s\", \"message\": ", err.code);
			json_write_string(stdout, err.message);
			fputc('}', stdout);
		} else {
			fputs("null", stdout);
		}
		fputs("}\n", stdout);
	} else if (err.code) {
		fprintf(stderr, "pvmmap: %s: %s\n", err.code, err.message);
	} else if (!req->quiet) {
		if (!n)
			printf("process %d (%s) holds nothing a killed pvmmap left\n", (int)pf.pid, pf.comm);
		for (size_t i = 0; i < n; i++)
			printf("removed the rescue code a killed pvmmap left at 0x%llx in process %d (%s)\n",
			       (unsigned long long)at[i], (int)pf.pid, pf.comm);
	}
	proc_facts_free(&pf);
	return status;
}

/*
 * A report that did not reach stdout (a full disk, a closed descriptor) is
 * a failure the caller must see, as coreutils' close_stdout makes it one.
 * A status that already tells of a failure stands; a broken pipe is the
 * reader's choice and ends in SIGPIPE, as for any filter.
 */
static int close_stdout(int status)
{
	bool bad = ferror(stdout) != 0;
	int err = 0;

	if (fclose(stdout) != 0) {
		bad = true;
		err = errno;
	}
	if (!err)
		err = stdout_errno;
	if (!bad || received_signal == SIGPIPE)
		return status;
	fprintf(stderr, "pvmmap: write error%s%s\n", err ? ": " : "", err ? strerror(err) : "");
	return status == EXIT_DONE || status == EXIT_DEFERRED ? EXIT_WRITE : status;
}

/* The end of every run: stdout checked, then death by the signal that
 * asked pvmmap to stop (after the rollback and the report, never before). */
static int finish(int status)
{
	sigset_t term, one;

	transfer_term_signals(&term);
	take_signals(&term);
	status = close_stdout(status);
	if (!received_signal)
		return status;
	fflush(stderr);
	signal(received_signal, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, received_signal);
	raise(received_signal);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	/* Not reached unless the signal is one the caller made harmless. */
	return 128 + received_signal;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	sigset_t term;
	char msg[512];
	int r;

	/* First: a SIGTERM (or any other terminating signal) must never kill
	 * pvmmap while it holds processes, nor before it has printed the one
	 * JSON document it promises.  Blocked, a signal waits for a step
	 * boundary of the transfer, which rolls back (see transfer.h). */
	transfer_term_signals(&term);
	sigprocmask(SIG_BLOCK, &term, NULL);

	r = parse_cli(argc, argv, &c, msg, sizeof(msg));
	if (r) {
		bool json = false;
		for (int i = 1; i < argc; i++)
			json |= strcmp(argv[i], "--json") == 0;
		if (json && c.clean) {
			/* clean's own document */
			printf("{\"pvmmap\": 1, \"operation\": \"clean\", \"source\": null, \"removed\": [], "
			       "\"error\": {\"code\": \"usage\", \"message\": ");
			json_write_string(stdout, msg);
			fputs("}}\n", stdout);
		} else if (json) {
			/* A rejected command line has no source and no range: only
			 * the operation, when it was understood, is reported (null
			 * for an unknown or missing command). */
			struct request none = { .op = c.req.op };
			struct report_error e = { .code = "usage", .hint = "see pvmmap --help" };
			struct report rep = { .req = &none, .error = &e, .elapsed_s = -1, .paused_s = -1 };
			snprintf(e.message, sizeof(e.message), "%s", msg);
			report_json(stdout, &rep);
		}
		fprintf(stderr, "%s\nTry '%s%s --help' for more information.\n", msg,
			c.cmd_known ? "pvmmap " : "pvmmap", c.cmd_known ? c.cmd : "");
		return finish(EXIT_USAGE);
	}
	if (c.help_done)
		return finish(EXIT_DONE);
	return finish(c.clean ? run_clean(&c) : run(&c));
}
