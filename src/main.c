/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pvmmap: move or copy memory mappings between live processes.
 *
 * main.c is libpvmmap's first client and reaches the engine through
 * pvmmap.h alone: it turns argv into a request, has the library plan or
 * transfer, prints the result the library writes, and exits with its
 * outcome (enum pvmmap_outcome: the exit statuses, one table with the
 * library's, src/outcome.c).  Its own are the command line (args.c), the
 * progress line (cli_progress.c), the signals and the statuses 2 and 7.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pvmmap.h>

#include "args.h"
#include "cli_progress.h"
#include "clock.h"
#include "text.h"

const char *argp_program_version = "pvmmap " PVMMAP_VERSION;
const char *argp_program_bug_address = NULL;

/* Option keys without a short form. */
enum {
	OPT_USAGE = 0x100, OPT_FOR, OPT_AT, OPT_REPLACE, OPT_PARTIAL,
	OPT_JSON, OPT_TIMEOUT, OPT_CROSS_USER, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_FORCE,
	OPT_FROZEN,
};

/* OP_NONE: a command line that was not understood (a usage error). */
enum op { OP_MAPS = PVMMAP_OP_MAPS, OP_MOVE = PVMMAP_OP_MOVE, OP_COPY = PVMMAP_OP_COPY, OP_NONE = -1 };

struct cli {
	struct pvmmap_request req;
	bool has_range;          /* ADDR given (maps: else the whole process) */
	bool dry_run, json, quiet;
	int progress;            /* -1 auto, 0 off, 1 on */
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
		   args_negative(arg) ? "negative numbers are not allowed" :
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
		c->json = true;
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
	int r = args_parse_addr(arg, out, &decimal);

	if (r)
		return usage_errno(st, what, arg, r);
	if (!page_aligned(c, *out)) {
		/* "555555554000" pasted from /proc/PID/maps reads as decimal
		 * (as the contract says); say how to mean hex. */
		char alt[64] = "";
		if (decimal && strlen(arg) < 40 && args_parse_u64(arg, &hex) == 0 &&
		    snprintf(alt, sizeof(alt), "0x%s", arg) > 0 && args_parse_u64(alt, &hex) == 0 && page_aligned(c, hex))
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
	struct pvmmap_request *req = &c->req;
	uint64_t start, end;

	if (args_parse_range(arg, &start, &end)) {
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
	struct pvmmap_request *req = &c->req;
	int r;

	switch (c->nargs++) {
	case 0:
		r = args_parse_pid(arg, &req->pid);
		return r ? usage_errno(st, "PID", arg, r) : 0;
	case 1:
		if (c->clean)
			break;
		c->has_range = true;
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
		r = args_parse_len(arg, &req->len);
		if (r == -EINVAL && !args_negative(arg)) {
			argp_error(st, "length '%s': not a valid number (%s)", arg, args_len_suffixes);
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
	struct pvmmap_request *req = &c->req;
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
	if (c->has_range) {
		if (req->addr > UINT64_MAX - req->len) {
			argp_error(st, "the range 0x%llx + 0x%llx passes the end of the address space",
				   (unsigned long long)req->addr, (unsigned long long)req->len);
			return EINVAL;
		}
	}
	if (req->at != PVMMAP_AT_SAME && req->at != PVMMAP_AT_ANY && c->has_range &&
	    req->at > UINT64_MAX - req->len) {
		argp_error(st, "--at 0x%llx + the length passes the end of the address space",
			   (unsigned long long)req->at);
		return EINVAL;
	}
	return 0;
}

static error_t parse_cmd_opt(int key, char *arg, struct argp_state *st)
{
	struct cli *c = st->input;
	struct pvmmap_request *req = &c->req;
	int r = opt_common(key, st, c);

	if (r != ARGP_ERR_UNKNOWN)
		return r;
	switch (key) {
	case 't':
		r = args_parse_pid(arg, &req->pid2);
		return r ? usage_errno(st, "--to", arg, r) : 0;
	case OPT_FOR:
		if (strcmp(arg, "move") == 0)
			req->flags &= ~PVMMAP_FOR_COPY;
		else if (strcmp(arg, "copy") == 0)
			req->flags |= PVMMAP_FOR_COPY;
		else {
			argp_error(st, "--for '%s': expected move or copy", arg);
			return EINVAL;
		}
		return 0;
	case OPT_AT:
		if (strcmp(arg, "any") == 0) {
			req->at = PVMMAP_AT_ANY;
			return 0;
		}
		return parse_addr_arg(st, c, "--at", arg, &req->at);
	case OPT_REPLACE: req->flags |= PVMMAP_REPLACE; return 0;
	case OPT_PARTIAL: req->flags |= PVMMAP_PARTIAL; return 0;
	case 'n': c->dry_run = true; return 0;
	case 'q': c->quiet = true; return 0;
	case OPT_CROSS_USER: req->flags |= PVMMAP_ALLOW_CROSS_USER; return 0;
	case OPT_FORCE: req->flags |= PVMMAP_FORCE; return 0;
	case OPT_FROZEN: req->flags |= PVMMAP_FROZEN; return 0;
	case OPT_PROGRESS: c->progress = 1; return 0;
	case OPT_NO_PROGRESS: c->progress = 0; return 0;
	case OPT_TIMEOUT:
		r = args_parse_seconds(arg, &req->timeout_s);
		if (r && args_negative(arg))
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
	{ "frozen", OPT_FROZEN, NULL, 0, "Keep the source stopped for the whole transfer (default: copy private memory while it runs, then stop it briefly)", 0 },
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
		if (args_negative(a)) {
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
	c->req.at = PVMMAP_AT_SAME;
	c->progress = -1;
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

static void round_hook(unsigned round, uint64_t written, void *arg)
{
	cli_progress_round(arg, round, written, clock_now_s());
}

static void progress_hook(uint64_t done, uint64_t total, void *arg)
{
	cli_progress_show(arg, done, total, clock_now_s());
}

/* The errno of a failed flush of the report, for close_stdout's message. */
static int stdout_errno;

static void emit(const struct cli *c, const pvmmap_result *res)
{
	int r;

	if (c->json)
		r = pvmmap_result_write_json(res, stdout);
	else
		r = pvmmap_result_write_text(res, stdout, stderr, c->quiet ? PVMMAP_TEXT_QUIET : 0);
	if (r < 0 && r != -EIO && !stdout_errno)
		stdout_errno = -r;
}

/* A library call that failed (not a refusal: those are results). */
static int library_failed(const struct cli *c, int r)
{
	pvmmap_result *res;
	char msg[256];

	snprintf(msg, sizeof msg, "%s", strerror(-r));
	if (pvmmap_result_from_error(c->req.op, "error", msg, NULL, &res) == 0) {
		emit(c, res);
		pvmmap_result_free(res);
	}
	return PVMMAP_PROCESS;
}

static int run(struct cli *c)
{
	const struct pvmmap_request *req = &c->req;
	struct pvmmap_request lr = c->req;
	pvmmap_result *res = NULL;
	struct progress prog;
	pvmmap *h;
	sigset_t set;
	int r, status;

	/* The terminating signals are blocked since main's first instruction:
	 * one that comes before or during the transfer rolls it back. */
	lr.flags |= PVMMAP_WATCH_SIGNALS;
	r = pvmmap_open(&h);
	if (r)
		return library_failed(c, r);
	if (req->op == OP_MAPS || c->dry_run) {
		r = pvmmap_plan(h, &lr, &res);
	} else {
		cli_progress_start(&prog, stderr, c->progress, clock_now_s());
		pvmmap_set_progress(h, progress_hook, &prog);
		pvmmap_set_rounds(h, round_hook, &prog);
		r = pvmmap_transfer(h, &lr, &res);
		cli_progress_end(&prog);
		/* A signal that came after the last step boundary is too late
		 * to undo anything; either way it is consumed so that the
		 * report is printed and the exit status tells what happened. */
		pvmmap_term_signals(&set);
		take_signals(&set);
	}
	pvmmap_close(h);
	if (r)
		return library_failed(c, r);
	emit(c, res);
	status = pvmmap_result_outcome(res);
	pvmmap_result_free(res);
	return status;
}

/* pvmmap clean PID: remove a killed pvmmap's rescue code (pvmmap_clean). */
static int run_clean(struct cli *c)
{
	const struct pvmmap_request *req = &c->req;
	pvmmap_result *res = NULL;
	pvmmap *h;
	int r, status;

	r = pvmmap_open(&h);
	if (!r)
		r = pvmmap_clean(h, req->pid, req->timeout_s, &res);
	pvmmap_close(h);
	if (r) {
		fprintf(stderr, "pvmmap: error: %s\n", strerror(-r));
		return PVMMAP_PROCESS;
	}
	emit(c, res);
	status = pvmmap_result_outcome(res);
	pvmmap_result_free(res);
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
	return status == PVMMAP_DONE || status == PVMMAP_DEFERRED ? PVMMAP_WRITE_ERROR : status;
}

/* The end of every run: stdout checked, then death by the signal that
 * asked pvmmap to stop (after the rollback and the report, never before). */
static int finish(int status)
{
	sigset_t term, one;

	pvmmap_term_signals(&term);
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
	 * boundary of the transfer, which rolls back (PVMMAP_WATCH_SIGNALS). */
	pvmmap_term_signals(&term);
	sigprocmask(SIG_BLOCK, &term, NULL);

	r = parse_cli(argc, argv, &c, msg, sizeof(msg));
	if (r) {
		bool json = false;
		for (int i = 1; i < argc; i++)
			json |= strcmp(argv[i], "--json") == 0;
		if (json) {
			/* A rejected command line has no source and no range: only
			 * the operation, when it was understood, is reported (null
			 * for an unknown or missing command); clean has its own
			 * document. */
			pvmmap_result *res;
			if (pvmmap_result_from_error(c.clean ? PVMMAP_OP_CLEAN : (int)c.req.op, "usage", msg,
						     "see pvmmap --help", &res) == 0) {
				pvmmap_result_write_json(res, stdout);
				pvmmap_result_free(res);
			}
		}
		fprintf(stderr, "%s\nTry '%s%s --help' for more information.\n", msg,
			c.cmd_known ? "pvmmap " : "pvmmap", c.cmd_known ? c.cmd : "");
		return finish(PVMMAP_USAGE);
	}
	if (c.help_done)
		return finish(PVMMAP_DONE);
	return finish(c.clean ? run_clean(&c) : run(&c));
}
