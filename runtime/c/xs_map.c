// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xs_map.c -- associative arrays: up to XS_MAXKEYS long or string keys;
 * long, string or statistics values.
 *
 * A map is one preallocated block of `cap` fixed-size entries (allocated
 * at session start), a power-of-two bucket array of chains, a free list and
 * an insertion-order list (iteration order, and the victim order of `%`
 * wrapping arrays). No allocation happens in probe context; every walk is
 * bounded by `cap`.
 */
#include "xs_config.h"
#include "xs_runtime.h"

#define XS_NIL 0xffffffffu

struct xs_ehdr {
	uint32_t hnext, prev, next, hash;
};

#define XS_ALIGN8(x) (((x) + 7u) & ~7u)

static struct xs_ehdr *xs_ent(struct xs_map *m, uint32_t e)
{
	return (struct xs_ehdr *)(m->entries + (size_t)e * m->esize);
}

int xs_map_alloc(struct xs_map *m)
{
	unsigned off = sizeof(struct xs_ehdr), i;

	if (m->entries)
		return 0;
	if (m->cap == 0)
		m->cap = MAXMAPENTRIES;
	for (i = 0; i < m->nkeys && i < XS_MAXKEYS; i++) {
		m->koff[i] = off;
		off += m->ktype[i] == XS_T_STR ? XS_ALIGN8(MAXSTRINGLEN) : 8;
	}
	m->voff = off;
	if (m->vtype == XS_T_STR)
		off += XS_ALIGN8(MAXSTRINGLEN);
	else if (m->vtype == XS_T_STAT)
		off += XS_ALIGN8(xs_stat_size(m->sdesc));
	else
		off += 8;
	m->esize = off;
	m->nbuckets = 16;
	while (m->nbuckets < m->cap && m->nbuckets < (1u << 30))
		m->nbuckets <<= 1;
	m->buckets = vmalloc(sizeof(uint32_t) * (size_t)m->nbuckets);
	m->entries = vmalloc((size_t)m->esize * m->cap);
	if (!m->buckets || !m->entries) {
		xs_map_free(m);
		return -ENOMEM;
	}
	xs_map_clear(m);
	return 0;
}

void xs_map_free(struct xs_map *m)
{
	vfree(m->buckets);
	vfree(m->entries);
	m->buckets = NULL;
	m->entries = NULL;
}

void xs_map_clear(struct xs_map *m)
{
	uint32_t i;

	if (!m->entries)
		return;
	for (i = 0; i < m->nbuckets; i++)
		m->buckets[i] = XS_NIL;
	for (i = 0; i < m->cap; i++)
		xs_ent(m, i)->hnext = i + 1 < m->cap ? i + 1 : XS_NIL;
	m->free_head = 0;
	m->ins_head = XS_NIL;
	m->ins_tail = XS_NIL;
	m->count = 0;
}

static uint32_t xs_hash(struct xs_map *m, const struct xs_key *k)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned i, j;

	for (i = 0; i < m->nkeys; i++) {
		if (m->ktype[i] == XS_T_STR) {
			const char *s = k[i].s;

			for (j = 0; j < MAXSTRINGLEN - 1 && s[j]; j++)
				h = (h ^ (unsigned char)s[j]) * 1099511628211ULL;
			h = (h ^ 0xff) * 1099511628211ULL;
		} else {
			uint64_t v = (uint64_t)k[i].l;

			for (j = 0; j < 8; j++, v >>= 8)
				h = (h ^ (v & 0xff)) * 1099511628211ULL;
		}
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* Compare the stored string with a key truncated like a stored one. */
static int xs_keystr_eq(const char *stored, const char *key)
{
	unsigned i;

	for (i = 0; i < MAXSTRINGLEN - 1; i++) {
		if (stored[i] != key[i])
			return 0;
		if (!key[i])
			return 1;
	}
	return stored[i] == '\0';
}

static int xs_key_match(struct xs_map *m, uint32_t e, const struct xs_key *k, unsigned wild)
{
	char *base = (char *)xs_ent(m, e);
	unsigned i;

	for (i = 0; i < m->nkeys; i++) {
		if (wild & (1u << i))
			continue;
		if (m->ktype[i] == XS_T_STR) {
			if (!xs_keystr_eq(base + m->koff[i], k[i].s))
				return 0;
		} else if (*(xs_long *)(base + m->koff[i]) != k[i].l) {
			return 0;
		}
	}
	return 1;
}

static uint32_t xs_find(struct xs_map *m, const struct xs_key *k, uint32_t h)
{
	uint32_t e = m->buckets[h & (m->nbuckets - 1)];
	unsigned steps = 0;

	while (e != XS_NIL && steps++ < m->cap) {
		struct xs_ehdr *eh = xs_ent(m, e);

		if (eh->hash == h && xs_key_match(m, e, k, 0))
			return e;
		e = eh->hnext;
	}
	return XS_NIL;
}

void *xs_map_get(struct xs_map *m, const struct xs_key *k)
{
	uint32_t e;

	if (!m->entries)
		return NULL;
	e = xs_find(m, k, xs_hash(m, k));
	return e == XS_NIL ? NULL : (char *)xs_ent(m, e) + m->voff;
}

static void xs_unlink(struct xs_map *m, uint32_t e)
{
	struct xs_ehdr *eh = xs_ent(m, e);
	uint32_t *pp = &m->buckets[eh->hash & (m->nbuckets - 1)];
	unsigned steps = 0;

	while (*pp != XS_NIL && *pp != e && steps++ < m->cap)
		pp = &xs_ent(m, *pp)->hnext;
	if (*pp == e)
		*pp = eh->hnext;
	if (eh->prev != XS_NIL)
		xs_ent(m, eh->prev)->next = eh->next;
	else
		m->ins_head = eh->next;
	if (eh->next != XS_NIL)
		xs_ent(m, eh->next)->prev = eh->prev;
	else
		m->ins_tail = eh->prev;
	eh->hnext = m->free_head;
	m->free_head = e;
	m->count--;
}

void *xs_map_set(struct xs_context *c, struct xs_map *m, const struct xs_key *k, const char *loc)
{
	uint32_t h, e, b;
	struct xs_ehdr *eh;
	char *base;
	unsigned i;

	if (!m->entries) {
		xs_error(c, "array used before allocation", loc);
		return NULL;
	}
	h = xs_hash(m, k);
	e = xs_find(m, k, h);
	if (e != XS_NIL)
		return (char *)xs_ent(m, e) + m->voff;
	if (m->free_head == XS_NIL) {
		if (!m->wrap || m->ins_head == XS_NIL) {
			xs_error(c, "Array overflow, check MAXMAPENTRIES", loc);
			return NULL;
		}
		xs_unlink(m, m->ins_head);
	}
	e = m->free_head;
	eh = xs_ent(m, e);
	m->free_head = eh->hnext;
	memset(eh, 0, m->esize);
	eh->hash = h;
	b = h & (m->nbuckets - 1);
	eh->hnext = m->buckets[b];
	m->buckets[b] = e;
	eh->next = XS_NIL;
	eh->prev = m->ins_tail;
	if (m->ins_tail != XS_NIL)
		xs_ent(m, m->ins_tail)->next = e;
	else
		m->ins_head = e;
	m->ins_tail = e;
	m->count++;
	base = (char *)eh;
	for (i = 0; i < m->nkeys; i++) {
		if (m->ktype[i] == XS_T_STR)
			xs_strlcpy(base + m->koff[i], k[i].s);
		else
			*(xs_long *)(base + m->koff[i]) = k[i].l;
	}
	return base + m->voff;
}

void xs_map_delete(struct xs_map *m, const struct xs_key *k)
{
	uint32_t e;

	if (!m->entries)
		return;
	e = xs_find(m, k, xs_hash(m, k));
	if (e != XS_NIL)
		xs_unlink(m, e);
}

void xs_map_delete_wild(struct xs_map *m, const struct xs_key *k, unsigned wild)
{
	uint32_t e, next;
	unsigned steps = 0;

	if (!m->entries)
		return;
	for (e = m->ins_head; e != XS_NIL && steps++ < m->cap; e = next) {
		next = xs_ent(m, e)->next;
		if (xs_key_match(m, e, k, wild))
			xs_unlink(m, e);
	}
}

int xs_map_exists(struct xs_map *m, const struct xs_key *k, unsigned wild)
{
	uint32_t e;
	unsigned steps = 0;

	if (!m->entries)
		return 0;
	if (!wild)
		return xs_find(m, k, xs_hash(m, k)) != XS_NIL;
	for (e = m->ins_head; e != XS_NIL && steps++ < m->cap; e = xs_ent(m, e)->next)
		if (xs_key_match(m, e, k, wild))
			return 1;
	return 0;
}

unsigned xs_map_collect(struct xs_map *m, uint32_t *order, const struct xs_key *slice, unsigned sliced)
{
	uint32_t e;
	unsigned n = 0;

	if (!m->entries)
		return 0;
	for (e = m->ins_head; e != XS_NIL && n < m->cap; e = xs_ent(m, e)->next) {
		/* `sliced` has bit i set for each fixed key; the rest are wild. */
		if (sliced && !xs_key_match(m, e, slice, ~sliced))
			continue;
		order[n++] = e;
	}
	return n;
}

xs_long xs_map_key_long(struct xs_map *m, uint32_t e, unsigned k)
{
	return *(xs_long *)((char *)xs_ent(m, e) + m->koff[k]);
}

const char *xs_map_key_str(struct xs_map *m, uint32_t e, unsigned k)
{
	return (char *)xs_ent(m, e) + m->koff[k];
}

void *xs_map_val(struct xs_map *m, uint32_t e)
{
	return (char *)xs_ent(m, e) + m->voff;
}

static xs_long xs_statop_value(const struct xs_stat *st, int op)
{
	switch (op) {
	case XS_SUM:
		return st->sum;
	case XS_MIN:
		return st->count ? st->min : 0;
	case XS_MAX:
		return st->count ? st->max : 0;
	case XS_AVG:
		return st->count ? st->sum / st->count : 0;
	default:
		return st->count;
	}
}

static int xs_cmp(struct xs_map *m, uint32_t a, uint32_t b, int by, int statop)
{
	unsigned char t;
	const char *pa, *pb;

	if (by < 0) {
		t = m->vtype;
		pa = xs_map_val(m, a);
		pb = xs_map_val(m, b);
		if (t == XS_T_STAT) {
			xs_long x = xs_statop_value((const struct xs_stat *)pa, statop);
			xs_long y = xs_statop_value((const struct xs_stat *)pb, statop);

			return x < y ? -1 : x > y;
		}
	} else {
		t = m->ktype[by];
		pa = (char *)xs_ent(m, a) + m->koff[by];
		pb = (char *)xs_ent(m, b) + m->koff[by];
	}
	if (t == XS_T_STR)
		return xs_strcmp(pa, pb);
	{
		xs_long x = *(const xs_long *)pa, y = *(const xs_long *)pb;

		return x < y ? -1 : x > y;
	}
}

void xs_map_sort(struct xs_map *m, uint32_t *order, uint32_t *tmp, unsigned n, int by, int statop, int desc)
{
	unsigned width, i;

	/* Bottom-up merge sort: stable, no recursion, O(n log n). */
	for (width = 1; width < n; width *= 2) {
		for (i = 0; i < n; i += 2 * width) {
			unsigned lo = i, mid = i + width < n ? i + width : n;
			unsigned hi = i + 2 * width < n ? i + 2 * width : n;
			unsigned a = lo, b = mid, k = lo;

			while (a < mid && b < hi) {
				int r = xs_cmp(m, order[a], order[b], by, statop);

				if (desc)
					r = -r;
				tmp[k++] = r <= 0 ? order[a++] : order[b++];
			}
			while (a < mid)
				tmp[k++] = order[a++];
			while (b < hi)
				tmp[k++] = order[b++];
		}
		memcpy(order, tmp, n * sizeof(uint32_t));
	}
}

static void xs_put_quoted(struct xs_sink *s, const char *v)
{
	xs_putc(s, '"');
	xs_puts(s, v);
	xs_putc(s, '"');
}

void xs_map_dump(struct xs_sink *s, struct xs_map *m)
{
	uint32_t e;
	unsigned n = 0, i;

	if (!m->entries)
		return;
	for (e = m->ins_head; e != XS_NIL && n++ < m->cap; e = xs_ent(m, e)->next) {
		xs_puts(s, m->name);
		xs_putc(s, '[');
		for (i = 0; i < m->nkeys; i++) {
			if (i)
				xs_putc(s, ',');
			if (m->ktype[i] == XS_T_STR)
				xs_put_quoted(s, xs_map_key_str(m, e, i));
			else
				xs_put_long(s, xs_map_key_long(m, e, i));
		}
		xs_putc(s, ']');
		if (m->vtype == XS_T_STAT) {
			xs_stat_dump(s, "", m->sdesc, xs_map_val(m, e));
			continue;
		}
		xs_putc(s, '=');
		if (m->vtype == XS_T_STR)
			xs_put_quoted(s, xs_map_val(m, e));
		else
			xs_put_long(s, *(xs_long *)xs_map_val(m, e));
		xs_putc(s, '\n');
	}
}

void xs_runtime_free(void)
{
	xs_contexts_free();
}
