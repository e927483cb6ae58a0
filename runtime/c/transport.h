/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport.h -- the channel between a generated xstap module and the
 * `xstap-run` loader on the target (runtime/loader).
 *
 * Role: carry the script's output (stdout and stderr text) from any kernel
 * context to the loader, and carry the loader's commands ("start", "stop")
 * to the runtime in process context. It depends only on kernel headers and
 * on the two session hooks the runtime provides (xs_session_start/stop).
 *
 * Invariants:
 *  - xs_print / xs_print_err / xs_request_exit never sleep, never take a
 *    lock that another context could hold on the same CPU, and are safe in
 *    kprobe, hrtimer, softirq, hardirq and NMI context. When a buffer is full
 *    or the CPU is already inside xs_print (re-entry from an NMI or a probe
 *    on a function xs_print calls), the record is dropped and counted.
 *  - xs_session_start and xs_session_stop are called only from process
 *    context (a workqueue item), never concurrently, start at most once,
 *    stop at most once and only after a successful start.
 *  - The wire format is versioned (XS_TRANSPORT_VERSION); the loader refuses
 *    a module that speaks another version.
 *
 * ---------------------------------------------------------------------------
 * Files
 *
 *   <debugfs>/xstap/<module>/ctl    (0600)  control: status read, commands written
 *   <debugfs>/xstap/<module>/data   (0400)  the output stream
 *
 * <debugfs> is normally /sys/kernel/debug. When debugfs is not available in
 * the kernel (CONFIG_DEBUG_FS=n, `debugfs=off`, many Android kernels), or
 * when the module parameter `xs_procfs=1` is given, the same two files are
 * created as /proc/xstap_<module>/{ctl,data} instead. The loader looks for
 * the debugfs files first (mounting debugfs when it is not mounted), then
 * for the /proc ones.
 *
 * ---------------------------------------------------------------------------
 * ctl, read: one status line (ASCII, '\n'-terminated), space-separated
 * key=value fields after a magic+version word. Unknown keys are ignored by
 * the loader, so fields may be added without a version bump; the meaning of
 * an existing field changes only with a new version.
 *
 *   XSTAP1 state=running exit=0 dropped=0 start_rc=0 bufsize=1048576 cpus=2\n
 *
 *   state     loaded | starting | running | stopping | done | failed
 *   exit      1 once the script asked to stop (exit(), an error), else 0
 *   dropped   records dropped because a buffer was full or busy
 *   start_rc  the return value of xs_session_start (0 until it ran)
 *   bufsize   bytes per CPU buffer; cpus: number of buffers
 *
 * ctl, write: one command per write, with or without a trailing '\n'.
 *
 *   start   loaded -> starting -> running (or -> failed when
 *           xs_session_start returns nonzero: start_rc says why). Runs
 *           asynchronously in a work item so the loader can drain output
 *           that begin probes print. -EBUSY in any other state.
 *   stop    running -> stopping -> done. xs_session_stop runs in the work
 *           item (end probes print while the loader drains). Idempotent in
 *           stopping/done/failed/loaded (then it goes straight to done).
 *
 * data, read: a sequence of whole records (a read never splits one; the
 * reader's buffer must hold at least XS_REC_MAX + header bytes, the loader
 * uses 256 KiB). A read returns 0 when every buffer is empty; it never
 * blocks, so the loader polls. Records from all CPUs are merged in the
 * global order in which they were written. Record layout (little or big
 * endian as the target CPU; both targets so far are little-endian):
 *
 *   u32 len      payload bytes that follow the 16-byte header
 *   u16 type     1 = stdout text, 2 = stderr text
 *   u16 cpu      the CPU that wrote it
 *   u64 seq      global sequence number (gaps = dropped records)
 *   u8  payload[len]   (no padding in the stream)
 *
 * ---------------------------------------------------------------------------
 * Sequence (the loader side is runtime/loader/src/session.rs):
 *
 *   loader: finit_module(ko, "xs_target=PID name=value ...")
 *   module_init: xs_transport_init() creates ctl + data, state=loaded
 *   loader: opens ctl, checks "XSTAP1", opens data, writes "start"
 *   work item: xs_session_start() arms probes, runs begin probes -> running
 *   probes: xs_print / xs_print_err; the loader streams data as it arrives
 *   script exit(): xs_request_exit() -> exit=1 in the status
 *     or SIGINT/SIGTERM in the loader, or the -c command ended
 *   loader: writes "stop"
 *   work item: xs_session_stop() disarms probes, runs end probes -> done
 *   loader: drains data until empty, closes the files, delete_module()
 *   module_exit: xs_transport_exit() (runs xs_session_stop itself if the
 *     loader vanished while the session was running)
 */
#ifndef XSTAP_TRANSPORT_H
#define XSTAP_TRANSPORT_H

#define XS_TRANSPORT_VERSION 1
#define XS_REC_STDOUT 1
#define XS_REC_STDERR 2
#define XS_REC_HDR 16
/* Longer prints are split into records of at most this many bytes. */
#define XS_REC_MAX 8192

/*
 * From module_init, before anything prints; creates the control + data files.
 * Module parameters of the transport: xs_bufsize_kb (per-CPU buffer size),
 * xs_procfs=1 (use /proc even when debugfs is available).
 */
int xs_transport_init(void);
/*
 * From module_exit, first thing (before the runtime frees its state), and
 * from module_init's error path when init fails after xs_transport_init.
 * It removes the files, waits for a running start/stop, and calls
 * xs_session_stop() itself if the session is still running.
 */
void xs_transport_exit(void);

/* Script stdout; any context; never sleeps; drops and counts when full. */
void xs_print(const char *buf, unsigned len);
/* Script stderr ("ERROR: ...\n", "WARNING: ...\n"); the loader counts lines starting with "ERROR:". */
void xs_print_err(const char *buf, unsigned len);
/* The script called exit() (or must stop after an error): ask the loader to stop; any context. */
void xs_request_exit(void);
/* Records dropped so far (for the runtime's own end-of-run summary). */
unsigned long xs_dropped(void);

/* Provided by the runtime; called by the transport in process context. */
int xs_session_start(void);   /* arm probes, run begin probes; nonzero = failed */
void xs_session_stop(void);   /* disarm probes, run end probes */

#endif /* XSTAP_TRANSPORT_H */
