/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xs_sys.h -- the system layer under the xstap runtime.
 *
 * Role: pull in the kernel headers the runtime and generated code use, or,
 * when XS_USERSPACE is defined, the user-space shim (shim/xs_shim.h) that
 * emulates the few kernel APIs that begin/end/timer programs need, so the
 * same runtime and generated C run as a host program for fast semantic
 * tests. Nothing else in the runtime includes a system header directly.
 */
#ifndef XS_SYS_H
#define XS_SYS_H

#ifdef XS_USERSPACE
#include "shim/xs_shim.h"
#else
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
/* rwlock_t comes with spinlock.h; PREEMPT_RT kernels forbid including
 * linux/rwlock.h directly (they use rwlock_rt.h). */
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include <linux/smp.h>
#include <linux/preempt.h>
#include <linux/delay.h>
#include <linux/uaccess.h>
#include <linux/kprobes.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/tracepoint.h>
#include <linux/sched.h>
#include <linux/ptrace.h>
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <asm/irq_regs.h>
#ifdef XS_NEED_PROCFS
#include <linux/version.h>
#include <linux/fs.h>
#include <linux/proc_fs.h>
#include <linux/namei.h>
#include <linux/mutex.h>
#endif
#ifdef XS_NEED_NETFILTER
#include <linux/netfilter.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#endif

#endif

/*
 * The lock of a global. Probe handlers take it with preemption disabled
 * (bounded trylock, never waiting). On PREEMPT_RT kernels rwlock_t is a
 * sleeping lock (rtmutex based) that must not be taken there, so a raw
 * spinlock stands in: readers then exclude each other too, which only
 * costs concurrency, never correctness. The user-space shim has the
 * rwlock_t side.
 */
#if !defined(XS_USERSPACE) && defined(CONFIG_PREEMPT_RT)
typedef raw_spinlock_t xs_rwlock_t;
#define XS_DEFINE_RWLOCK(name) DEFINE_RAW_SPINLOCK(name)
#define xs_read_trylock(l) raw_spin_trylock(l)
#define xs_write_trylock(l) raw_spin_trylock(l)
#define xs_read_unlock(l) raw_spin_unlock(l)
#define xs_write_unlock(l) raw_spin_unlock(l)
#else
typedef rwlock_t xs_rwlock_t;
#define XS_DEFINE_RWLOCK(name) DEFINE_RWLOCK(name)
#define xs_read_trylock(l) read_trylock(l)
#define xs_write_trylock(l) write_trylock(l)
#define xs_read_unlock(l) read_unlock(l)
#define xs_write_unlock(l) write_unlock(l)
#endif

#endif /* XS_SYS_H */
