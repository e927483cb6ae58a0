// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * transport.c -- module side of the xstap module <-> loader channel.
 * The protocol, the files and the record format are described in
 * transport.h; this file is the implementation.
 *
 * Design: one single-producer/single-consumer ring per possible CPU. The
 * producer is whatever runs on that CPU with interrupts off (re-entry from
 * an NMI or a nested probe is detected with a per-CPU busy flag and the
 * record is dropped), the consumer is the reader of the data file,
 * serialised by a mutex. Producer and consumer never share a lock: they
 * publish positions with release/acquire, so a reader never makes a probe
 * wait. Every record takes a global sequence number; the reader merges the
 * rings by it, so output keeps the order in which it was printed.
 *
 * Names: the API of transport.h is xs_*; everything private here is xst_*,
 * so no build layout (separate objects or one unit) can clash with the
 * runtime's own xs_* names.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/version.h>
#include <linux/percpu.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/debugfs.h>
#include <linux/proc_fs.h>
#include <linux/fs.h>
#include <linux/atomic.h>
#include <linux/string.h>
#include <linux/irqflags.h>
#include <linux/log2.h>
#include "transport.h"

static bool xs_procfs;
module_param(xs_procfs, bool, 0444);
MODULE_PARM_DESC(xs_procfs, "put the transport files in /proc instead of debugfs");
static unsigned int xs_bufsize_kb;
module_param(xs_bufsize_kb, uint, 0444);
MODULE_PARM_DESC(xs_bufsize_kb, "output buffer size per CPU in KiB, rounded up to a power of two "
		 "(default: 16 MiB shared by the possible CPUs, 64 KiB to 1 MiB each)");

enum xst_state { XST_LOADED, XST_STARTING, XST_RUNNING, XST_STOPPING, XST_DONE, XST_FAILED };
static const char *const xst_state_names[] = {
	"loaded", "starting", "running", "stopping", "done", "failed",
};

struct xst_ring {
	char *buf;
	u32 head;	/* written by the producer (this CPU) */
	u32 tail;	/* written by the consumer (the reader) */
	int busy;	/* this CPU is inside xst_put */
};

struct xst_rec_hdr {
	u32 len;
	u16 type;
	u16 cpu;
	u64 seq;
};

static struct xst_ring __percpu *xst_rings;
static u32 xst_ring_size;	/* power of two */
static atomic64_t xst_seq = ATOMIC64_INIT(0);
static atomic64_t xst_ndropped = ATOMIC64_INIT(0);
static atomic_t xst_exit_req = ATOMIC_INIT(0);
static int xst_state = XST_LOADED;	/* under xst_ctl_lock, read racily for status */
static int xst_start_rc;
static int xst_pending;		/* command for the work item: 1 start, 2 stop */
static DEFINE_MUTEX(xst_ctl_lock);
static DEFINE_MUTEX(xst_read_lock);
static char *xst_bounce;		/* the reader's staging buffer */
#define XST_BOUNCE_SIZE (64 * 1024)

static struct dentry *xst_debugfs_dir;
static struct proc_dir_entry *xst_proc_dir;
static void xst_work_fn(struct work_struct *w);
static DECLARE_WORK(xst_work, xst_work_fn);
static bool xst_transport_up;

/* Copy len bytes into the ring at position pos (wrapping). */
static void xst_ring_copy_in(struct xst_ring *r, u32 pos, const void *src, u32 len)
{
	u32 off = pos & (xst_ring_size - 1);
	u32 first = min(len, xst_ring_size - off);

	memcpy(r->buf + off, src, first);
	if (len > first)
		memcpy(r->buf, (const char *)src + first, len - first);
}

static void xst_ring_copy_out(const struct xst_ring *r, u32 pos, void *dst, u32 len)
{
	u32 off = pos & (xst_ring_size - 1);
	u32 first = min(len, xst_ring_size - off);

	memcpy(dst, r->buf + off, first);
	if (len > first)
		memcpy((char *)dst + first, r->buf, len - first);
}

static void xst_put(u16 type, const char *buf, unsigned len)
{
	unsigned long flags;
	struct xst_ring *r;
	struct xst_rec_hdr h;
	u32 head, tail;

	if (!READ_ONCE(xst_transport_up))
		return;
	local_irq_save(flags);
	r = this_cpu_ptr(xst_rings);
	if (r->busy) {
		atomic64_inc(&xst_ndropped);
		local_irq_restore(flags);
		return;
	}
	r->busy = 1;
	barrier();
	head = r->head;
	tail = smp_load_acquire(&r->tail);
	if (xst_ring_size - (head - tail) < XS_REC_HDR + len) {
		atomic64_inc(&xst_ndropped);
	} else {
		h.len = len;
		h.type = type;
		h.cpu = (u16)smp_processor_id();
		h.seq = (u64)atomic64_inc_return(&xst_seq);
		xst_ring_copy_in(r, head, &h, XS_REC_HDR);
		xst_ring_copy_in(r, head + XS_REC_HDR, buf, len);
		smp_store_release(&r->head, head + XS_REC_HDR + len);
	}
	barrier();
	r->busy = 0;
	local_irq_restore(flags);
}

static void xst_put_split(u16 type, const char *buf, unsigned len)
{
	while (len > XS_REC_MAX) {
		xst_put(type, buf, XS_REC_MAX);
		buf += XS_REC_MAX;
		len -= XS_REC_MAX;
	}
	if (len)
		xst_put(type, buf, len);
}

void xs_print(const char *buf, unsigned len)
{
	xst_put_split(XS_REC_STDOUT, buf, len);
}

void xs_print_err(const char *buf, unsigned len)
{
	xst_put_split(XS_REC_STDERR, buf, len);
}

void xs_request_exit(void)
{
	atomic_set(&xst_exit_req, 1);
}

unsigned long xs_dropped(void)
{
	return (unsigned long)atomic64_read(&xst_ndropped);
}

/* ---- control ---------------------------------------------------------- */

static void xst_work_fn(struct work_struct *w)
{
	int cmd, rc;

	mutex_lock(&xst_ctl_lock);
	cmd = xst_pending;
	xst_pending = 0;
	mutex_unlock(&xst_ctl_lock);
	if (cmd == 1) {
		rc = xs_session_start();
		mutex_lock(&xst_ctl_lock);
		xst_start_rc = rc;
		xst_state = rc ? XST_FAILED : XST_RUNNING;
		/* A stop that arrived while starting is served now. */
		if (!rc && xst_pending == 2) {
			xst_pending = 0;
			xst_state = XST_STOPPING;
			cmd = 2;
		}
		mutex_unlock(&xst_ctl_lock);
		if (cmd != 2)
			return;
	}
	if (cmd == 2) {
		xs_session_stop();
		mutex_lock(&xst_ctl_lock);
		xst_state = XST_DONE;
		mutex_unlock(&xst_ctl_lock);
	}
}

static int xst_ctl_status(char *buf, size_t size)
{
	return scnprintf(buf, size,
			 "XSTAP%d state=%s exit=%d dropped=%lld start_rc=%d bufsize=%u cpus=%u\n",
			 XS_TRANSPORT_VERSION, xst_state_names[READ_ONCE(xst_state)],
			 atomic_read(&xst_exit_req), (long long)atomic64_read(&xst_ndropped),
			 READ_ONCE(xst_start_rc), xst_ring_size, num_possible_cpus());
}

static ssize_t xst_ctl_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	char line[160];
	int n = xst_ctl_status(line, sizeof(line));

	/* Every read from offset 0 gives a fresh status (the loader preads at 0). */
	return simple_read_from_buffer(ubuf, count, ppos, line, n);
}

static ssize_t xst_ctl_write(struct file *f, const char __user *ubuf, size_t count, loff_t *ppos)
{
	char cmd[16];
	size_t n = min(count, sizeof(cmd) - 1);
	ssize_t ret = count;

	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = 0;
	strim(cmd);
	mutex_lock(&xst_ctl_lock);
	if (!strcmp(cmd, "start")) {
		if (xst_state != XST_LOADED) {
			ret = -EBUSY;
		} else {
			xst_state = XST_STARTING;
			xst_pending = 1;
			schedule_work(&xst_work);
		}
	} else if (!strcmp(cmd, "stop")) {
		if (xst_state == XST_RUNNING) {
			xst_state = XST_STOPPING;
			xst_pending = 2;
			schedule_work(&xst_work);
		} else if (xst_state == XST_STARTING) {
			xst_pending = 2;	/* served by the work item after start */
		} else if (xst_state == XST_LOADED) {
			xst_state = XST_DONE;
		}
		/* stopping, done, failed: nothing to do. */
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&xst_ctl_lock);
	return ret;
}

/* ---- data ------------------------------------------------------------- */

/* The CPU whose oldest record has the lowest sequence number, or -1. */
static int xst_oldest_cpu(struct xst_rec_hdr *out)
{
	int cpu, best = -1;
	struct xst_rec_hdr h;

	for_each_possible_cpu(cpu) {
		struct xst_ring *r = per_cpu_ptr(xst_rings, cpu);
		u32 head = smp_load_acquire(&r->head);

		if (head == r->tail)
			continue;
		xst_ring_copy_out(r, r->tail, &h, XS_REC_HDR);
		if (best < 0 || h.seq < out->seq) {
			*out = h;
			best = cpu;
		}
	}
	return best;
}

static ssize_t xst_data_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	size_t done = 0, room = min_t(size_t, count, XST_BOUNCE_SIZE);
	struct xst_rec_hdr h;
	int cpu;

	if (mutex_lock_interruptible(&xst_read_lock))
		return -ERESTARTSYS;
	while ((cpu = xst_oldest_cpu(&h)) >= 0) {
		struct xst_ring *r = per_cpu_ptr(xst_rings, cpu);
		u32 need = XS_REC_HDR + h.len;

		if (done + need > room)
			break;
		xst_ring_copy_out(r, r->tail, xst_bounce + done, need);
		smp_store_release(&r->tail, r->tail + need);
		done += need;
	}
	mutex_unlock(&xst_read_lock);
	if (done == 0 && cpu >= 0)
		return -EMSGSIZE;	/* the reader's buffer is smaller than a record */
	if (done && copy_to_user(ubuf, xst_bounce, done))
		return -EFAULT;
	return done;
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
static const struct proc_ops xst_ctl_pops = {
	.proc_read = xst_ctl_read,
	.proc_write = xst_ctl_write,
	.proc_lseek = default_llseek,
};
static const struct proc_ops xst_data_pops = {
	.proc_read = xst_data_read,
	.proc_lseek = noop_llseek,
};
#define XST_PROC_OPS(x) (&x##_pops)
#else
#define XST_PROC_OPS(x) (&x##_fops)
#endif
static const struct file_operations xst_ctl_fops = {
	.owner = THIS_MODULE,
	.read = xst_ctl_read,
	.write = xst_ctl_write,
	.llseek = default_llseek,
};
static const struct file_operations xst_data_fops = {
	.owner = THIS_MODULE,
	.read = xst_data_read,
	.llseek = noop_llseek,
};

static int xst_files_debugfs(void)
{
	struct dentry *top, *dir;

	if (!debugfs_initialized())
		return -ENODEV;
	top = debugfs_lookup("xstap", NULL);
	if (!top) {
		top = debugfs_create_dir("xstap", NULL);
		if (IS_ERR_OR_NULL(top))
			return top ? PTR_ERR(top) : -ENODEV;
		dget(top);	/* balance the dput below, as for a lookup */
	}
	dir = debugfs_create_dir(KBUILD_MODNAME, top);
	dput(top);
	if (IS_ERR_OR_NULL(dir))
		return dir ? PTR_ERR(dir) : -ENODEV;
	xst_debugfs_dir = dir;
	if (IS_ERR_OR_NULL(debugfs_create_file("ctl", 0600, dir, NULL, &xst_ctl_fops)) ||
	    IS_ERR_OR_NULL(debugfs_create_file("data", 0400, dir, NULL, &xst_data_fops))) {
		debugfs_remove_recursive(dir);
		xst_debugfs_dir = NULL;
		return -ENODEV;
	}
	return 0;
}

static int xst_files_procfs(void)
{
	struct proc_dir_entry *dir = proc_mkdir("xstap_" KBUILD_MODNAME, NULL);

	if (!dir)
		return -EEXIST;
	if (!proc_create("ctl", 0600, dir, XST_PROC_OPS(xst_ctl)) ||
	    !proc_create("data", 0400, dir, XST_PROC_OPS(xst_data))) {
		proc_remove(dir);
		return -ENOMEM;
	}
	xst_proc_dir = dir;
	return 0;
}

int xs_transport_init(void)
{
	int cpu, rc;
	unsigned long size = (unsigned long)xs_bufsize_kb * 1024;

	if (!size)	/* auto: bounded in total, whatever num_possible_cpus() is */
		size = clamp(16UL * 1024 * 1024 / num_possible_cpus(), 64UL * 1024, 1024UL * 1024);

	if (size < 2 * (XS_REC_HDR + XS_REC_MAX))
		size = 2 * (XS_REC_HDR + XS_REC_MAX);
	if (size > (1UL << 30))
		size = 1UL << 30;
	xst_ring_size = (u32)roundup_pow_of_two(size);
	xst_rings = alloc_percpu(struct xst_ring);
	if (!xst_rings)
		return -ENOMEM;
	xst_bounce = vmalloc(XST_BOUNCE_SIZE);
	if (!xst_bounce)
		goto nomem;
	for_each_possible_cpu(cpu) {
		struct xst_ring *r = per_cpu_ptr(xst_rings, cpu);

		r->buf = vmalloc(xst_ring_size);
		if (!r->buf)
			goto nomem;
	}
	rc = -ENODEV;
	if (!xs_procfs)
		rc = xst_files_debugfs();
	if (rc)
		rc = xst_files_procfs();
	if (rc) {
		pr_err("%s: cannot create the xstap transport files (debugfs and /proc): %d\n",
		       KBUILD_MODNAME, rc);
		goto fail;
	}
	WRITE_ONCE(xst_transport_up, true);
	return 0;
nomem:
	rc = -ENOMEM;
fail:
	for_each_possible_cpu(cpu)
		vfree(per_cpu_ptr(xst_rings, cpu)->buf);
	free_percpu(xst_rings);
	xst_rings = NULL;
	vfree(xst_bounce);
	xst_bounce = NULL;
	return rc;
}

void xs_transport_exit(void)
{
	int cpu;
	bool stop = false;

	if (!xst_rings)
		return;
	/* No new commands: remove the files first (this waits for readers/writers in them). */
	if (xst_debugfs_dir)
		debugfs_remove_recursive(xst_debugfs_dir);
	if (xst_proc_dir)
		proc_remove(xst_proc_dir);
	xst_debugfs_dir = NULL;
	xst_proc_dir = NULL;
	flush_work(&xst_work);
	mutex_lock(&xst_ctl_lock);
	if (xst_state == XST_RUNNING || xst_state == XST_STARTING) {
		/* The loader vanished without "stop": end the session here. */
		stop = xst_state == XST_RUNNING;
		xst_state = XST_DONE;
	}
	mutex_unlock(&xst_ctl_lock);
	if (stop)
		xs_session_stop();
	WRITE_ONCE(xst_transport_up, false);
	synchronize_rcu();	/* let producers that saw xst_transport_up leave xst_put */
	for_each_possible_cpu(cpu)
		vfree(per_cpu_ptr(xst_rings, cpu)->buf);
	free_percpu(xst_rings);
	xst_rings = NULL;
	vfree(xst_bounce);
	xst_bounce = NULL;
}
