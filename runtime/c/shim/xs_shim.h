/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xs_shim.h -- the user-space stand-in for the kernel APIs the xstap
 * runtime uses, so begin/end/timer programs compile with the host gcc
 * (-DXS_USERSPACE) and run in milliseconds (DESIGN: "Semantics without a
 * kernel"). One CPU, no preemption, locks that never contend, timers in
 * virtual time (shim/xs_shim_main.c), output to stdout/stderr.
 *
 * Kernel-only features (kprobes, tracepoints, target variables) are not
 * emulated: generated code for them does not compile here, by design.
 */
#ifndef XS_SHIM_H
#define XS_SHIM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>
#include <stdbool.h>
#include <ctype.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __init
#define __exit
#define READ_ONCE(x) (x)
#define WRITE_ONCE(x, v) ((x) = (v))
#define HZ 250
#define GFP_KERNEL 0
#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)
#define module_param(name, type, perm)
#define MODULE_PARM_DESC(name, text)
#define BUILD_BUG_ON(cond) ((void)sizeof(char[1 - 2 * !!(cond)]))

typedef struct {
	int counter;
} atomic_t;
#define ATOMIC_INIT(v) { (v) }
static inline int atomic_read(const atomic_t *a) { return a->counter; }
static inline void atomic_set(atomic_t *a, int v) { a->counter = v; }
static inline int atomic_inc_return(atomic_t *a) { return ++a->counter; }
static inline void atomic_dec(atomic_t *a) { a->counter--; }
static inline int atomic_cmpxchg(atomic_t *a, int old, int new_)
{
	int cur = a->counter;

	if (cur == old)
		a->counter = new_;
	return cur;
}

typedef struct {
	int writers;
	int readers;
} rwlock_t;
#define __RW_LOCK_UNLOCKED(name) { 0, 0 }
#define DEFINE_RWLOCK(name) rwlock_t name = __RW_LOCK_UNLOCKED(name)
#define rwlock_init(l) do { (l)->writers = 0; (l)->readers = 0; } while (0)
static inline int write_trylock(rwlock_t *l)
{
	if (l->writers || l->readers)
		return 0;
	l->writers = 1;
	return 1;
}
static inline int read_trylock(rwlock_t *l)
{
	if (l->writers)
		return 0;
	l->readers++;
	return 1;
}
static inline void write_unlock(rwlock_t *l) { l->writers = 0; }
static inline void read_unlock(rwlock_t *l) { l->readers--; }

#define preempt_disable() do { } while (0)
#define preempt_enable() do { } while (0)
#define smp_processor_id() 0
#define nr_cpu_ids 1u
#define cpu_possible(cpu) ((cpu) == 0)
#define ndelay(n) do { } while (0)
#define for_each_online_cpu(cpu) for ((cpu) = 0; (cpu) < 1; (cpu)++)

static inline void *kcalloc(size_t n, size_t size, int gfp) { (void)gfp; return calloc(n, size); }
static inline void *kzalloc(size_t size, int gfp) { (void)gfp; return calloc(1, size); }
static inline void kfree(const void *p) { free((void *)p); }
static inline void *vmalloc(size_t size) { return malloc(size ? size : 1); }
static inline void *vzalloc(size_t size) { return calloc(1, size ? size : 1); }
static inline void vfree(const void *p) { free((void *)p); }

/* User space has no fault-safe reads: only addresses the test itself made. */
static inline long copy_from_kernel_nofault(void *dst, const void *src, size_t n)
{
	if (!src)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}

struct pt_regs;

/* Helpers tapset embedded C commonly uses. */
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))
#define clamp(v, lo, hi) min(max((v), (lo)), (hi))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* The kernel's parsing: no leading blanks, base 0 detects 0x / 0, digits stop at the first invalid one. */
static inline unsigned long long simple_strtoull(const char *cp, char **endp, unsigned int base)
{
	unsigned long long r = 0;

	if (base == 0) {
		base = 10;
		if (cp[0] == '0') {
			base = 8;
			if ((cp[1] | 0x20) == 'x' && isxdigit((unsigned char)cp[2]))
				base = 16;
		}
	}
	if (base == 16 && cp[0] == '0' && (cp[1] | 0x20) == 'x')
		cp += 2;
	for (;; cp++) {
		unsigned int d;
		int ch = (unsigned char)*cp;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			d = (ch | 0x20) - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		r = r * base + d;
	}
	if (endp)
		*endp = (char *)cp;
	return r;
}
static inline long long simple_strtoll(const char *cp, char **endp, unsigned int base)
{
	if (*cp == '-')
		return -(long long)simple_strtoull(cp + 1, endp, base);
	return (long long)simple_strtoull(cp, endp, base);
}
static inline unsigned long simple_strtoul(const char *cp, char **endp, unsigned int base) { return simple_strtoull(cp, endp, base); }
static inline long simple_strtol(const char *cp, char **endp, unsigned int base) { return simple_strtoll(cp, endp, base); }

/* Entry points of the generated glue, called by shim/xs_shim_main.c. */
int xs_shim_init(void);
void xs_shim_exit(void);
#define XS_SHIM_MODULE(init, exit) \
	int xs_shim_init(void) { return init(); } \
	void xs_shim_exit(void) { exit(); }

#endif /* XS_SHIM_H */
