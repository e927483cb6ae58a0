// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xs_test -- a hand-written module that stands in for a generated xstap
 * module, to test the transport (runtime/c/transport.c) and the loader
 * (xstap-run) end to end. It implements the runtime's session hooks itself.
 *
 * mode=exit (default)  begin prints `lines` lines, a timer after `delay_ms`
 *                      prints "xs_test: timer" and calls xs_request_exit()
 * mode=wait            begin prints, then nothing until the loader stops it
 *                      (SIGINT, SIGTERM, -c command ending)
 * mode=error           begin prints an "ERROR:" line to stderr and asks to exit
 * mode=failstart       xs_session_start fails with -EINVAL after an ERROR line
 * mode=initfail        module_init fails with -ENOENT
 * mode=flood           begin prints `lines` lines at once (to overflow buffers), then exits
 * mode=kprobe          counts hits of a kprobe on `symbol` (vfs_read), prints
 *                      the count at end; timer exit after delay_ms if nonzero
 * Every mode prints "xs_test: end dropped=N" from stop, after sleeping
 * `stop_ms` milliseconds when that is set (a slow end probe).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/timer.h>
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/string.h>
#include <linux/delay.h>
#include "transport.h"

static long xs_target;
module_param(xs_target, long, 0444);
static char *mode = "exit";
module_param(mode, charp, 0444);
static int lines = 3;
module_param(lines, int, 0444);
static int delay_ms = 200;
module_param(delay_ms, int, 0444);
static char *symbol = "vfs_read";
module_param(symbol, charp, 0444);
static int stop_ms;
module_param(stop_ms, int, 0444);

static struct timer_list xs_timer;
static bool timer_armed, kp_armed;
static atomic64_t hits = ATOMIC64_INIT(0);

static void out(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	xs_print(buf, n);
}

static void err(const char *s)
{
	xs_print_err(s, strlen(s));
}

static int kp_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic64_inc(&hits);
	return 0;
}
static struct kprobe kp = { .pre_handler = kp_pre };

static void timer_fn(struct timer_list *t)
{
	out("xs_test: timer\n");
	xs_request_exit();
}

int xs_session_start(void)
{
	int i, rc;

	out("xs_test: begin mode=%s target=%ld\n", mode, xs_target);
	if (!strcmp(mode, "failstart")) {
		err("ERROR: xs_test: begin failed on purpose\n");
		return -EINVAL;
	}
	if (!strcmp(mode, "error")) {
		err("ERROR: division by zero near operator '/' at xs_test.stp:1:20\n");
		xs_request_exit();
		return 0;
	}
	if (!strcmp(mode, "kprobe")) {
		kp.symbol_name = symbol;
		rc = register_kprobe(&kp);
		if (rc) {
			out("xs_test: register_kprobe(%s) failed: %d\n", symbol, rc);
			return rc;
		}
		kp_armed = true;
	}
	for (i = 0; i < lines; i++)
		out("xs_test: line %d of %d\n", i + 1, lines);
	if (!strcmp(mode, "flood"))
		xs_request_exit();
	if (!strcmp(mode, "wait") || !strcmp(mode, "flood") ||
	    (!strcmp(mode, "kprobe") && delay_ms == 0))
		return 0;
	timer_setup(&xs_timer, timer_fn, 0);
	mod_timer(&xs_timer, jiffies + msecs_to_jiffies(delay_ms));
	timer_armed = true;
	return 0;
}

void xs_session_stop(void)
{
	if (timer_armed)
		del_timer_sync(&xs_timer);
	timer_armed = false;
	if (kp_armed) {
		unregister_kprobe(&kp);
		kp_armed = false;
		out("xs_test: hits=%lld\n", (long long)atomic64_read(&hits));
	}
	if (stop_ms > 0) {
		out("xs_test: slow stop\n");
		msleep(stop_ms);
	}
	out("xs_test: end dropped=%lu\n", xs_dropped());
}

static int __init xs_test_init(void)
{
	int rc;

	if (!strcmp(mode, "initfail")) {
		pr_info("xs_test: init fails on purpose\n");
		return -ENOENT;
	}
	rc = xs_transport_init();
	if (rc)
		pr_err("xs_test: transport init failed: %d\n", rc);
	return rc;
}

static void __exit xs_test_exit(void)
{
	xs_transport_exit();
}

module_init(xs_test_init);
module_exit(xs_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xstap transport test module");
