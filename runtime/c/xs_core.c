// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xs_core.c -- probe contexts, run-time errors, strings, arithmetic, locks,
 * fault-safe kernel reads, timers and tracepoint lookup.
 *
 * Every function here may run in any probe context (kprobe, hrtimer,
 * tracepoint, NMI-like) except xs_contexts_alloc/free, xs_timer_stop and
 * the tracepoint (un)registration, which run in process context.
 */
#include "xs_config.h"
#include "xs_runtime.h"

atomic_t xs_session_state = ATOMIC_INIT(XS_LOADED);
atomic_t xs_error_count = ATOMIC_INIT(0);
atomic_t xs_skipped_count = ATOMIC_INIT(0);

static struct xs_context **xs_contexts;
static unsigned xs_ncontexts;

int xs_contexts_alloc(void)
{
	unsigned i;

	if (xs_contexts)
		return 0;
	xs_ncontexts = nr_cpu_ids;
	xs_contexts = kcalloc(xs_ncontexts, sizeof(*xs_contexts), GFP_KERNEL);
	if (!xs_contexts)
		return -ENOMEM;
	for (i = 0; i < xs_ncontexts; i++) {
		if (!cpu_possible(i))
			continue;
		xs_contexts[i] = vzalloc(sizeof(struct xs_context));
		if (!xs_contexts[i])
			return -ENOMEM;
	}
	return 0;
}

void xs_contexts_free(void)
{
	unsigned i;

	if (!xs_contexts)
		return;
	for (i = 0; i < xs_ncontexts; i++)
		vfree(xs_contexts[i]);
	kfree(xs_contexts);
	xs_contexts = NULL;
}

static int xs_kind_runs(int kind, int state)
{
	switch (kind) {
	case XS_KIND_BEGIN:
		return state == XS_STARTING;
	case XS_KIND_END:
	case XS_KIND_ERROR:
		return state == XS_STOPPING;
	default:
		return state == XS_RUNNING;
	}
}

void xs_skip(void)
{
	if (atomic_inc_return(&xs_skipped_count) > MAXSKIPPED) {
		if (atomic_cmpxchg(&xs_session_state, XS_RUNNING, XS_STOPPING) == XS_RUNNING)
			xs_request_exit();
	}
}

struct xs_context *xs_enter(const char *pp, int kind)
{
	struct xs_context *c;
	int cpu;

	if (!xs_kind_runs(kind, atomic_read(&xs_session_state)))
		return NULL;
	preempt_disable();
	cpu = smp_processor_id();
	if (unlikely(!xs_contexts || (unsigned)cpu >= xs_ncontexts || !xs_contexts[cpu])) {
		preempt_enable();
		return NULL;
	}
	c = xs_contexts[cpu];
	if (atomic_inc_return(&c->busy) != 1) {
		atomic_dec(&c->busy);
		preempt_enable();
		xs_skip();
		return NULL;
	}
	c->cpu = cpu;
	c->kind = kind;
	c->pp = pp;
	c->regs = NULL;
	c->is_return = 0;
	c->ri = NULL;
	c->tp_nargs = 0;
	c->point = 0;
	c->last_error = NULL;
	c->last_loc = NULL;
	c->unwind = 0;
	c->actions = 0;
	c->maxaction = (kind == XS_KIND_BEGIN || kind == XS_KIND_END || kind == XS_KIND_ERROR)
		? MAXACTION_INTERRUPTIBLE : MAXACTION;
	c->nesting = 0;
	c->outlen = 0;
	return c;
}

static void xs_report_error(struct xs_context *c)
{
	struct xs_sink s;
	char line[MAXSTRINGLEN + 160];

	s.buf = line;
	s.len = 0;
	s.cap = sizeof(line) - 1;
	s.out = NULL;
	xs_puts(&s, "ERROR: ");
	xs_puts(&s, c->last_error);
	if (c->last_loc) {
		xs_putc(&s, ' ');
		xs_puts(&s, c->last_loc);
	}
	xs_putc(&s, '\n');
	xs_print_err(line, s.len);
}

void xs_leave(struct xs_context *c)
{
	if (c->last_error) {
		/* Output printed before the error still goes out, first. */
		xs_flush(c);
		xs_report_error(c);
		if (atomic_inc_return(&xs_error_count) > MAXERRORS) {
			int old = atomic_read(&xs_session_state);

			if (old == XS_STARTING || old == XS_RUNNING) {
				atomic_set(&xs_session_state, XS_STOPPING);
				xs_request_exit();
			}
		}
	}
	xs_flush(c);
	atomic_dec(&c->busy);
	preempt_enable();
}

void xs_error(struct xs_context *c, const char *msg, const char *loc)
{
	if (c->last_error)
		return;
	xs_strlcpy(c->error_buf, msg);
	c->last_error = c->error_buf;
	c->last_loc = loc;
	c->unwind = 1;
}

void xs_errorf(struct xs_context *c, const char *loc, const char *fmt, ...)
{
	va_list ap;

	if (c->last_error)
		return;
	va_start(ap, fmt);
	vsnprintf(c->error_buf, MAXSTRINGLEN, fmt, ap);
	va_end(ap);
	c->last_error = c->error_buf;
	c->last_loc = loc;
	c->unwind = 1;
}

void xs_note_loc(struct xs_context *c, const char *loc)
{
	if (c->last_error && !c->last_loc)
		c->last_loc = loc;
}

void xs_exit(void)
{
	int old = atomic_read(&xs_session_state);

	if (old == XS_STARTING || old == XS_RUNNING)
		atomic_set(&xs_session_state, XS_STOPPING);
	xs_request_exit();
}

void xs_warn(const char *fmt, ...)
{
	char line[MAXSTRINGLEN];
	int n;
	va_list ap;

	memcpy(line, "WARNING: ", 9);
	va_start(ap, fmt);
	n = vsnprintf(line + 9, sizeof(line) - 10, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 9;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* Like stap, a message that ends its own line gets no second newline. */
	if (line[n - 1] != '\n')
		line[n++] = '\n';
	xs_print_err(line, n);
}

void xs_dbug(const char *func, int line, const char *fmt, ...)
{
	char buf[MAXSTRINGLEN];
	int n, m;
	va_list ap;

	n = snprintf(buf, sizeof(buf) - 1, "%s:%d: ", func, line);
	if (n < 0 || n >= (int)sizeof(buf) - 2)
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - 1 - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (buf[n - 1] != '\n')
		buf[n++] = '\n';
	xs_print_err(buf, n);
}

void xs_report_summary(void)
{
	int errs = atomic_read(&xs_error_count);
	int skipped = atomic_read(&xs_skipped_count);

	if (errs || skipped)
		xs_warn("Number of errors: %d, skipped probes: %d", errs, skipped);
}

/* ---- strings ---- */

void xs_strlcpy(char *dst, const char *src)
{
	unsigned i;

	if (dst == src)
		return;
	for (i = 0; i < MAXSTRINGLEN - 1 && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

void xs_strcat(char *dst, const char *src)
{
	unsigned i = 0, j;

	while (i < MAXSTRINGLEN - 1 && dst[i])
		i++;
	for (j = 0; i < MAXSTRINGLEN - 1 && src[j]; i++, j++)
		dst[i] = src[j];
	dst[i] = '\0';
}

void xs_strlcpy_n(char *dst, const char *src, unsigned cap)
{
	unsigned i;

	if (dst == src || !cap)
		return;
	for (i = 0; i + 1 < cap && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

void xs_strcat_n(char *dst, const char *src, unsigned cap)
{
	unsigned i = 0, j;

	if (!cap)
		return;
	while (i + 1 < cap && dst[i])
		i++;
	for (j = 0; i + 1 < cap && src[j]; i++, j++)
		dst[i] = src[j];
	dst[i] = '\0';
}

void xs_concat(char *dst, const char *a, const char *b)
{
	xs_strlcpy(dst, a);
	xs_strcat(dst, b);
}

int xs_strcmp(const char *a, const char *b)
{
	unsigned i;

	for (i = 0; i < MAXSTRINGLEN; i++) {
		unsigned char x = a[i], y = b[i];

		if (x != y)
			return x < y ? -1 : 1;
		if (!x)
			return 0;
	}
	return 0;
}

/* ---- arithmetic ---- */

xs_long xs_div(struct xs_context *c, xs_long a, xs_long b, const char *loc)
{
	if (unlikely(b == 0)) {
		xs_error(c, "division by 0", loc);
		return 0;
	}
	if (b == -1)
		return (xs_long)(0 - (uint64_t)a);
	return a / b;
}

xs_long xs_mod(struct xs_context *c, xs_long a, xs_long b, const char *loc)
{
	if (unlikely(b == 0)) {
		xs_error(c, "division by 0", loc);
		return 0;
	}
	if (b == -1)
		return 0;
	return a % b;
}

xs_long xs_shl(xs_long a, xs_long b)
{
	return (xs_long)((uint64_t)a << (b & 63));
}

xs_long xs_shr(xs_long a, xs_long b)
{
	return a >> (b & 63);
}

xs_long xs_ushr(xs_long a, xs_long b)
{
	return (xs_long)((uint64_t)a >> (b & 63));
}

/* ---- regular expressions ---- */

int xs_regex_match(const struct xs_dfa *d, const char *s)
{
	unsigned st = 0, i;

#define XS_STEP(sym) do { \
		st = d->trans[st * d->nclasses + d->cls[(sym)]]; \
		if (st >= d->nstates) \
			return 0; \
	} while (0)
	XS_STEP(256);
	if (d->accept[st])
		return 1;
	for (i = 0; i < MAXSTRINGLEN && s[i]; i++) {
		XS_STEP((unsigned char)s[i]);
		if (d->accept[st])
			return 1;
	}
	XS_STEP(257);
#undef XS_STEP
	return d->accept[st];
}

/* ---- locks ---- */

int xs_lock(const struct xs_lockreq *r, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned tries = 0;
		int ok;

		for (;;) {
			ok = r[i].write ? xs_write_trylock(r[i].lock) : xs_read_trylock(r[i].lock);
			if (ok || ++tries >= MAXTRYLOCK)
				break;
			ndelay(TRYLOCKDELAY);
		}
		if (!ok) {
			xs_unlock(r, i);
			xs_skip();
			return 0;
		}
	}
	return 1;
}

void xs_unlock(const struct xs_lockreq *r, unsigned n)
{
	while (n-- > 0) {
		if (r[n].write)
			xs_write_unlock(r[n].lock);
		else
			xs_read_unlock(r[n].lock);
	}
}

/* ---- target variables ---- */

xs_long xs_extend(xs_long v, unsigned size, int sign)
{
	switch (size) {
	case 1:
		return sign ? (xs_long)(int8_t)v : (xs_long)(uint8_t)v;
	case 2:
		return sign ? (xs_long)(int16_t)v : (xs_long)(uint16_t)v;
	case 4:
		return sign ? (xs_long)(int32_t)v : (xs_long)(uint32_t)v;
	default:
		return v;
	}
}

xs_long xs_kread(struct xs_context *c, xs_long addr, unsigned size, int sign, const char *loc)
{
	uint64_t v = 0;

	if (size > 8)
		size = 8;
	if (copy_from_kernel_nofault(&v, (const void *)(uintptr_t)addr, size)) {
		xs_errorf(c, loc, "kernel read fault at 0x%lx", (unsigned long)addr);
		return 0;
	}
	/* Little-endian targets: the low bytes hold the value. */
	return xs_extend((xs_long)v, size, sign);
}

void xs_kread_str(struct xs_context *c, char *dst, xs_long addr, const char *loc)
{
	unsigned i;

	for (i = 0; i < MAXSTRINGLEN - 1; i++) {
		char ch;

		if (copy_from_kernel_nofault(&ch, (const void *)(uintptr_t)(addr + i), 1)) {
			dst[i] = '\0';
			xs_errorf(c, loc, "kernel string copy fault at 0x%lx", (unsigned long)(addr + i));
			return;
		}
		dst[i] = ch;
		if (!ch)
			return;
	}
	dst[i] = '\0';
}

void xs_kwrite(struct xs_context *c, xs_long addr, unsigned size, xs_long v, const char *loc)
{
#ifndef XS_USERSPACE
	unsigned long a = (unsigned long)addr;

	/* x86_64 and arm64 kernels live in the upper half of the address space. */
	if ((long)a >= 0 || a + size < a)
		goto fault;
	pagefault_disable();
	switch (size) {
	case 1: {
		u8 x = (u8)v;

		__put_kernel_nofault((void *)a, &x, u8, efault);
		break;
	}
	case 2: {
		u16 x = (u16)v;

		__put_kernel_nofault((void *)a, &x, u16, efault);
		break;
	}
	case 4: {
		u32 x = (u32)v;

		__put_kernel_nofault((void *)a, &x, u32, efault);
		break;
	}
	case 8: {
		u64 x = (u64)v;

		__put_kernel_nofault((void *)a, &x, u64, efault);
		break;
	}
	default:
		pagefault_enable();
		xs_errorf(c, loc, "cannot write %u bytes to a target variable", size);
		return;
	}
	pagefault_enable();
	return;
efault:
	pagefault_enable();
fault:
#endif
	xs_errorf(c, loc, "kernel write fault at 0x%lx", (unsigned long)addr);
}

void xs_set_arg(struct xs_context *c, unsigned n, xs_long v, const char *loc)
{
#ifndef XS_USERSPACE
	if (c->regs && !c->is_return) {
#if defined(CONFIG_X86_64)
		switch (n) {
		case 0: c->regs->di = (unsigned long)v; return;
		case 1: c->regs->si = (unsigned long)v; return;
		case 2: c->regs->dx = (unsigned long)v; return;
		case 3: c->regs->cx = (unsigned long)v; return;
		case 4: c->regs->r8 = (unsigned long)v; return;
		case 5: c->regs->r9 = (unsigned long)v; return;
		default: break;
		}
#elif defined(CONFIG_ARM64)
		if (n < 8) {
			c->regs->regs[n] = (u64)v;
			return;
		}
#endif
	}
#endif
	xs_errorf(c, loc, "cannot write function argument %u here", n);
}

void xs_set_retval(struct xs_context *c, xs_long v, const char *loc)
{
#ifndef XS_USERSPACE
	if (c->regs && c->is_return) {
		regs_set_return_value(c->regs, (unsigned long)v);
		return;
	}
#endif
	xs_error(c, "$return can only be written in a .return probe", loc);
}

xs_long xs_arg(struct xs_context *c, unsigned n, const char *loc)
{
#ifndef XS_USERSPACE
	if (c->regs && n < 6)
		return (xs_long)regs_get_kernel_argument(c->regs, n);
#endif
	xs_errorf(c, loc, "cannot access function argument %u here", n);
	return 0;
}

xs_long xs_retval(struct xs_context *c, const char *loc)
{
#ifndef XS_USERSPACE
	if (c->regs && c->is_return)
		return (xs_long)regs_return_value(c->regs);
#endif
	xs_error(c, "$return is only available in a .return probe", loc);
	return 0;
}

/* ---- timers ---- */

uint64_t xs_jiffies_ns(uint64_t n)
{
	return n * (1000000000ULL / HZ);
}

uint64_t xs_hz_ns(uint64_t n)
{
	return n ? 1000000000ULL / n : 1000000000ULL;
}

#if !defined(XS_USERSPACE) && defined(XS_NEED_TIMERS)
static uint64_t xs_timer_next(struct xs_timer *t)
{
	uint64_t ns = t->interval_ns;

	if (t->rand_ns) {
		uint64_t r = get_random_u32() % (2 * t->rand_ns + 1);

		ns = ns + r > t->rand_ns ? ns + r - t->rand_ns : 1;
	}
	return ns ? ns : 1;
}

static enum hrtimer_restart xs_timer_fire(struct hrtimer *hr)
{
	struct xs_timer *t = container_of(hr, struct xs_timer, hr);

	t->fn(t);
	if (!READ_ONCE(t->armed))
		return HRTIMER_NORESTART;
	hrtimer_forward(hr, hrtimer_cb_get_time(hr), ns_to_ktime(xs_timer_next(t)));
	return HRTIMER_RESTART;
}

static void xs_timer_start_here(void *arg)
{
	struct xs_timer *t = arg;

	hrtimer_start(&t->hr, ns_to_ktime(xs_timer_next(t)),
		      t->cpu >= 0 ? HRTIMER_MODE_REL_PINNED : HRTIMER_MODE_REL);
}

void xs_timer_start(struct xs_timer *t)
{
	hrtimer_init(&t->hr, CLOCK_MONOTONIC,
		     t->cpu >= 0 ? HRTIMER_MODE_REL_PINNED : HRTIMER_MODE_REL);
	t->hr.function = xs_timer_fire;
	WRITE_ONCE(t->armed, 1);
	if (t->cpu >= 0)
		smp_call_function_single(t->cpu, xs_timer_start_here, t, 1);
	else
		xs_timer_start_here(t);
}

void xs_timer_stop(struct xs_timer *t)
{
	if (!READ_ONCE(t->armed))
		return;
	WRITE_ONCE(t->armed, 0);
	hrtimer_cancel(&t->hr);
}
#endif /* XS_NEED_TIMERS */

/* ---- tracepoints ---- */
#if !defined(XS_USERSPACE) && defined(XS_NEED_TRACEPOINTS)

struct xs_tp_find {
	const char *name;
	struct tracepoint *tp;
};

static void xs_tp_match(struct tracepoint *tp, void *priv)
{
	struct xs_tp_find *f = priv;

	if (!f->tp && strcmp(tp->name, f->name) == 0)
		f->tp = tp;
}

int xs_tracepoint_register(const char *name, void *probe, void *data, struct tracepoint **out)
{
	struct xs_tp_find f = { name, NULL };
	int rc;

	for_each_kernel_tracepoint(xs_tp_match, &f);
	if (!f.tp)
		return -ENOENT;
	rc = tracepoint_probe_register(f.tp, probe, data);
	if (rc == 0)
		*out = f.tp;
	return rc;
}

void xs_tracepoint_unregister(struct tracepoint *tp, void *probe, void *data)
{
	tracepoint_probe_unregister(tp, probe, data);
}

void xs_tracepoint_sync(void)
{
	tracepoint_synchronize_unregister();
}
#endif /* XS_NEED_TRACEPOINTS */
