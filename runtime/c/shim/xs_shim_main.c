// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xs_shim_main.c -- the user-space transport and event loop for the
 * runtime built with -DXS_USERSPACE: script stdout to stdout, stderr text
 * to stderr, timers fired in virtual time (earliest first), the session
 * stopped when the script exits or when no timer is left; then end probes.
 * Exit status 1 when an "ERROR:" line was printed, like the loader.
 */
#include "../xs_config.h"
#include "../xs_runtime.h"

static int xs_shim_exit_requested;
static int xs_shim_errors;
static uint64_t xs_shim_now;
static uint32_t xs_shim_rand = 12345;

#define XS_SHIM_MAXTIMERS 256
static struct xs_timer *xs_shim_timers[XS_SHIM_MAXTIMERS];

int xs_transport_init(void) { return 0; }
void xs_transport_exit(void) { }
unsigned long xs_dropped(void) { return 0; }
void xs_request_exit(void) { xs_shim_exit_requested = 1; }

void xs_print(const char *buf, unsigned len)
{
	fwrite(buf, 1, len, stdout);
}

void xs_print_err(const char *buf, unsigned len)
{
	fflush(stdout);
	if (len >= 6 && memcmp(buf, "ERROR:", 6) == 0)
		xs_shim_errors++;
	fwrite(buf, 1, len, stderr);
	fflush(stderr);
}

static uint64_t xs_shim_next(struct xs_timer *t)
{
	uint64_t ns = t->interval_ns;

	if (t->rand_ns) {
		uint64_t r;

		xs_shim_rand = xs_shim_rand * 1103515245u + 12345u;
		r = (xs_shim_rand >> 8) % (2 * t->rand_ns + 1);
		ns = ns + r > t->rand_ns ? ns + r - t->rand_ns : 1;
	}
	return ns ? ns : 1;
}

void xs_timer_start(struct xs_timer *t)
{
	int i;

	t->armed = 1;
	t->due = xs_shim_now + xs_shim_next(t);
	for (i = 0; i < XS_SHIM_MAXTIMERS; i++)
		if (!xs_shim_timers[i]) {
			xs_shim_timers[i] = t;
			return;
		}
}

void xs_timer_stop(struct xs_timer *t)
{
	int i;

	t->armed = 0;
	for (i = 0; i < XS_SHIM_MAXTIMERS; i++)
		if (xs_shim_timers[i] == t)
			xs_shim_timers[i] = NULL;
}

int main(int argc, char **argv)
{
	/* Virtual-time budget: 1 hour, like a generous test timeout. */
	uint64_t limit = 3600ULL * 1000000000ULL;
	int rc;

	if (argc > 1)
		limit = strtoull(argv[1], NULL, 0);
	rc = xs_shim_init();
	if (rc)
		return 2;
	rc = xs_session_start();
	if (rc) {
		xs_shim_exit();
		return 2;
	}
	while (!xs_shim_exit_requested) {
		struct xs_timer *next = NULL;
		int i;

		for (i = 0; i < XS_SHIM_MAXTIMERS; i++) {
			struct xs_timer *t = xs_shim_timers[i];

			if (t && t->armed && (!next || t->due < next->due))
				next = t;
		}
		if (!next || next->due > limit)
			break;
		xs_shim_now = next->due;
		next->fn(next);
		if (next->armed)
			next->due = xs_shim_now + xs_shim_next(next);
	}
	xs_session_stop();
	xs_shim_exit();
	fflush(stdout);
	return xs_shim_errors ? 1 : 0;
}
