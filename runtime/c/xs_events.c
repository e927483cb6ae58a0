// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xs_events.c -- event sources that are not probes on kernel code:
 * procfs files (`procfs("PATH").read/.write`) and netfilter hooks
 * (`netfilter.hook("H").pf("F")`).
 *
 * Both are armed by the generated glue at session start (process context,
 * after the begin probes) and disarmed at session stop, before the end
 * probes; the module exit disarms again (idempotent), so neither a file nor
 * a hook outlives the module's data:
 *  - proc_remove() waits for readers and writers inside our handlers and
 *    releases files still open, so no handler runs after it returns;
 *  - nf_unregister_net_hooks() swaps our hooks out (the old hook tables
 *    are freed after an RCU grace period), so a hook function may still
 *    be running when it returns: xs_netfilter_stop() then waits with
 *    synchronize_net() (hooks run under rcu_read_lock).
 *
 * procfs files live in /proc/systemtap/MODULE/ (stap's layout). The
 * /proc/systemtap directory is shared with other modules (stap's too): it
 * is created when missing and removed at stop when no module directory is
 * left in it. Checking and creating are not atomic across modules loading
 * at the same moment; like stap we accept that narrow race.
 *
 * Netfilter hooks are registered in every network namespace through a
 * pernet_operations (register_pernet_subsys): the hooks are per namespace
 * since 4.13, and init_net alone would miss containers' traffic; the
 * pernet ops also cover namespaces created while the script runs and
 * unregister from each on stop.
 */
#include "xs_config.h"
#include "xs_runtime.h"

#if !defined(XS_USERSPACE) && defined(XS_NEED_PROCFS)

static struct xs_procfs_file *xs_pfs_files;
static unsigned xs_pfs_nfiles;
static struct proc_dir_entry *xs_pfs_moddir;
static DEFINE_MUTEX(xs_pfs_lock);

/* Directories created under the module's directory (for nested paths). */
#define XS_PFS_MAXDIRS 32
static struct {
	char name[64];
	struct proc_dir_entry *pde;
} xs_pfs_dirs[XS_PFS_MAXDIRS];
static unsigned xs_pfs_ndirs;

/* State of one open file: the read probe's output, produced at the first read. */
struct xs_pfs_open {
	struct mutex lock;
	int filled;
	unsigned len;
	char buf[];
};

static struct xs_procfs_file *xs_pfs_of(struct file *file)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 17, 0)
	return pde_data(file_inode(file));
#else
	return PDE_DATA(file_inode(file));
#endif
}

static int xs_pfs_open(struct inode *inode, struct file *file)
{
	struct xs_procfs_file *f = xs_pfs_of(file);
	struct xs_pfs_open *st;

	if (!f)
		return -ENOENT;
	if ((file->f_mode & FMODE_READ) && !f->read)
		return -EACCES;
	if ((file->f_mode & FMODE_WRITE) && !f->write)
		return -EACCES;
	if (!(file->f_mode & FMODE_READ))
		return 0;
	st = kvzalloc(sizeof(*st) + f->bufsize, GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_init(&st->lock);
	file->private_data = st;
	return 0;
}

static int xs_pfs_release(struct inode *inode, struct file *file)
{
	kvfree(file->private_data);
	file->private_data = NULL;
	return 0;
}

static ssize_t xs_pfs_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct xs_procfs_file *f = xs_pfs_of(file);
	struct xs_pfs_open *st = file->private_data;
	ssize_t rc;

	if (!f || !f->read || !st)
		return -EINVAL;
	mutex_lock(&st->lock);
	if (!st->filled) {
		int n = f->read(st->buf, f->bufsize);

		st->len = n > 0 ? min_t(unsigned, n, f->bufsize) : 0;
		st->filled = 1;
	}
	rc = simple_read_from_buffer(ubuf, count, ppos, st->buf, st->len);
	mutex_unlock(&st->lock);
	return rc;
}

static ssize_t xs_pfs_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	struct xs_procfs_file *f = xs_pfs_of(file);
	size_t n = min_t(size_t, count, MAXSTRINGLEN - 1);
	char *buf;
	int rc;

	if (!f || !f->write)
		return -EINVAL;
	if (!count)
		return 0;
	buf = kmalloc(n + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, ubuf, n)) {
		kfree(buf);
		return -EFAULT;
	}
	buf[n] = '\0';
	/* One probe run per chunk of at most MAXSTRINGLEN - 1 bytes: the
	 * writer's next write() call brings the rest. */
	rc = f->write(buf, n);
	kfree(buf);
	if (rc < 0)
		return rc;
	*ppos += n;
	return n;
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)
static const struct proc_ops xs_pfs_ops = {
	.proc_open = xs_pfs_open,
	.proc_read = xs_pfs_read,
	.proc_write = xs_pfs_write,
	.proc_lseek = default_llseek,
	.proc_release = xs_pfs_release,
};
#else
static const struct file_operations xs_pfs_ops = {
	.owner = THIS_MODULE,
	.open = xs_pfs_open,
	.read = xs_pfs_read,
	.write = xs_pfs_write,
	.llseek = default_llseek,
	.release = xs_pfs_release,
};
#endif

static int xs_pfs_topdir_exists(void)
{
	struct path p;

	if (kern_path("/proc/systemtap", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p))
		return 0;
	path_put(&p);
	return 1;
}

/* The directory that holds `path`'s last component, creating the ones between. */
static struct proc_dir_entry *xs_pfs_parent(const char *path, const char **leaf)
{
	struct proc_dir_entry *parent = xs_pfs_moddir;
	const char *p = path, *slash;

	while ((slash = strchr(p, '/')) != NULL) {
		size_t plen = slash - path;
		unsigned i;
		struct proc_dir_entry *d = NULL;
		char comp[64];

		if (plen >= sizeof(xs_pfs_dirs[0].name) || (size_t)(slash - p) >= sizeof(comp))
			return NULL;
		for (i = 0; i < xs_pfs_ndirs; i++) {
			if (strlen(xs_pfs_dirs[i].name) == plen &&
			    !strncmp(xs_pfs_dirs[i].name, path, plen)) {
				d = xs_pfs_dirs[i].pde;
				break;
			}
		}
		if (!d) {
			if (xs_pfs_ndirs >= XS_PFS_MAXDIRS)
				return NULL;
			memcpy(comp, p, slash - p);
			comp[slash - p] = '\0';
			d = proc_mkdir(comp, parent);
			if (!d)
				return NULL;
			memcpy(xs_pfs_dirs[xs_pfs_ndirs].name, path, plen);
			xs_pfs_dirs[xs_pfs_ndirs].name[plen] = '\0';
			xs_pfs_dirs[xs_pfs_ndirs].pde = d;
			xs_pfs_ndirs++;
		}
		parent = d;
		p = slash + 1;
	}
	*leaf = p;
	return parent;
}

int xs_procfs_start(struct xs_procfs_file *files, unsigned n)
{
	unsigned i;
	int rc = 0;

	mutex_lock(&xs_pfs_lock);
	if (xs_pfs_moddir)
		goto out;
	if (xs_pfs_topdir_exists()) {
		xs_pfs_moddir = proc_mkdir("systemtap/" KBUILD_MODNAME, NULL);
	} else {
		struct proc_dir_entry *top = proc_mkdir("systemtap", NULL);

		if (top)
			xs_pfs_moddir = proc_mkdir(KBUILD_MODNAME, top);
	}
	if (!xs_pfs_moddir) {
		rc = -ENOMEM;
		xs_warn("cannot create /proc/systemtap/%s: procfs probes are not armed", KBUILD_MODNAME);
		goto out;
	}
	xs_pfs_files = files;
	xs_pfs_nfiles = n;
	xs_pfs_ndirs = 0;
	for (i = 0; i < n; i++) {
		const char *leaf = NULL;
		struct proc_dir_entry *parent = xs_pfs_parent(files[i].path, &leaf);

		files[i].pde = parent ? proc_create_data(leaf, files[i].mode, parent, &xs_pfs_ops, &files[i]) : NULL;
		if (!files[i].pde)
			xs_warn("procfs probe registration error: cannot create /proc/systemtap/%s/%s",
				KBUILD_MODNAME, files[i].path);
	}
out:
	mutex_unlock(&xs_pfs_lock);
	return rc;
}

struct xs_pfs_count {
	struct dir_context ctx;
	int n;
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)
static bool xs_pfs_count_one(struct dir_context *ctx, const char *name, int len,
			     loff_t off, u64 ino, unsigned int type)
#else
static int xs_pfs_count_one(struct dir_context *ctx, const char *name, int len,
			    loff_t off, u64 ino, unsigned int type)
#endif
{
	struct xs_pfs_count *c = container_of(ctx, struct xs_pfs_count, ctx);

	if (!(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.'))
		c->n++;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)
	return true;
#else
	return 0;
#endif
}

/* Entries in /proc/systemtap besides . and ..; -1 when it cannot be read. */
static int xs_pfs_topdir_entries(void)
{
	struct xs_pfs_count c = { .ctx.actor = xs_pfs_count_one, .n = 0 };
	struct file *dir = filp_open("/proc/systemtap", O_RDONLY | O_DIRECTORY, 0);
	int rc;

	if (IS_ERR(dir))
		return -1;
	rc = iterate_dir(dir, &c.ctx);
	filp_close(dir, NULL);
	return rc ? -1 : c.n;
}

void xs_procfs_stop(void)
{
	mutex_lock(&xs_pfs_lock);
	if (xs_pfs_moddir) {
		/* Removes the files and directories below too, after waiting
		 * for the handlers running in them. */
		proc_remove(xs_pfs_moddir);
		xs_pfs_moddir = NULL;
		xs_pfs_files = NULL;
		xs_pfs_nfiles = 0;
		xs_pfs_ndirs = 0;
		if (xs_pfs_topdir_entries() == 0)
			remove_proc_entry("systemtap", NULL);
	}
	mutex_unlock(&xs_pfs_lock);
}
#endif /* XS_NEED_PROCFS */

#if !defined(XS_USERSPACE) && defined(XS_NEED_NETFILTER)

static struct nf_hook_ops *xs_nf_ops;
static unsigned xs_nf_n;
static int xs_nf_on;

static int __net_init xs_nf_net_init(struct net *net)
{
	return nf_register_net_hooks(net, xs_nf_ops, xs_nf_n);
}

static void __net_exit xs_nf_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, xs_nf_ops, xs_nf_n);
}

static struct pernet_operations xs_nf_pernet = {
	.init = xs_nf_net_init,
	.exit = xs_nf_net_exit,
};

int xs_netfilter_start(struct nf_hook_ops *ops, unsigned n)
{
	int rc;

	if (xs_nf_on || !n)
		return 0;
	xs_nf_ops = ops;
	xs_nf_n = n;
	rc = register_pernet_subsys(&xs_nf_pernet);
	if (rc) {
		xs_warn("netfilter probe registration error (rc %d)", rc);
		return rc;
	}
	xs_nf_on = 1;
	return 0;
}

void xs_netfilter_stop(void)
{
	if (!xs_nf_on)
		return;
	unregister_pernet_subsys(&xs_nf_pernet);
	synchronize_net();
	xs_nf_on = 0;
}

unsigned int xs_nf_verdict(xs_long v)
{
	/* NF_STOLEN would leak the packet, NF_QUEUE needs a queue handler,
	 * NF_REPEAT can loop: a script may drop or accept, nothing else. */
	return (v & NF_VERDICT_MASK) == NF_DROP ? NF_DROP : NF_ACCEPT;
}
#endif /* XS_NEED_NETFILTER */
