// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xs_format.c -- output sinks, stap's printf conversions, statistics and
 * the ASCII histograms, byte for byte as SystemTap prints them.
 *
 * Sinks are bounded: a string sink truncates at MAXSTRINGLEN - 1, the
 * probe output sink flushes to the transport when its buffer fills.
 */
#include "xs_config.h"
#include "xs_runtime.h"

/* ---- sinks ---- */

void xs_sink_out(struct xs_sink *s, struct xs_context *c)
{
	s->buf = c->outbuf;
	s->len = c->outlen;
	s->cap = XS_OUTBUF;
	s->out = c;
}

void xs_sink_str(struct xs_sink *s, char *dst)
{
	s->buf = dst;
	s->len = 0;
	s->cap = MAXSTRINGLEN - 1;
	s->out = NULL;
}

void xs_sink_end(struct xs_sink *s)
{
	if (s->out)
		s->out->outlen = s->len;
	else
		s->buf[s->len] = '\0';
}

void xs_flush(struct xs_context *c)
{
	if (c->outlen) {
		xs_print(c->outbuf, c->outlen);
		c->outlen = 0;
	}
}

void xs_put(struct xs_sink *s, const char *p, unsigned n)
{
	while (n > 0) {
		unsigned room = s->cap - s->len;

		if (room == 0) {
			if (!s->out)
				return;
			xs_print(s->buf, s->len);
			s->len = 0;
			room = s->cap;
		}
		if (room > n)
			room = n;
		memcpy(s->buf + s->len, p, room);
		s->len += room;
		p += room;
		n -= room;
	}
}

void xs_puts(struct xs_sink *s, const char *p)
{
	xs_put(s, p, strnlen(p, MAXSTRINGLEN));
}

void xs_putc(struct xs_sink *s, char ch)
{
	xs_put(s, &ch, 1);
}

static void xs_pad(struct xs_sink *s, char ch, int n)
{
	while (n-- > 0)
		xs_putc(s, ch);
}

void xs_put_long(struct xs_sink *s, xs_long v)
{
	xs_fmt_long(s, v, 0, -1, -1, 'd');
}

void xs_printf(struct xs_context *c, const char *fmt, ...)
{
	char buf[256];
	struct xs_sink s;
	int n;
	va_list ap;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	xs_sink_out(&s, c);
	xs_put(&s, buf, n);
	xs_sink_end(&s);
}

/* ---- numbers, after the classic kernel number() that stap's runtime uses ---- */

static void xs_number(struct xs_sink *s, uint64_t num, int base, int size, int precision, int type, int large)
{
	static const char small_digits[] = "0123456789abcdefx";
	static const char large_digits[] = "0123456789ABCDEFX";
	const char *digits = large ? large_digits : small_digits;
	char tmp[66];
	char c, sign = 0;
	int i = 0;

	if (type & XS_F_LEFT)
		type &= ~XS_F_ZEROPAD;
	c = (type & XS_F_ZEROPAD) ? '0' : ' ';
	if (base == 10 && (type & 0x100)) {
		/* Signed conversion. */
		if ((int64_t)num < 0) {
			sign = '-';
			num = 0 - num;
			size--;
		} else if (type & XS_F_PLUS) {
			sign = '+';
			size--;
		} else if (type & XS_F_SPACE) {
			sign = ' ';
			size--;
		}
	}
	if (type & XS_F_SPECIAL) {
		if (base == 16)
			size -= 2;
		else if (base == 8)
			size--;
	}
	if (num == 0)
		tmp[i++] = '0';
	else
		while (num != 0 && i < 64) {
			tmp[i++] = digits[num % base];
			num /= base;
		}
	if (i > precision)
		precision = i;
	size -= precision;
	if (!(type & (XS_F_ZEROPAD | XS_F_LEFT)))
		while (size-- > 0)
			xs_putc(s, ' ');
	if (sign)
		xs_putc(s, sign);
	if (type & XS_F_SPECIAL) {
		if (base == 8) {
			xs_putc(s, '0');
		} else if (base == 16) {
			xs_putc(s, '0');
			xs_putc(s, digits[16]);
		}
	}
	if (!(type & XS_F_LEFT))
		while (size-- > 0)
			xs_putc(s, c);
	while (i < precision--)
		xs_putc(s, '0');
	while (i-- > 0)
		xs_putc(s, tmp[i]);
	while (size-- > 0)
		xs_putc(s, ' ');
}

void xs_fmt_long(struct xs_sink *s, xs_long v, int flags, int width, int prec, char conv)
{
	switch (conv) {
	case 'd':
	case 'i':
		xs_number(s, (uint64_t)v, 10, width, prec, flags | 0x100, 0);
		break;
	case 'u':
		xs_number(s, (uint64_t)v, 10, width, prec, flags, 0);
		break;
	case 'o':
		xs_number(s, (uint64_t)v, 8, width, prec, flags, 0);
		break;
	case 'x':
		xs_number(s, (uint64_t)v, 16, width, prec, flags, 0);
		break;
	case 'X':
		xs_number(s, (uint64_t)v, 16, width, prec, flags, 1);
		break;
	case 'p': {
		int len = 2 * 8 + 2;

		if (width < 0)
			width = len;
		if (!(flags & XS_F_LEFT))
			while (width > len) {
				xs_putc(s, ' ');
				width--;
			}
		xs_number(s, (uint64_t)v, 16, width, prec, XS_F_SPECIAL | XS_F_ZEROPAD, 0);
		break;
	}
	case 'c':
		if (!(flags & XS_F_LEFT))
			xs_pad(s, ' ', width - 1);
		xs_putc(s, (char)v);
		if (flags & XS_F_LEFT)
			xs_pad(s, ' ', width - 1);
		break;
	case 'b': {
		/*
		 * Binary: the precision, else the width, gives the size in
		 * bytes (1, 2, 4, 8; default 8), written in target byte order;
		 * with a precision, a wider width pads with NUL bytes first.
		 */
		uint64_t u = (uint64_t)v;
		char bytes[8];
		int size = prec >= 0 ? prec : width;
		int n = (size == 1 || size == 2 || size == 4) ? size : 8, k;

		if (prec >= 0)
			for (k = n; k < width; k++)
				xs_putc(s, '\0');
		for (k = 0; k < n; k++)
			bytes[k] = (char)(u >> (8 * k));
		xs_put(s, bytes, n);
		break;
	}
	default:
		break;
	}
}

void xs_fmt_str(struct xs_sink *s, const char *v, int flags, int width, int prec)
{
	int len = strnlen(v, MAXSTRINGLEN);

	if (prec >= 0 && len > prec)
		len = prec;
	if (!(flags & XS_F_LEFT))
		xs_pad(s, ' ', width - len);
	xs_put(s, v, len);
	if (flags & XS_F_LEFT)
		xs_pad(s, ' ', width - len);
}

void xs_fmt_mem(struct xs_context *c, struct xs_sink *s, xs_long addr, int flags, int width, int prec, char conv, const char *loc)
{
	static const char hex[] = "0123456789abcdef";
	int n = prec < 0 ? 1 : prec, out, i;

	if (n > MAXSTRINGLEN)
		n = MAXSTRINGLEN;
	out = conv == 'M' ? 2 * n : n;
	if (!(flags & XS_F_LEFT))
		xs_pad(s, ' ', width - out);
	for (i = 0; i < n; i++) {
		unsigned char ch;

		if (copy_from_kernel_nofault(&ch, (const void *)(uintptr_t)(addr + i), 1)) {
			xs_errorf(c, loc, "kernel read fault at 0x%lx", (unsigned long)(addr + i));
			return;
		}
		if (conv == 'M') {
			xs_putc(s, hex[ch >> 4]);
			xs_putc(s, hex[ch & 15]);
		} else {
			xs_putc(s, (char)ch);
		}
	}
	if (flags & XS_F_LEFT)
		xs_pad(s, ' ', width - out);
}

/* ---- statistics ---- */

void xs_stat_desc_init(struct xs_stat_desc *d, int hist, xs_long start, xs_long stop, xs_long interval, int shift)
{
	d->hist = hist;
	d->start = start;
	d->interval = interval > 0 ? interval : 1;
	d->shift = shift;
	if (hist == XS_HIST_LOG)
		d->buckets = XS_HIST_LOG_BUCKETS;
	else if (hist == XS_HIST_LINEAR)
		d->buckets = (unsigned)((stop - start) / d->interval) + 3;
	else
		d->buckets = 0;
}

unsigned xs_stat_size(const struct xs_stat_desc *d)
{
	return sizeof(struct xs_stat) + d->buckets * sizeof(xs_long);
}

static int xs_log_bucket(xs_long val)
{
	int neg = val < 0, res = 0;
	uint64_t u;

	if (val == 0)
		return XS_HIST_LOG_BUCKET0;
	u = neg ? (uint64_t)0 - (uint64_t)val : (uint64_t)val;
	while (u) {
		res++;
		u >>= 1;
	}
	return neg ? XS_HIST_LOG_BUCKET0 - res : XS_HIST_LOG_BUCKET0 + res;
}

static xs_long xs_log_value(int b)
{
	if (b == XS_HIST_LOG_BUCKET0)
		return 0;
	if (b > XS_HIST_LOG_BUCKET0)
		return (xs_long)(1ULL << (b - XS_HIST_LOG_BUCKET0 - 1));
	return -(xs_long)(1ULL << (XS_HIST_LOG_BUCKET0 - b - 1));
}

static void xs_stat_hist_add(const struct xs_stat_desc *d, struct xs_stat *st, xs_long v);

void xs_stat_add(const struct xs_stat_desc *d, struct xs_stat *st, xs_long v)
{
	xs_long delta;

	if (st->count == 0) {
		/* The first value sets the running average, as in stap. */
		st->count = 1;
		st->sum = v;
		st->min = v;
		st->max = v;
		st->avg_s = (xs_long)((uint64_t)v << d->shift);
		st->m2 = 0;
		st->var_s = -1;
		xs_stat_hist_add(d, st, v);
		return;
	} else {
		if (v < st->min)
			st->min = v;
		if (v > st->max)
			st->max = v;
	}
	st->count++;
	st->sum += v;
	/* Welford's running variance, in fixed point scaled by `shift` bits. */
	delta = (xs_long)((uint64_t)v << d->shift) - st->avg_s;
	st->avg_s += delta / st->count;
	st->m2 += delta * ((xs_long)((uint64_t)v << d->shift) - st->avg_s);
	st->var_s = st->count < 2 ? -1 : st->m2 / (st->count - 1);
	xs_stat_hist_add(d, st, v);
}

static void xs_stat_hist_add(const struct xs_stat_desc *d, struct xs_stat *st, xs_long v)
{
	if (d->hist == XS_HIST_LOG) {
		st->hist[xs_log_bucket(v)]++;
	} else if (d->hist == XS_HIST_LINEAR) {
		unsigned b;

		if (v < d->start) {
			b = 0;
		} else {
			uint64_t k = (uint64_t)(v - d->start) / (uint64_t)d->interval;

			b = k + 1 > d->buckets - 2 ? d->buckets - 1 : (unsigned)k + 1;
		}
		st->hist[b]++;
	}
}

xs_long xs_stat_get(struct xs_context *c, const struct xs_stat_desc *d, const struct xs_stat *st, int op, const char *loc)
{
	if (op == XS_COUNT)
		return st ? st->count : 0;
	if (op == XS_SUM)
		return st ? st->sum : 0;
	if (!st || st->count == 0) {
		xs_error(c, "empty aggregate", loc);
		return 0;
	}
	switch (op) {
	case XS_MIN:
		return st->min;
	case XS_MAX:
		return st->max;
	case XS_AVG:
		return st->sum / st->count;
	case XS_VARIANCE:
		if (st->count < 2)
			return 0;
		if (d->scalar) {
			xs_long avg = (xs_long)((uint64_t)st->sum << d->shift) / st->count;
			xs_long delta = st->avg_s - avg;

			return ((st->m2 + st->count * delta * delta) / (st->count - 1)) >> (2 * d->shift);
		}
		return st->var_s >> (2 * d->shift);
	default:
		return 0;
	}
}

xs_long xs_stat_bucket(struct xs_context *c, const struct xs_stat_desc *d, const struct xs_stat *st, xs_long b, const char *loc)
{
	/* Raw bucket numbers, as stap's: log bucket 64 holds 0, 65 holds 1. */
	if (b < 0 || b >= d->buckets) {
		xs_errorf(c, loc, "histogram index %lld out of range", (long long)b);
		return 0;
	}
	return st ? st->hist[b] : 0;
}

static int xs_needed_space(xs_long v)
{
	uint64_t u = (uint64_t)v;
	int n = 1;

	if (v < 0) {
		n++;
		u = 0 - u;
	}
	while (u >= 10) {
		n++;
		u /= 10;
	}
	return n;
}

void xs_stat_print_hist(struct xs_sink *s, const struct xs_stat_desc *d, const struct xs_stat *st)
{
	int low = -1, high = 0, i, j, over = 0, under = 0, val_space, cnt_space, eliding = 0;
	int nb = (int)d->buckets;
	xs_long valmax = 0, scale;

	if (d->hist == XS_HIST_NONE || !st)
		return;
	for (i = 0; i < nb; i++) {
		if (st->hist[i] > 0 && low == -1)
			low = i;
		if (st->hist[i] > 0)
			high = i;
		if (st->hist[i] > valmax)
			valmax = st->hist[i];
	}
	if (low == -1) {
		/* An empty histogram prints nothing. */
		return;
	}
	for (i = 0; i < 2; i++) {
		if (d->hist == XS_HIST_LOG) {
			if (low != XS_HIST_LOG_BUCKET0 && low > 0)
				low--;
		} else if (low > 0) {
			low--;
		}
		if (high < nb - 1)
			high++;
	}
	if (d->hist == XS_HIST_LINEAR) {
		if (low == 0 && st->hist[0] == 0)
			low++;
		if (high == nb - 1 && st->hist[high] == 0)
			high--;
		if (low == 0)
			under = 1;
		if (high == nb - 1)
			over = 1;
	}
	if (valmax <= HIST_WIDTH)
		scale = 1;
	else
		scale = valmax / HIST_WIDTH + (valmax % HIST_WIDTH ? 1 : 0);
	cnt_space = xs_needed_space(valmax);
	if (d->hist == XS_HIST_LINEAR) {
		i = xs_needed_space(d->start) + under;
		val_space = xs_needed_space(d->start + d->interval * (nb - 3)) + over;
	} else {
		i = xs_needed_space(xs_log_value(high));
		val_space = xs_needed_space(xs_log_value(low));
	}
	if (i > val_space)
		val_space = i;
	j = 0;
	if (val_space > 5)
		j = val_space - 5;
	else
		val_space = 5;
	xs_pad(s, ' ', j);
	xs_puts(s, "value |");
	xs_pad(s, '-', HIST_WIDTH);
	xs_puts(s, " count\n");
	for (i = low; i <= high; i++) {
		const char *prefix = "";
		xs_long val, v;

		if ((long)HIST_ELISION >= 0) {
			int k, elide = 1;
			int start = i - (int)HIST_ELISION, end = i + (int)HIST_ELISION;

			if (start < low)
				start = low;
			if (end > high)
				end = high;
			for (k = start; k <= end; k++)
				if (st->hist[k] != 0)
					elide = 0;
			if (elide) {
				eliding = 1;
				continue;
			}
			if (eliding) {
				xs_pad(s, ' ', val_space + 1);
				xs_puts(s, "~\n");
				eliding = 0;
			}
		}
		if (d->hist == XS_HIST_LINEAR) {
			if (i == 0) {
				val = d->start;
				prefix = "<";
			} else if (i == nb - 1) {
				val = d->start + (xs_long)(i - 2) * d->interval;
				prefix = ">";
			} else {
				val = d->start + (xs_long)(i - 1) * d->interval;
			}
		} else {
			val = xs_log_value(i);
		}
		xs_fmt_str(s, prefix, 0, val_space - xs_needed_space(val), -1);
		xs_put_long(s, val);
		xs_puts(s, " |");
		v = st->hist[i] / scale;
		xs_pad(s, '@', (int)v);
		xs_fmt_long(s, st->hist[i], 0, (int)(HIST_WIDTH - v + 1 + cnt_space), -1, 'd');
		xs_putc(s, '\n');
	}
	xs_putc(s, '\n');
}

void xs_stat_dump(struct xs_sink *s, const char *name, const struct xs_stat_desc *d, const struct xs_stat *st)
{
	xs_puts(s, name);
	xs_puts(s, " @count=");
	xs_put_long(s, st ? st->count : 0);
	if (st && st->count) {
		xs_puts(s, " @min=");
		xs_put_long(s, st->min);
		xs_puts(s, " @max=");
		xs_put_long(s, st->max);
		xs_puts(s, " @sum=");
		xs_put_long(s, st->sum);
		xs_puts(s, " @avg=");
		xs_put_long(s, st->sum / st->count);
	}
	xs_putc(s, '\n');
	(void)d;
}
