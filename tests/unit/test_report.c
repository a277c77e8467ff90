/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The report: JSON string escaping byte by byte, human sizes, and whole JSON
 * documents checked by a real JSON parser (python3, and jq when present)
 * against the contract's schema.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "proc.h"
#include "reasons.h"
#include "report.h"
#include "vma.h"

/* ---- text_json_string -------------------------------------------------------- */

static char *json_of(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	text_json_string(f, in);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static void check_json(const char *file, int line, const char *in, const char *want)
{
	char *got = json_of(in);
	if (strcmp(got, want) != 0) {
		print_error("text_json_string: got %s\n                  want %s\n", got, want);
		free(got);
		_fail(file, line);
	}
	free(got);
}

#define JSON(in, want) check_json(__FILE__, __LINE__, in, want)

static void test_json_ascii(void **state)
{
	(void)state;
	JSON("", "\"\"");
	JSON("abc", "\"abc\"");
	JSON("/usr/lib/x86_64-linux-gnu/libc.so.6", "\"/usr/lib/x86_64-linux-gnu/libc.so.6\"");
	JSON("[anon:a b]", "\"[anon:a b]\"");
	JSON(" ~!@#$%^&*()_+{}|:<>?`-=[];',./", "\" ~!@#$%^&*()_+{}|:<>?`-=[];',./\"");
	JSON("a\"b", "\"a\\\"b\"");
	JSON("\"", "\"\\\"\"");
	JSON("a\\b", "\"a\\\\b\"");
	JSON("\\\"", "\"\\\\\\\"\"");
}

static void test_json_control(void **state)
{
	(void)state;
	JSON("\x01", "\"\\u0001\"");
	JSON("\n", "\"\\n\"");
	JSON("\t", "\"\\t\"");
	JSON("\r", "\"\\r\"");
	JSON("\b", "\"\\u0008\"");
	JSON("\f", "\"\\u000c\"");
	JSON("\x1b[31m", "\"\\u001b[31m\"");
	JSON("\x1f", "\"\\u001f\"");
	JSON("a\x01" "b\nc\td", "\"a\\u0001b\\nc\\td\"");
	JSON("\x7f", "\"\\u007f\"");
	JSON("x\x7fy", "\"x\\u007fy\"");
	JSON("\x20", "\" \"");
}

static void test_json_utf8_kept(void **state)
{
	(void)state;
	JSON("\xc3\xa9", "\"\xc3\xa9\"");                 /* é, 2 bytes */
	JSON("\xc2\x80", "\"\xc2\x80\"");                 /* U+0080, the first 2-byte one */
	JSON("\xdf\xbf", "\"\xdf\xbf\"");                 /* U+07FF */
	JSON("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* €, 3 bytes */
	JSON("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");         /* U+0800 */
	JSON("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF, just below the surrogates */
	JSON("\xee\x80\x80", "\"\xee\x80\x80\"");         /* U+E000, just above */
	JSON("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");         /* U+FFFF */
	JSON("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀, 4 bytes */
	JSON("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
	JSON("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF, the last */
	JSON("/tmp/caf\xc3\xa9 \xe2\x82\xac/\xf0\x9f\x98\x80.so",
	     "\"/tmp/caf\xc3\xa9 \xe2\x82\xac/\xf0\x9f\x98\x80.so\"");
}

static void test_json_invalid_bytes(void **state)
{
	(void)state;
	JSON("\xff", "\"\\udcff\"");
	JSON("\xfe", "\"\\udcfe\"");
	JSON("\x80", "\"\\udc80\"");                               /* lone continuation */
	JSON("\xbf", "\"\\udcbf\"");
	JSON("a\x80z", "\"a\\udc80z\"");
	JSON("\xe2\x82", "\"\\udce2\\udc82\"");                    /* truncated at the end */
	JSON("\xe2\x82z", "\"\\udce2\\udc82z\"");                  /* cut by ASCII */
	JSON("\xf0\x9f\x98", "\"\\udcf0\\udc9f\\udc98\"");
	JSON("\xc3", "\"\\udcc3\"");
	JSON("\xc3\"", "\"\\udcc3\\\"\"");                         /* the quote is still escaped */
	JSON("\xc3\xc3\xa9", "\"\\udcc3\xc3\xa9\"");               /* the next sequence survives */
	JSON("\xc0\xaf", "\"\\udcc0\\udcaf\"");                    /* overlong '/' */
	JSON("\xc1\xbf", "\"\\udcc1\\udcbf\"");
	JSON("\xe0\x80\xaf", "\"\\udce0\\udc80\\udcaf\"");         /* overlong, 3 bytes */
	JSON("\xe0\x9f\xbf", "\"\\udce0\\udc9f\\udcbf\"");
	JSON("\xf0\x80\x80\xaf", "\"\\udcf0\\udc80\\udc80\\udcaf\""); /* overlong, 4 bytes */
	JSON("\xf0\x8f\xbf\xbf", "\"\\udcf0\\udc8f\\udcbf\\udcbf\"");
	JSON("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");         /* U+D800 encoded */
	JSON("\xed\xbf\xbf", "\"\\udced\\udcbf\\udcbf\"");         /* U+DFFF encoded */
	JSON("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\""); /* U+110000 */
	JSON("\xf5\x80\x80\x80", "\"\\udcf5\\udc80\\udc80\\udc80\"");
	JSON("\xf8\x88\x80\x80\x80", "\"\\udcf8\\udc88\\udc80\\udc80\\udc80\"");
	JSON("/tmp/\xff\xfe.so (deleted)", "\"/tmp/\\udcff\\udcfe.so (deleted)\"");
}

/* ---- the escaping as a JSON parser reads it ------------------------------------- */

/* argv[0] run with stdin from @in_path and stdout to @out_path (or /dev/null); its exit status. */
static int run(const char *const argv[], const char *in_path, const char *out_path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *av[8];
		size_t n = 0;
		for (; argv[n] && n < 7; n++)
			av[n] = strdup(argv[n]);
		av[n] = NULL;
		int in = open(in_path, O_RDONLY);
		int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_TRUNC);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(126);
		execvp(av[0], av);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *tmpfile_with(const char *data, size_t len)
{
	char *path = strdup("/tmp/pvmmap-test-report-XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static bool have(const char *prog)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s", prog);
	const char *const argv[] = { "sh", "-c", cmd, NULL };
	return run(argv, "/dev/null", NULL) == 0;
}

/*
 * Python's json reads each escaped string back, and its surrogateescape
 * gives the original bytes: report.h's promise.
 */
static void test_json_round_trip_python(void **state)
{
	static const char *const inputs[] = {
		"plain", "a\"b\\c", "\x01\x02\n\t\r\x1f\x7f", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		"\xff", "\x80", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"/tmp/\xff\xfe.so (deleted)", "\xc3\xc3\xa9", "\xed\x9f\xbf\xee\x80\x80",
	};
	static const char script[] =
		"import json, sys\n"
		"for line in sys.stdin:\n"
		"    s = json.loads(line)\n"
		"    assert isinstance(s, str)\n"
		"    print(s.encode('utf-8', 'surrogateescape').hex())\n";
	(void)state;
	if (!have("python3"))
		skip();

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		text_json_string(f, inputs[i]);
		fputc('\n', f);
	}
	fclose(f);
	char *in_path = tmpfile_with(buf, len);
	char *out_path = tmpfile_with("", 0);
	const char *const argv[] = { "python3", "-c", script, NULL };
	assert_int_equal(run(argv, in_path, out_path), 0);

	FILE *r = fopen(out_path, "r");
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char want[256] = "", *line = NULL;
		size_t cap = 0;
		for (const unsigned char *p = (const unsigned char *)inputs[i]; *p; p++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%02x", *p);
		strcat(want, "\n");
		assert_true(getline(&line, &cap, r) > 0);
		if (strcmp(line, want) != 0)
			fail_msg("input %zu: python read back %s, the bytes were %s", i, line, want);
		free(line);
	}
	fclose(r);
	unlink(in_path);
	unlink(out_path);
	free(in_path);
	free(out_path);
	free(buf);
}

/* ---- text_format_size --------------------------------------------------------------------- */

static void check_size(const char *file, int line, uint64_t bytes, const char *want)
{
	char buf[32];
	memset(buf, 'X', sizeof(buf));
	text_format_size(buf, sizeof(buf), bytes);
	if (strcmp(buf, want) != 0) {
		print_error("text_format_size(%" PRIu64 "): got \"%s\", want \"%s\"\n", bytes, buf, want);
		_fail(file, line);
	}
}

#define SIZE(b, want) check_size(__FILE__, __LINE__, (b), want)
#define K UINT64_C(1024)

static void test_format_size(void **state)
{
	(void)state;
	SIZE(0, "0B");
	SIZE(1, "1B");
	SIZE(1023, "1023B");
	SIZE(K, "1K");
	SIZE(K + 1, "1.0K");
	SIZE(1536, "1.5K");
	SIZE(4 * K, "4K");
	SIZE(9 * K + 1013, "9.9K");     /* tenths are truncated, not rounded */
	SIZE(10 * K, "10K");
	SIZE(10 * K + 512, "10K");      /* from 10 up, whole units */
	SIZE(1023 * K + 1023, "1023K");
	SIZE(K * K, "1M");
	SIZE(1572864, "1.5M");
	SIZE(64 * K * K, "64M");
	SIZE(2 * K * K * K, "2G");
	SIZE(2 * K * K * K + K * K, "2.0G"); /* 2 GiB + 1 MiB */
	SIZE(2 * K * K * K + 512 * K * K, "2.5G");
	SIZE(K * K * K * K, "1T");
	SIZE(K * K * K * K + 256 * K * K * K, "1.2T");
	SIZE(K * K * K * K * K, "1P");
	SIZE(K * K * K * K * K * K, "1E");
	SIZE(UINT64_MAX, "15E");
}

static void test_format_size_small_buffer(void **state)
{
	(void)state;
	char buf[4];
	text_format_size(buf, sizeof(buf), 1572864);
	assert_string_equal(buf, "1.5");
	text_format_size(buf, 1, 1572864);
	assert_string_equal(buf, "");
}

/* ---- whole documents ---------------------------------------------------------------- */

static char *render(const struct report *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	report_json(f, r);
	assert_int_equal(fclose(f), 0);
	/* one document, nothing around it, a newline after it */
	assert_true(*len > 2);
	assert_int_equal(buf[0], '{');
	assert_string_equal(buf + *len - 2, "}\n");
	return buf;
}

/*
 * The checks shared by every document, then the case's own (CASE in the
 * environment).  Sentences and hints come from the reasons table through the
 * environment, so the expected documents are exact.
 */
static const char check_py[] =
	"import json, os, re, sys\n"
	"E = os.environ\n"
	"doc = json.load(sys.stdin)\n"
	"top = ['pvmmap', 'operation', 'dry_run', 'source', 'target', 'range', 'dest', 'vmas', 'summary', 'error']\n"
	"if doc['operation'] == 'maps':\n"
	"    top.insert(top.index('error'), 'blockers')\n"
	"assert list(doc) == top, list(doc)\n"
	"assert doc['pvmmap'] == 1\n"
	"live = {'rounds', 'bytes_recopied'} if doc['operation'] != 'maps' else set()\n"
	"assert set(doc['summary']) == {'vmas', 'done', 'refused', 'failed', 'deferred', 'skipped',\n"
	"                               'bytes_copied', 'bytes_shared', 'elapsed_s', 'source_paused_s'} | live, doc['summary']\n"
	"for k in live:\n"
	"    assert type(doc['summary'][k]) is int and doc['summary'].pop(k) == 0, doc['summary']\n"
	"vkeys = ['start', 'end', 'dest_start', 'perms', 'offset', 'dev', 'inode', 'name', 'kind', 'size',\n"
	"         'rss', 'swap', 'method', 'status', 'reason', 'message', 'bytes_copied']\n"
	"hexre = re.compile(r'^0x[0-9a-f]+$')\n"
	"for v in doc['vmas']:\n"
	"    assert set(vkeys) <= set(v) and set(v) - set(vkeys) <= {'hint', 'live', 'note'}, list(v)\n"
	"    assert v.pop('live') is False and v.pop('note') is None, v\n"
	"    for k in ('start', 'end', 'dest_start', 'offset'):\n"
	"        assert v[k] is None or hexre.match(v[k]), (k, v[k])\n"
	"    assert v['size'] == int(v['end'], 16) - int(v['start'], 16)\n"
	"    assert v['status'] in ('ok', 'refused', 'done', 'failed', 'rolled-back', 'deferred', 'skipped')\n"
	"    assert (v['reason'] is None) == (v['message'] is None)\n"
	"for k in ('range', 'dest'):\n"
	"    assert doc[k] is None or set(doc[k]) == {'start', 'end'}\n"
	"def vma(start, end, dest, perms, offset, dev, inode, name, kind, size, rss, swap, method,\n"
	"        status, reason, message, hint, copied=0):\n"
	"    return dict(start=start, end=end, dest_start=dest, perms=perms, offset=offset, dev=dev,\n"
	"                inode=inode, name=name, kind=kind, size=size, rss=rss, swap=swap, method=method,\n"
	"                status=status, reason=reason, message=message, hint=hint, bytes_copied=copied)\n"
	"def same(got, want, path='doc'):\n"
	"    if isinstance(want, dict):\n"
	"        assert isinstance(got, dict) and set(got) == set(want), (path, got, want)\n"
	"        for k in want: same(got[k], want[k], path + '.' + k)\n"
	"    elif isinstance(want, list):\n"
	"        assert isinstance(got, list) and len(got) == len(want), (path, got, want)\n"
	"        for i, w in enumerate(want): same(got[i], w, '%s[%d]' % (path, i))\n"
	"    else:\n"
	"        assert type(got) is type(want) and got == want, (path, got, want)\n"
	"case = E['CASE']\n"
	"if case == 'maps':\n"
	"    name1 = doc['vmas'][1]['name'].encode('utf-8', 'surrogateescape')\n"
	"    assert name1 == b'/tmp/a\"b\\\\c\\xff\\x01 \\xc3\\xa9', name1\n"
	"    doc['vmas'][1]['name'] = 'checked'\n"
	"    want = dict(pvmmap=1, operation='maps', dry_run=True,\n"
	"        source=dict(pid=1000, comm='redis-server'), target=None, range=None, dest=None,\n"
	"        vmas=[vma('0x10000000', '0x10004000', None, 'rw-p', '0x0', '00:00', 0, '[heap]', 'heap',\n"
	"                  16384, 12288, 4096, 'copy', 'ok', None, None, None),\n"
	"              vma('0x7f0000000000', '0x7f0000002000', None, 'r--p', '0x1000', '08:01', 1234,\n"
	"                  'checked', 'file', 8192, 4096, 0, 'file-cow', 'ok', None, None, None),\n"
	"              vma('0x7fff00000000', '0x7fff00001000', None, 'r-xp', '0x0', '00:00', 0, '[vdso]',\n"
	"                  'special', 4096, 0, 0, None, 'refused', 'special-mapping', E['S_SPECIAL'],\n"
	"                  E['H_SPECIAL']),\n"
	"              vma('0x7fff00001000', '0x7fff00002000', None, 'rw-p', '0x0', '00:00', 0, '',\n"
	"                  'anon', 4096, 4096, 0, None, 'refused', 'sealed', E['S_SEALED'] + ' (x)',\n"
	"                  E['H_SEALED'])],\n"
	"        summary=dict(vmas=4, done=0, refused=2, failed=0, deferred=0, skipped=0, bytes_copied=0, bytes_shared=0,\n"
	"                     elapsed_s=None, source_paused_s=None),\n"
	"        blockers=[dict(code='already-traced', pid=1000, hint=E['H_TRACED'],\n"
	"                       message=E['S_TRACED'] + ' (it is traced by process 42 (gdb))'),\n"
	"                  dict(code='cross-user', pid=2000, hint=E['H_CROSS'],\n"
	"                       message=E['S_CROSS'] + ' (uids differ)')],\n"
	"        error=None)\n"
	"elif case == 'error':\n"
	"    want = dict(pvmmap=1, operation='move', dry_run=False,\n"
	"        source=dict(pid=1000, comm='redis-server'), target=dict(pid=2000, comm='worker'),\n"
	"        range=dict(start='0x10000000', end='0x10004000'), dest=None, vmas=[],\n"
	"        summary=dict(vmas=0, done=0, refused=0, failed=0, deferred=0, skipped=0, bytes_copied=0, bytes_shared=0,\n"
	"                     elapsed_s=None, source_paused_s=None),\n"
	"        error=dict(code='ptrace-denied', hint=E['H_PTRACE'],\n"
	"                   message=E['S_PTRACE'] + ' (kernel.yama.ptrace_scope is 3: no process may be traced)'))\n"
	"elif case == 'copy':\n"
	"    want = dict(pvmmap=1, operation='copy', dry_run=True,\n"
	"        source=dict(pid=1000, comm=None), target=dict(pid=2000, comm=None),\n"
	"        range=dict(start='0x10000000', end='0x10006000'),\n"
	"        dest=dict(start='0x20000000', end='0x20006000'),\n"
	"        vmas=[vma('0x10000000', '0x10001000', '0x20000000', 'rw-s', '0x5000', '00:01', 77,\n"
	"                  '/memfd:buf (deleted)', 'shmem', 4096, 4096, 0, 'share', 'ok', None, None, None),\n"
	"              vma('0x10001000', '0x10003000', '0x20001000', 'rw-p', '0x0', '00:00', 0, '',\n"
	"                  'anon', 8192, 8192, 0, 'copy', 'ok', None, None, None),\n"
	"              vma('0x10003000', '0x10004000', None, None, None, None, None, None, None,\n"
	"                  4096, 0, 0, None, 'refused', 'not-mapped', E['S_NOTMAPPED'], E['H_NOTMAPPED']),\n"
	"              vma('0x10004000', '0x10006000', '0x20004000', 'rw-p', '0x0', '00:00', 0, '',\n"
	"                  'anon', 8192, 0, 0, None, 'refused', 'target-occupied',\n"
	"                  E['S_OCCUPIED'] + ' (0x20004000-0x20005000 (anonymous) is there)', E['H_OCCUPIED'])],\n"
"        summary=dict(vmas=4, done=0, refused=2, failed=0, deferred=0, skipped=0, bytes_copied=0, bytes_shared=4096,\n"
	"                     elapsed_s=0.25, source_paused_s=None),\n"
	"        error=None)\n"
	"elif case == 'done':\n"
	"    want = dict(pvmmap=1, operation='move', dry_run=False,\n"
	"        source=dict(pid=1000, comm='redis-server'), target=dict(pid=2000, comm='worker'),\n"
	"        range=dict(start='0x10000000', end='0x10005000'),\n"
	"        dest=dict(start='0x10000000', end='0x10005000'),\n"
	"        vmas=[vma('0x10000000', '0x10002000', '0x10000000', 'rw-p', '0x0', '00:00', 0, '',\n"
	"                  'anon', 8192, 8192, 0, 'copy', 'done', None, None, None, 8192),\n"
	"              vma('0x10002000', '0x10003000', '0x10002000', 'rw-s', '0x0', '00:01', 9,\n"
	"                  '/memfd:m (deleted)', 'shmem', 4096, 4096, 0, 'share', 'done', None, None, None),\n"
	"              vma('0x10003000', '0x10004000', '0x10003000', 'rw-p', '0x0', '00:00', 0, '',\n"
	"                  'anon', 4096, 4096, 0, 'copy', 'failed', None, None, None),\n"
	"              vma('0x10004000', '0x10005000', '0x10004000', 'rw-p', '0x0', '00:00', 0, '',\n"
	"                  'anon', 4096, 4096, 0, 'copy', 'rolled-back', None, None, None)],\n"
	"        summary=dict(vmas=4, done=2, refused=0, failed=2, deferred=0, skipped=0, bytes_copied=8192, bytes_shared=4096,\n"
	"                     elapsed_s=0.5, source_paused_s=0.125),\n"
	"        error=None)\n"
	"elif case == 'usage':\n"
	"    want = dict(pvmmap=1, operation='move', dry_run=False,\n"
	"        source=dict(pid=1000, comm=None), target=dict(pid=2000, comm=None),\n"
	"        range=dict(start='0x10000000', end='0x10004000'), dest=None, vmas=[],\n"
	"        summary=dict(vmas=0, done=0, refused=0, failed=0, deferred=0, skipped=0, bytes_copied=0, bytes_shared=0,\n"
	"                     elapsed_s=0.0, source_paused_s=0.0),\n"
	"        error=dict(code='usage', message='bad \"LEN\" \\udcff', hint=None))\n"
	"else:\n"
	"    sys.exit('unknown case ' + case)\n"
	"same(doc, want)\n";

static void set_reason_env(const char *tag, enum reason r)
{
	char name[32];
	const struct reason_info *ri = reason_info(r);
	snprintf(name, sizeof(name), "S_%s", tag);
	setenv(name, ri->sentence, 1);
	snprintf(name, sizeof(name), "H_%s", tag);
	setenv(name, ri->hint ? ri->hint : "", 1);
}

/* Parse @doc with python3 (the exact expected document of @case) and jq. */
static void check_doc(const char *doc, size_t len, const char *casename)
{
	if (!have("python3"))
		skip();
	set_reason_env("SPECIAL", R_SPECIAL_MAPPING);
	set_reason_env("SEALED", R_SEALED);
	set_reason_env("TRACED", R_ALREADY_TRACED);
	set_reason_env("CROSS", R_CROSS_USER);
	set_reason_env("PTRACE", R_PTRACE_DENIED);
	set_reason_env("NOTMAPPED", R_NOT_MAPPED);
	set_reason_env("OCCUPIED", R_TARGET_OCCUPIED);
	setenv("CASE", casename, 1);
	char *path = tmpfile_with(doc, len);
	const char *const py[] = { "python3", "-c", check_py, NULL };
	int st = run(py, path, NULL);
	if (st != 0) {
		print_error("python3 did not accept the %s document (status %d); it was:\n%s", casename, st, doc);
		unlink(path);
		free(path);
		fail();
	}
	if (have("jq")) {
		const char *const jq[] = { "jq", "-e", ".", NULL };
		st = run(jq, path, NULL);
		if (st != 0) {
			print_error("jq -e . did not accept the %s document (status %d):\n%s", casename, st, doc);
			unlink(path);
			free(path);
			fail();
		}
	}
	unlink(path);
	free(path);
}

static struct proc_facts src_facts(const char *comm)
{
	struct proc_facts pf;
	memset(&pf, 0, sizeof(pf));
	pf.pid = 1000;
	pf.tgid = 1000;
	pf.procfd = -1;
	snprintf(pf.comm, sizeof(pf.comm), "%s", comm);
	return pf;
}

static struct vma mkvma(uint64_t start, uint64_t end, const char *perms, uint64_t offset,
			unsigned maj, unsigned min, uint64_t inode, char *name)
{
	struct vma v;
	memset(&v, 0, sizeof(v));
	v.start = start;
	v.end = end;
	memcpy(v.perms, perms, 5);
	v.offset = offset;
	v.dev_major = maj;
	v.dev_minor = min;
	v.inode = inode;
	v.name = name;
	v.has_vmflags = true;
	return v;
}

static struct plan_entry mkentry(const struct vma *v, uint64_t start, uint64_t end, uint64_t dest,
				 enum kind k, enum method m, enum status st, enum reason r,
				 const char *detail, uint64_t rss, uint64_t swap)
{
	struct plan_entry e;
	memset(&e, 0, sizeof(e));
	e.vma = v;
	e.start = start;
	e.end = end;
	e.dest_start = dest;
	e.kind = k;
	e.method = m;
	e.status = st;
	e.reason = r;
	snprintf(e.detail, sizeof(e.detail), "%s", detail);
	e.rss = rss;
	e.swap = swap;
	return e;
}

static void test_report_maps(void **state)
{
	(void)state;
	char heap[] = "[heap]", file[] = "/tmp/a\"b\\c\xff\x01 \xc3\xa9", vdso[] = "[vdso]", anon[] = "";
	struct vma v[4] = {
		mkvma(0x10000000, 0x10004000, "rw-p", 0, 0, 0, 0, heap),
		mkvma(UINT64_C(0x7f0000000000), UINT64_C(0x7f0000002000), "r--p", 0x1000, 8, 1, 1234, file),
		mkvma(UINT64_C(0x7fff00000000), UINT64_C(0x7fff00001000), "r-xp", 0, 0, 0, 0, vdso),
		mkvma(UINT64_C(0x7fff00001000), UINT64_C(0x7fff00002000), "rw-p", 0, 0, 0, 0, anon),
	};
	struct plan_entry e[4] = {
		mkentry(&v[0], v[0].start, v[0].end, ADDR_NONE, KIND_HEAP, METHOD_COPY, STATUS_OK, R_NONE, "", 0x3000, 0x1000),
		mkentry(&v[1], v[1].start, v[1].end, ADDR_NONE, KIND_FILE, METHOD_FILE_COW, STATUS_OK, R_NONE, "", 0x1000, 0),
		mkentry(&v[2], v[2].start, v[2].end, ADDR_NONE, KIND_SPECIAL, METHOD_NONE, STATUS_REFUSED, R_SPECIAL_MAPPING, "", 0, 0),
		mkentry(&v[3], v[3].start, v[3].end, ADDR_NONE, KIND_ANON, METHOD_NONE, STATUS_REFUSED, R_SEALED, "x", 0x1000, 0),
	};
	struct request req = { .op = OP_MAPS, .pid = 1000, .pid2 = 0, .for_op = OP_MOVE, .at = ADDR_NONE };
	struct plan p = { .req = &req, .e = e, .n = 4, .cap = 4, .dest_start = ADDR_NONE, .dest_end = ADDR_NONE };
	p.blockers[0] = (struct proc_refusal){ .reason = R_ALREADY_TRACED, .pid = 1000,
					       .detail = "it is traced by process 42 (gdb)" };
	p.blockers[1] = (struct proc_refusal){ .reason = R_CROSS_USER, .pid = 2000, .detail = "uids differ" };
	p.nblockers = 2;
	struct proc_facts src = src_facts("redis-server");
	struct report r = { .req = &req, .src = &src, .tgt = NULL, .plan = &p, .error = NULL,
			    .elapsed_s = -1, .paused_s = -1 };
	size_t len;
	char *doc = render(&r, &len);
	check_doc(doc, len, "maps");
	free(doc);
}

static void test_report_error(void **state)
{
	(void)state;
	struct request req = { .op = OP_MOVE, .pid = 1000, .pid2 = 2000, .has_range = true,
			       .addr = 0x10000000, .len = 0x4000, .range_end = 0x10004000, .at = ADDR_NONE };
	struct plan p = { .req = &req, .dest_start = ADDR_NONE, .dest_end = ADDR_NONE };
	p.error = (struct proc_refusal){ .reason = R_PTRACE_DENIED, .pid = 2000,
					 .detail = "kernel.yama.ptrace_scope is 3: no process may be traced" };
	struct proc_facts src = src_facts("redis-server"), tgt = src_facts("worker");
	tgt.pid = tgt.tgid = 2000;
	struct report r = { .req = &req, .src = &src, .tgt = &tgt, .plan = &p, .error = NULL,
			    .elapsed_s = -1, .paused_s = -1 };
	size_t len;
	char *doc = render(&r, &len);
	check_doc(doc, len, "error");
	free(doc);
}

static void test_report_copy_dry_run(void **state)
{
	(void)state;
	char anon[] = "", memfd[] = "/memfd:buf (deleted)";
	struct vma v[3] = {
		/* cut by the range's start: the piece's offset is 0x3000 + 0x2000 */
		mkvma(0x0fffe000, 0x10001000, "rw-s", 0x3000, 0, 1, 77, memfd),
		mkvma(0x10001000, 0x10003000, "rw-p", 0, 0, 0, 0, anon),
		mkvma(0x10004000, 0x10008000, "rw-p", 0, 0, 0, 0, anon),
	};
	struct plan_entry e[4] = {
		mkentry(&v[0], 0x10000000, 0x10001000, 0x20000000, KIND_SHMEM, METHOD_SHARE, STATUS_OK, R_NONE, "", 0x1000, 0),
		mkentry(&v[1], 0x10001000, 0x10003000, 0x20001000, KIND_ANON, METHOD_COPY, STATUS_OK, R_NONE, "", 0x2000, 0),
		mkentry(NULL, 0x10003000, 0x10004000, ADDR_NONE, KIND_NONE, METHOD_NONE, STATUS_REFUSED, R_NOT_MAPPED, "", 0, 0),
		mkentry(&v[2], 0x10004000, 0x10006000, 0x20004000, KIND_ANON, METHOD_NONE, STATUS_REFUSED,
			R_TARGET_OCCUPIED, "0x20004000-0x20005000 (anonymous) is there", 0, 0),
	};
	struct request req = { .op = OP_COPY, .pid = 1000, .pid2 = 2000, .has_range = true,
			       .addr = 0x10000000, .len = 0x6000, .range_end = 0x10006000,
			       .at = 0x20000000, .dry_run = true };
	struct plan p = { .req = &req, .e = e, .n = 4, .cap = 4, .dest_start = 0x20000000, .dest_end = 0x20006000 };
	struct report r = { .req = &req, .src = NULL, .tgt = NULL, .plan = &p, .error = NULL,
			    .elapsed_s = 0.25, .paused_s = -1 };
	size_t len;
	char *doc = render(&r, &len);
	check_doc(doc, len, "copy");
	free(doc);
}

/* After a transfer: done, failed and rolled-back pieces, bytes and times. */
static void test_report_move_done(void **state)
{
	(void)state;
	char anon[] = "", memfd[] = "/memfd:m (deleted)";
	struct vma v[4] = {
		mkvma(0x10000000, 0x10002000, "rw-p", 0, 0, 0, 0, anon),
		mkvma(0x10002000, 0x10003000, "rw-s", 0, 0, 1, 9, memfd),
		mkvma(0x10003000, 0x10004000, "rw-p", 0, 0, 0, 0, anon),
		mkvma(0x10004000, 0x10005000, "rw-p", 0, 0, 0, 0, anon),
	};
	struct plan_entry e[4];
	for (int i = 0; i < 4; i++)
		e[i] = mkentry(&v[i], v[i].start, v[i].end, v[i].start, i == 1 ? KIND_SHMEM : KIND_ANON,
			       i == 1 ? METHOD_SHARE : METHOD_COPY,
			       i < 2 ? STATUS_DONE : i == 2 ? STATUS_FAILED : STATUS_ROLLED_BACK, R_NONE, "",
			       v[i].end - v[i].start, 0);
	e[0].bytes_copied = 8192;
	struct request req = { .op = OP_MOVE, .pid = 1000, .pid2 = 2000, .has_range = true,
			       .addr = 0x10000000, .len = 0x5000, .range_end = 0x10005000, .at = ADDR_NONE };
	struct plan p = { .req = &req, .e = e, .n = 4, .cap = 4, .dest_start = 0x10000000, .dest_end = 0x10005000 };
	struct proc_facts src = src_facts("redis-server"), tgt = src_facts("worker");
	tgt.pid = tgt.tgid = 2000;
	struct report r = { .req = &req, .src = &src, .tgt = &tgt, .plan = &p, .error = NULL,
			    .elapsed_s = 0.5, .paused_s = 0.125 };
	size_t len;
	char *doc = render(&r, &len);
	check_doc(doc, len, "done");
	free(doc);
}

static void test_report_usage_error(void **state)
{
	(void)state;
	struct request req = { .op = OP_MOVE, .pid = 1000, .pid2 = 2000, .has_range = true,
			       .addr = 0x10000000, .len = 0x4000, .range_end = 0x10004000, .at = ADDR_NONE };
	struct report_error err = { .code = "usage", .message = "bad \"LEN\" \xff", .hint = NULL };
	struct report r = { .req = &req, .src = NULL, .tgt = NULL, .plan = NULL, .error = &err,
			    .elapsed_s = 0, .paused_s = 0 };
	size_t len;
	char *doc = render(&r, &len);
	check_doc(doc, len, "usage");
	free(doc);
}

/* ---- the text report -------------------------------------------------------------- */

/* The report for people, stdout and stderr, each with its wrapped lines
 * joined by single spaces (the wrapping is not what is tested here). */
/* The text report; @flat: every run of spaces and newlines as one space. */
static void render_text_as(const struct report *r, char **out, char **err, bool flat)
{
	char *b[2] = { NULL, NULL };
	size_t l[2];
	FILE *o = open_memstream(&b[0], &l[0]), *e = open_memstream(&b[1], &l[1]);
	assert_non_null(o);
	assert_non_null(e);
	report_text(o, e, r);
	report_text_verdict(e, r);
	assert_int_equal(fclose(o), 0);
	assert_int_equal(fclose(e), 0);
	for (int i = 0; i < 2 && flat; i++) {
		char *w = b[i];
		for (const char *p = b[i]; *p; p++) {
			if (*p == ' ' || *p == '\n') {
				if (w > b[i] && w[-1] != ' ')
					*w++ = ' ';
				continue;
			}
			*w++ = *p;
		}
		*w = '\0';
	}
	*out = b[0];
	*err = b[1];
}

static void render_text(const struct report *r, char **out, char **err)
{
	render_text_as(r, out, err, true);
}

static void expect_has(const char *file, int line, const char *text, const char *want)
{
	if (strstr(text, want))
		return;
	print_error("missing \"%s\" in:\n%s\n", want, text);
	_fail(file, line);
}

#define HAS(text, want) expect_has(__FILE__, __LINE__, (text), (want))

/* 3 special pages refused, 5 file pieces skipped: a copy, all or nothing. */
static void all_or_nothing_plan(struct vma v[8], struct plan_entry e[8], char *names[8])
{
	for (int i = 0; i < 8; i++) {
		uint64_t start = 0x10000000 + (uint64_t)i * 0x1000;
		v[i] = mkvma(start, start + 0x1000, "r--p", 0, i < 3 ? 0 : 8, i < 3 ? 0 : 1, i < 3 ? 0 : 50, names[i]);
		if (i < 3)
			e[i] = mkentry(&v[i], start, start + 0x1000, ADDR_NONE, KIND_SPECIAL, METHOD_NONE,
				       STATUS_REFUSED, R_SPECIAL_MAPPING, "", 0, 0);
		else
			e[i] = mkentry(&v[i], start, start + 0x1000, ADDR_NONE, KIND_FILE, METHOD_FILE_COW,
				       STATUS_SKIPPED, R_ALL_OR_NOTHING, "0x10000000-0x10001000 is refused: special-mapping",
				       0x1000, 0);
	}
}

static void test_text_all_or_nothing(void **state)
{
	(void)state;
	char vvar[] = "[vvar]", ld[] = "/usr/lib/ld.so";
	char *names[8] = { vvar, vvar, vvar, ld, ld, ld, ld, ld };
	struct vma v[8];
	struct plan_entry e[8];
	all_or_nothing_plan(v, e, names);
	struct request req = { .op = OP_COPY, .pid = 1000, .pid2 = 2000, .has_range = true,
			       .addr = 0x10000000, .len = 0x8000, .range_end = 0x10008000, .at_any = true,
			       .at = ADDR_NONE };
	struct plan p = { .req = &req, .e = e, .n = 8, .cap = 8, .dest_start = ADDR_NONE, .dest_end = ADDR_NONE };
	struct report r = { .req = &req, .plan = &p, .elapsed_s = 0.1, .paused_s = -1 };
	char *out, *err;

	render_text(&r, &out, &err);
	HAS(out, "nothing copied: 3 VMAs refused (all or nothing; --partial would copy the other 5).");
	assert_null(strstr(out, "5 copied"));
	HAS(out, "0000000010003000 r--p file 4K 4K skipped /usr/lib/ld.so");
	/* the reason of a skipped row is the summary's: no line of its own */
	assert_null(strstr(out, "all-or-nothing:"));
	/* each refused row says what can be done */
	HAS(out, "special-mapping: ");
	HAS(out, "hint: leave it out of the range; the target already has its own");
	free(out);
	free(err);
	/* a refusal (exit 1) says so in one line on stderr, whatever stdout is;
	 * stdout, not a terminal, has a line per row, reason and hint */
	render_text_as(&r, &out, &err, false);
	assert_string_equal(err, "pvmmap: refused: nothing copied: 3 VMAs refused (all or nothing; --partial "
			    "would copy the other 5).\n");
	HAS(out, "\n8 VMAs, 32K mapped, 20K resident: nothing copied: 3 VMAs refused (all or nothing; "
	    "--partial would copy the other 5).\n");
	HAS(out, "\n    special-mapping: this is a page the kernel provides to every process (such as [vdso] "
	    "or [vvar]): it exists once per process and cannot be recreated by mmap\n      hint: leave it out "
	    "of the range; the target already has its own\n");
	free(out);
	free(err);

	/* the dry run predicts it; a move says "move" */
	req.dry_run = true;
	req.op = OP_MOVE;
	render_text(&r, &out, &err);
	HAS(out, "nothing would be moved: 3 VMAs refused (all or nothing; --partial would move the other 5).");
	free(out);
	free(err);

	/* one of each: the other one */
	p.n = 2;
	p.e = &e[2];
	render_text(&r, &out, &err);
	HAS(out, "nothing would be moved: 1 VMA refused (all or nothing; --partial would move the other one).");
	free(out);
	free(err);

	/* JSON: the skipped pieces are neither ok nor refused */
	p.n = 8;
	p.e = e;
	size_t len;
	char *doc = render(&r, &len);
	HAS(doc, "\"status\": \"skipped\", \"reason\": \"all-or-nothing\"");
	HAS(doc, "\"method\": \"file-cow\", \"status\": \"skipped\"");
	HAS(doc, "\"refused\": 3, \"failed\": 0, \"deferred\": 0, \"skipped\": 5");
	assert_null(strstr(doc, "\"status\": \"ok\""));
	free(doc);
}

static void test_text_deferred_and_hints(void **state)
{
	(void)state;
	char anon[] = "", lib[] = "/usr/lib/libc.so.6";
	struct vma v[3] = {
		mkvma(0x10000000, 0x10002000, "rw-p", 0, 0, 0, 0, anon),
		mkvma(0x10002000, 0x10004000, "r-xp", 0, 8, 1, 60, lib),
		mkvma(0x10004000, 0x10006000, "rw-p", 0, 0, 0, 0, anon),
	};
	struct plan_entry e[3] = {
		mkentry(&v[0], v[0].start, v[0].end, ADDR_NONE, KIND_ANON, METHOD_COPY, STATUS_OK, R_NONE, "", 0x2000, 0),
		mkentry(&v[1], v[1].start, v[1].end, ADDR_NONE, KIND_FILE, METHOD_FILE_COW, STATUS_DEFERRED,
			R_IN_USE_UNKNOWN, "thread 7 is running, so its stack and instruction pointers are not known", 0, 0),
		mkentry(&v[2], v[2].start, v[2].end, ADDR_NONE, KIND_ANON, METHOD_NONE, STATUS_REFUSED, R_IN_USE,
			"thread 7's stack pointer 0x10004100 is in it", 0x1000, 0),
	};
	struct request req = { .op = OP_MAPS, .pid = 1000, .for_op = OP_MOVE, .at = ADDR_NONE };
	struct plan p = { .req = &req, .e = e, .n = 3, .cap = 3, .dest_start = ADDR_NONE, .dest_end = ADDR_NONE };
	struct report r = { .req = &req, .plan = &p, .elapsed_s = -1, .paused_s = -1 };
	char *out, *err, hint[512];

	render_text(&r, &out, &err);
	HAS(out, "0000000010002000 r-xp file 8K 0B deferred /usr/lib/libc.so.6");
	HAS(out, "in-use-unknown: ");
	HAS(out, "(thread 7 is running, so its stack and instruction pointers are not known)");
	snprintf(hint, sizeof(hint), "hint: %s", reason_info(R_IN_USE_UNKNOWN)->hint);
	HAS(out, hint);
	snprintf(hint, sizeof(hint), "in-use: %s (thread 7's stack pointer 0x10004100 is in it) hint: %s",
		 reason_info(R_IN_USE)->sentence, reason_info(R_IN_USE)->hint);
	HAS(out, hint);
	HAS(out, "1 can be moved (1 copy), 1 to be checked by the move itself, 1 refused, 0 failed.");
	free(out);
	free(err);

	/* --quiet: the refused and deferred rows, with their hints, on stderr */
	req.op = OP_MOVE;
	req.dry_run = true;
	req.quiet = true;
	req.has_range = true;
	req.addr = 0x10000000;
	req.range_end = 0x10006000;
	render_text_as(&r, &out, &err, false);
	assert_string_equal(out, "");
	HAS(err, "pvmmap: in-use-unknown: 0000000010002000-0000000010004000 /usr/lib/libc.so.6: ");
	snprintf(hint, sizeof(hint), "pvmmap: in-use: 0000000010004000-0000000010006000: %s (thread 7's stack "
		 "pointer 0x10004100 is in it)\n  hint: %s\n", reason_info(R_IN_USE)->sentence,
		 reason_info(R_IN_USE)->hint);
	HAS(err, hint);
	/* only what was refused, each line a diagnostic: no bare table row */
	assert_null(strstr(err, "0000000010000000"));
	for (const char *l = err; *l; l = strchr(l, '\n') + 1)
		if (strncmp(l, "pvmmap: ", 8) != 0 && strncmp(l, "  hint: ", 8) != 0)
			fail_msg("a line of -q's stderr is not a diagnostic: %.60s", l);
	HAS(err, "\npvmmap: refused: ");
	free(out);
	free(err);

	size_t len;
	char *doc = render(&r, &len);
	HAS(doc, "\"method\": \"file-cow\", \"status\": \"deferred\", \"reason\": \"in-use-unknown\"");
	HAS(doc, "\"deferred\": 1, \"skipped\": 0");
	free(doc);
}

/* A per-process refusal with a remedy of its own prints it, in both forms. */
static void test_error_hint_of_its_own(void **state)
{
	(void)state;
	struct request req = { .op = OP_MAPS, .pid = 77, .for_op = OP_MOVE, .at = ADDR_NONE };
	struct plan p = { .req = &req, .dest_start = ADDR_NONE, .dest_end = ADDR_NONE };
	p.error = (struct proc_refusal){ .reason = R_NOT_A_PROCESS, .pid = 77, .detail = "77 is pvmmap itself",
					 .hint = "pvmmap cannot stop itself to change its own memory: give the id of another process" };
	struct report r = { .req = &req, .plan = &p, .elapsed_s = -1, .paused_s = -1 };
	char *out, *err;

	render_text(&r, &out, &err);
	assert_string_equal(out, "");
	HAS(err, "pvmmap: not-a-process: ");
	HAS(err, "(77 is pvmmap itself) hint: pvmmap cannot stop itself to change its own memory: give the id of another process");
	assert_null(strstr(err, "whole process"));
	free(out);
	free(err);
	size_t len;
	char *doc = render(&r, &len);
	HAS(doc, "\"hint\": \"pvmmap cannot stop itself to change its own memory: give the id of another process\"");
	free(doc);
}

/* Nothing at all mapped in the range: said in words. */
static void test_text_nothing_mapped(void **state)
{
	(void)state;
	struct plan_entry e[1] = {
		mkentry(NULL, 0x1000, 0x2000, ADDR_NONE, KIND_NONE, METHOD_NONE, STATUS_REFUSED, R_NOT_MAPPED, "", 0, 0),
	};
	struct request req = { .op = OP_MAPS, .pid = 1000, .for_op = OP_MOVE, .at = ADDR_NONE, .has_range = true,
			       .addr = 0x1000, .len = 0x1000, .range_end = 0x2000 };
	struct plan p = { .req = &req, .e = e, .n = 1, .cap = 1, .dest_start = ADDR_NONE, .dest_end = ADDR_NONE };
	struct report r = { .req = &req, .plan = &p, .elapsed_s = -1, .paused_s = -1 };
	char *out, *err;

	render_text(&r, &out, &err);
	HAS(out, "not-mapped: nothing is mapped here in the source process");
	HAS(out, "Nothing is mapped at 0x1000-0x2000 in process 1000.");
	assert_null(strstr(out, "can be moved"));
	free(out);
	free(err);
	req.op = OP_COPY;
	req.pid2 = 2000;
	render_text(&r, &out, &err);
	HAS(out, "Nothing is mapped at 0x1000-0x2000 in process 1000: nothing to copy.");
	free(out);
	free(err);
}

/* A command line that was not understood has no operation. */
static void test_json_operation_unknown(void **state)
{
	(void)state;
	struct request req = { .op = OP_NONE, .at = ADDR_NONE };
	struct report_error err = { .code = "usage", .message = "pvmmap: unknown command 'frob'" };
	struct report r = { .req = &req, .error = &err, .elapsed_s = -1, .paused_s = -1 };
	size_t len;
	char *doc = render(&r, &len);
	HAS(doc, "\"operation\": null,");
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_ascii),
		cmocka_unit_test(test_json_control),
		cmocka_unit_test(test_json_utf8_kept),
		cmocka_unit_test(test_json_invalid_bytes),
		cmocka_unit_test(test_json_round_trip_python),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_format_size_small_buffer),
		cmocka_unit_test(test_report_maps),
		cmocka_unit_test(test_report_error),
		cmocka_unit_test(test_report_copy_dry_run),
		cmocka_unit_test(test_report_move_done),
		cmocka_unit_test(test_report_usage_error),
		cmocka_unit_test(test_text_all_or_nothing),
		cmocka_unit_test(test_text_deferred_and_hints),
		cmocka_unit_test(test_error_hint_of_its_own),
		cmocka_unit_test(test_text_nothing_mapped),
		cmocka_unit_test(test_json_operation_unknown),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
