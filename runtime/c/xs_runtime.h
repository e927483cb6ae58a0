/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xs_runtime.h -- the xstap kernel runtime: the one header generated code
 * includes (after xs_config.h, which holds the script's -D overrides).
 *
 * Role: per-CPU probe contexts with a reentrancy guard, run-time errors
 * with script locations, bounded strings, the print family with stap's
 * format semantics, statistics and histograms, associative arrays,
 * per-global reader/writer locks, fault-safe kernel reads, timers. It
 * depends on xs_sys.h (kernel headers or the user-space shim) and on the
 * transport (transport.h) for output.
 *
 * Invariants:
 *  - Nothing here sleeps in probe context, every loop is bounded, every
 *    kernel memory read goes through copy_from_kernel_nofault.
 *  - Strings are NUL-terminated char arrays of MAXSTRINGLEN bytes.
 *  - Maps and contexts are allocated in xs_session_start (process context)
 *    and freed by xs_runtime_free (module exit).
 *
 * For tapset embedded C (`function f() %{ ... %}`), the CONTEXT fields
 * documented in struct xs_context and the functions marked "tapset API"
 * below are the stable interface.
 */
#ifndef XS_RUNTIME_H
#define XS_RUNTIME_H

#include "xs_sys.h"
#include "transport.h"

/* ---- configuration (overridable with -D) ---- */
#ifndef MAXSTRINGLEN
#define MAXSTRINGLEN 512
#endif
#ifndef MAXACTION
#define MAXACTION 1000
#endif
#ifndef MAXACTION_INTERRUPTIBLE
#define MAXACTION_INTERRUPTIBLE (MAXACTION * 10)
#endif
#ifndef MAXNESTING
#define MAXNESTING 10
#endif
#ifndef MAXMAPENTRIES
#define MAXMAPENTRIES 2048
#endif
#ifndef MAXERRORS
#define MAXERRORS 0
#endif
#ifndef MAXSKIPPED
#define MAXSKIPPED 100
#endif
#ifndef MAXTRYLOCK
#define MAXTRYLOCK MAXACTION
#endif
#ifndef TRYLOCKDELAY
#define TRYLOCKDELAY 10
#endif
#ifndef HIST_ELISION
#define HIST_ELISION 2
#endif
#ifndef HIST_WIDTH
#define HIST_WIDTH 50
#endif
/* Bytes of script output buffered per probe hit before a flush. */
#ifndef XS_OUTBUF
#define XS_OUTBUF 8192
#endif
#define XS_TP_MAXARGS 12
#define XS_MAXKEYS 9
#define XS_HIST_LOG_BUCKETS 128
#define XS_HIST_LOG_BUCKET0 64

typedef int64_t xs_long;

/* ---- session state ---- */
enum xs_state {
	XS_LOADED = 0,
	XS_STARTING,  /* begin probes run */
	XS_RUNNING,   /* all probes run */
	XS_STOPPING,  /* exit() or an error: only end/error probes run */
	XS_DONE,
};
extern atomic_t xs_session_state;
extern atomic_t xs_error_count;
extern atomic_t xs_skipped_count;

/* What kind of probe a context is running (CONTEXT->kind). */
enum xs_kind {
	XS_KIND_BEGIN = 0,
	XS_KIND_END,
	XS_KIND_ERROR,
	XS_KIND_TIMER,
	XS_KIND_PROFILE,
	XS_KIND_KPROBE,
	XS_KIND_KRETPROBE,
	XS_KIND_TRACEPOINT,
	XS_KIND_PROCFS,
	XS_KIND_NETFILTER,
};

/*
 * The per-CPU probe context (CONTEXT in embedded C). Fields tapsets may use:
 *   pp          the probe point string, as pp() returns it
 *   kind        enum xs_kind
 *   regs        struct pt_regs * at the probe (kprobe, kretprobe, profile), else NULL
 *   (netfilter: tp_args[] hold $hooknum $skb $in $out $verdict)
 *   is_return   1 in a .return probe
 *   ri          struct kretprobe_instance * in a .return probe, else NULL
 *   tp_args, tp_nargs   tracepoint arguments as longs
 *   cpu         the CPU running the probe
 *   last_error  the pending error message, NULL if none
 * Everything else is the runtime's.
 */
struct xs_context {
	atomic_t busy;
	int cpu;
	int kind;
	const char *pp;
	struct pt_regs *regs;
	int is_return;
	void *ri;
	xs_long tp_args[XS_TP_MAXARGS];
	unsigned tp_nargs;
	/* The index of the point (within its probe) that fired. */
	unsigned point;
	const char *last_error;
	const char *last_loc;
	/* Nonzero while an error or `next` unwinds the handler. */
	int unwind;
	xs_long actions;
	xs_long maxaction;
	int nesting;
	char error_buf[MAXSTRINGLEN];
	unsigned outlen;
	char outbuf[XS_OUTBUF];
};

/* The target pid (`-x PID` / `-c CMD`), module parameter xs_target. */
extern long xs_target;

/* ---- contexts and errors ---- */
int xs_contexts_alloc(void);
void xs_contexts_free(void);
/* Enter a probe: NULL when the session is not in a state that runs `kind`
 * or when this CPU is already inside a probe (then it is counted skipped). */
struct xs_context *xs_enter(const char *pp, int kind);
/* Leave: report a pending error, flush output, release the CPU. */
void xs_leave(struct xs_context *c);
/* Tapset API: raise a run-time error (message copied). */
void xs_error(struct xs_context *c, const char *msg, const char *loc);
void xs_errorf(struct xs_context *c, const char *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Attach a location to a pending error that has none (embedded C errors). */
void xs_note_loc(struct xs_context *c, const char *loc);
/* Count a probe skipped because of lock contention or reentrancy. */
void xs_skip(void);
/* Tapset API: exit() -- stop the session (end probes still run). */
void xs_exit(void);
/* Print "WARNING: ..." on stderr. */
void xs_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "FUNC:LINE: ..." on stderr (stap's _stp_dbug, for guru embedded C). */
void xs_dbug(const char *func, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define _stp_dbug xs_dbug
/* The end-of-run summary of errors and skipped probes. */
void xs_report_summary(void);

/* MAXACTION accounting inside generated code. */
#define XS_ACT(c, n, loc, label) do { \
	if (unlikely(((c)->actions += (n)) > (c)->maxaction)) { \
		xs_error((c), "MAXACTION exceeded", (loc)); goto label; } } while (0)

/* ---- strings ---- */
void xs_strlcpy(char *dst, const char *src);
void xs_concat(char *dst, const char *a, const char *b);
int xs_strcmp(const char *a, const char *b);
/* Tapset API: append to a MAXSTRINGLEN buffer. */
void xs_strcat(char *dst, const char *src);
/* The same for a buffer of cap bytes (a procfs read probe's $value with
 * .maxsize(N)); src is read up to cap - 1 bytes. */
void xs_strlcpy_n(char *dst, const char *src, unsigned cap);
void xs_strcat_n(char *dst, const char *src, unsigned cap);
#define XS_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- arithmetic ---- */
xs_long xs_div(struct xs_context *c, xs_long a, xs_long b, const char *loc);
xs_long xs_mod(struct xs_context *c, xs_long a, xs_long b, const char *loc);
xs_long xs_shl(xs_long a, xs_long b);
xs_long xs_shr(xs_long a, xs_long b);
xs_long xs_ushr(xs_long a, xs_long b);

/* ---- output ---- */
/* A bounded writer: the probe's output buffer or a string being built. */
struct xs_sink {
	char *buf;
	unsigned len;
	unsigned cap;
	/* Non-NULL: the context's output buffer, flushed when full. */
	struct xs_context *out;
};
void xs_sink_out(struct xs_sink *s, struct xs_context *c);
/* A string sink over dst (MAXSTRINGLEN); xs_sink_end terminates it. */
void xs_sink_str(struct xs_sink *s, char *dst);
void xs_sink_end(struct xs_sink *s);
void xs_put(struct xs_sink *s, const char *p, unsigned n);
void xs_puts(struct xs_sink *s, const char *p);
void xs_putc(struct xs_sink *s, char ch);
void xs_put_long(struct xs_sink *s, xs_long v);
void xs_flush(struct xs_context *c);
/* Tapset API: formatted output into the probe's output (kernel vsnprintf). */
void xs_printf(struct xs_context *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* printf flags */
#define XS_F_LEFT 1
#define XS_F_PLUS 2
#define XS_F_SPACE 4
#define XS_F_SPECIAL 8
#define XS_F_ZEROPAD 16
/* One conversion of stap's printf: conv is one of d i u o x X c p b. */
void xs_fmt_long(struct xs_sink *s, xs_long v, int flags, int width, int prec, char conv);
/* %s */
void xs_fmt_str(struct xs_sink *s, const char *v, int flags, int width, int prec);
/* %m / %M: `prec` bytes of kernel memory at addr (raw or hex). */
void xs_fmt_mem(struct xs_context *c, struct xs_sink *s, xs_long addr, int flags, int width, int prec, char conv, const char *loc);

/* ---- statistics ---- */
enum xs_hist { XS_HIST_NONE = 0, XS_HIST_LOG, XS_HIST_LINEAR };
struct xs_stat_desc {
	int hist;
	xs_long start, interval;
	/* Number of histogram buckets (linear: interior + under + over). */
	unsigned buckets;
	/* Bit shift for @variance. */
	int shift;
	/* A scalar (not array) aggregate: stap combines its per-CPU parts
	 * when read, which changes @variance's rounding; we match it. */
	int scalar;
};
struct xs_stat {
	xs_long count, sum, min, max;
	xs_long avg_s, m2, var_s;
	xs_long hist[];
};
enum xs_statop { XS_COUNT, XS_SUM, XS_MIN, XS_MAX, XS_AVG, XS_VARIANCE };
void xs_stat_desc_init(struct xs_stat_desc *d, int hist, xs_long start, xs_long stop, xs_long interval, int shift);
unsigned xs_stat_size(const struct xs_stat_desc *d);
void xs_stat_add(const struct xs_stat_desc *d, struct xs_stat *st, xs_long v);
/* @count etc.; NULL st = empty; sets an error for @min/@max/@avg of empty. */
xs_long xs_stat_get(struct xs_context *c, const struct xs_stat_desc *d, const struct xs_stat *st, int op, const char *loc);
void xs_stat_print_hist(struct xs_sink *s, const struct xs_stat_desc *d, const struct xs_stat *st);
xs_long xs_stat_bucket(struct xs_context *c, const struct xs_stat_desc *d, const struct xs_stat *st, xs_long b, const char *loc);

/* ---- associative arrays ---- */
enum xs_vtype { XS_T_LONG = 0, XS_T_STR = 1, XS_T_STAT = 2 };
/* One key value: `l` for long keys, `s` for string keys. */
struct xs_key {
	xs_long l;
	const char *s;
};
struct xs_map {
	const char *name;
	unsigned nkeys;
	unsigned char ktype[XS_MAXKEYS];
	unsigned char vtype;
	unsigned cap;
	int wrap;
	struct xs_stat_desc *sdesc;
	/* Filled by xs_map_alloc. */
	unsigned koff[XS_MAXKEYS];
	unsigned voff, esize, nbuckets, count;
	uint32_t *buckets;
	char *entries;
	uint32_t free_head, ins_head, ins_tail;
};
int xs_map_alloc(struct xs_map *m);
void xs_map_free(struct xs_map *m);
void xs_map_clear(struct xs_map *m);
/* The value slot of the element, or NULL when absent. */
void *xs_map_get(struct xs_map *m, const struct xs_key *k);
/* The value slot, inserting a zeroed element; NULL + error when full. */
void *xs_map_set(struct xs_context *c, struct xs_map *m, const struct xs_key *k, const char *loc);
void xs_map_delete(struct xs_map *m, const struct xs_key *k);
/* `wild` has bit i set when key i is `*`: delete / test matching elements. */
void xs_map_delete_wild(struct xs_map *m, const struct xs_key *k, unsigned wild);
int xs_map_exists(struct xs_map *m, const struct xs_key *k, unsigned wild);
/* Iteration: element indices, in insertion order, matching the slice. */
unsigned xs_map_collect(struct xs_map *m, uint32_t *order, const struct xs_key *slice, unsigned sliced);
/* Stable sort of order[0..n): by < 0 sorts by value (stat op -by-1), else by key `by`. */
void xs_map_sort(struct xs_map *m, uint32_t *order, uint32_t *tmp, unsigned n, int by, int statop, int desc);
xs_long xs_map_key_long(struct xs_map *m, uint32_t e, unsigned k);
const char *xs_map_key_str(struct xs_map *m, uint32_t e, unsigned k);
void *xs_map_val(struct xs_map *m, uint32_t e);
/* Print `name[k1,"k2"]=value` lines (dump of written-only globals). */
void xs_map_dump(struct xs_sink *s, struct xs_map *m);
void xs_stat_dump(struct xs_sink *s, const char *name, const struct xs_stat_desc *d, const struct xs_stat *st);

/* ---- locks on globals ---- */
struct xs_lockreq {
	xs_rwlock_t *lock;
	int write;
};
/* Take the locks in order with bounded trylock; 0 = contention (skipped). */
int xs_lock(const struct xs_lockreq *r, unsigned n);
void xs_unlock(const struct xs_lockreq *r, unsigned n);

/* ---- target variables ---- */
/* Load size bytes at addr, sign- or zero-extended; error on a fault. */
xs_long xs_kread(struct xs_context *c, xs_long addr, unsigned size, int sign, const char *loc);
/* Copy a kernel string (bounded) into dst; error on a fault. */
void xs_kread_str(struct xs_context *c, char *dst, xs_long addr, const char *loc);
/* Tapset API: function argument n (0-based) at a kprobe, from the registers. */
xs_long xs_arg(struct xs_context *c, unsigned n, const char *loc);
/* Tapset API: $return in a .return probe. */
xs_long xs_retval(struct xs_context *c, const char *loc);
xs_long xs_extend(xs_long v, unsigned size, int sign);
/* Guru mode: store the low `size` bytes of v at kernel address addr without
 * faulting (pagefault-disabled stores with exception-table fixups, what
 * copy_to_kernel_nofault does; that function is not exported). Addresses
 * outside the kernel half of the address space are refused. Error on a
 * fault. */
void xs_kwrite(struct xs_context *c, xs_long addr, unsigned size, xs_long v, const char *loc);
/* Guru mode: set function argument n (0-based) at a kprobe, in the saved
 * registers (x86_64: di si dx cx r8 r9; arm64: x0-x7). */
void xs_set_arg(struct xs_context *c, unsigned n, xs_long v, const char *loc);
/* Guru mode: set $return in a .return probe. */
void xs_set_retval(struct xs_context *c, xs_long v, const char *loc);

/* ---- regular expressions (DFAs compiled by xstap) ---- */
struct xs_dfa {
	unsigned nstates, nclasses;
	/* Class of each byte, then of BEGIN (256) and END (257). */
	const uint8_t *cls;
	const uint16_t *trans;
	const uint8_t *accept;
};
/* `s =~ re`: 1 when the regex matches anywhere in s. */
int xs_regex_match(const struct xs_dfa *d, const char *s);

/* ---- timers (hrtimers in the kernel, virtual time in the shim) ---- */
struct xs_timer {
#ifndef XS_USERSPACE
	struct hrtimer hr;
#else
	uint64_t due;
#endif
	uint64_t interval_ns;
	uint64_t rand_ns;
	/* >= 0: pinned to that CPU (timer.profile). */
	int cpu;
	int armed;
	void (*fn)(struct xs_timer *t);
};
void xs_timer_start(struct xs_timer *t);
void xs_timer_stop(struct xs_timer *t);
/* The interval of timer.jiffies(N) / timer.hz(N) in ns. */
uint64_t xs_jiffies_ns(uint64_t n);
uint64_t xs_hz_ns(uint64_t n);

/* ---- kernel probes (not in the shim) ---- */
#if !defined(XS_USERSPACE) && defined(XS_NEED_TRACEPOINTS)
int xs_tracepoint_register(const char *name, void *probe, void *data, struct tracepoint **out);
void xs_tracepoint_unregister(struct tracepoint *tp, void *probe, void *data);
void xs_tracepoint_sync(void);
#endif

/* ---- procfs files and netfilter hooks (xs_events.c) ---- */
#if !defined(XS_USERSPACE) && defined(XS_NEED_PROCFS)
/* One file under /proc/systemtap/MODULE/, with the handlers of its read
 * and/or write probe (NULL when absent). read fills buf (cap bytes) and
 * returns the length; write gets the data written (len bytes, NUL
 * terminated) and returns 0 or a negative errno. */
struct xs_procfs_file {
	const char *path;
	umode_t mode;
	int (*read)(char *buf, unsigned cap);
	int (*write)(const char *buf, unsigned len);
	unsigned bufsize;
	struct proc_dir_entry *pde;
};
/* Create the files (process context); a failure is reported, not fatal. */
int xs_procfs_start(struct xs_procfs_file *files, unsigned n);
/* Remove them, waiting for handlers in flight; idempotent. */
void xs_procfs_stop(void);
#endif
#if !defined(XS_USERSPACE) && defined(XS_NEED_NETFILTER)
/* Register the hooks in every network namespace (process context). */
int xs_netfilter_start(struct nf_hook_ops *ops, unsigned n);
/* Unregister them, waiting for hooks in flight; idempotent. */
void xs_netfilter_stop(void);
/* The hook's return value for a script's $verdict: NF_DROP or NF_ACCEPT. */
unsigned int xs_nf_verdict(xs_long v);
#endif

/* ---- session helpers the generated glue calls ---- */
void xs_runtime_free(void);

/* Embedded-C compatibility with stap tapsets. */
#define CONTEXT c
#define STAP_PRINTF(...) xs_printf(CONTEXT, __VA_ARGS__)

#endif /* XS_RUNTIME_H */
