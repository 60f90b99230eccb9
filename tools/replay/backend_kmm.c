/* The replay through kmm: kmalloc events through kmalloc with the traced
 * GFP flags, kmem_cache events through caches created with the traced
 * names and sizes, page events through alloc_pages with the traced order
 * and flags; each thread bound to its traced CPU, interrupt events inside
 * kmm_irq_enter/exit.
 *
 * Boot: mem= is sized from the trace (twice its peak of live memory, plus
 * room for every cache's per-CPU sheaves and partial slabs, at least
 * 64 MiB) unless given; nr_cpus= is the highest traced CPU + 1; populate=0
 * so that the resident set grows with use, as the peers' does. The boot
 * line the user gives is appended (kmm takes the last of a parameter).
 *
 * Before the replay, on an unbound thread (so that it owns no CPU's
 * sheaves): each distinct kmalloc request size of the trace is allocated
 * once and its ksize compared with the traced bytes_alloc, which tells a
 * trace of a kernel whose kmalloc classes differ from kmm's; each cache is
 * created and the ksize of one object noted.
 *
 * While threads run, the main thread reads kmm's slabinfo every sample
 * period and keeps, per cache and per kmalloc class, the line at which
 * the active objects were highest. Caches are listed newest first, so the
 * first lines are this replay's own, in the reverse of their creation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "backend.h"

struct kmm_state {
	struct kmem_cache **caches;
	uint32_t nr_caches;
	unsigned long reports_before;	/* kmm_bug_count() counts since the process began */
};

/* A cache whose free pointer lies after the object gets a constructor, as
 * in the kernel (a ctor or SLAB_TYPESAFE_BY_RCU); this one has nothing to
 * set up. */
static void rp_ctor(void *obj)
{
	(void)obj;
}

static unsigned long boot_mem_mb(const struct rp_trace *tr)
{
	/* per cache and CPU: two sheaves of up to 64 KiB and partial slabs */
	uint64_t bytes = 2 * tr->c.peak_live_bytes + (64ULL << 20) +
			 (uint64_t)(tr->nr_caches + 40) * (tr->nr_cpus ? tr->nr_cpus : 1) * (256ULL << 10);
	uint64_t mb = (bytes + (1ULL << 20) - 1) >> 20;

	mb = (mb + 15) / 16 * 16;
	return (unsigned long)(mb < 64 ? 64 : mb);
}

static int cmp_kpair(const void *a, const void *b)
{
	const struct rp_kpair *x = a, *y = b;

	if (x->bytes_req != y->bytes_req)
		return x->bytes_req < y->bytes_req ? -1 : 1;
	return x->bytes_alloc < y->bytes_alloc ? -1 : x->bytes_alloc > y->bytes_alloc;
}

/* kmalloc(n) for each traced n; runs of n where the classes differ. */
static void probe_classes(struct rp_engine *e)
{
	const struct rp_trace *tr = e->tr;
	struct rp_result *res = e->res;
	struct rp_kpair *p = malloc((tr->nr_kpairs ? tr->nr_kpairs : 1) * sizeof(*p));

	if (!p)
		return;
	memcpy(p, tr->kpairs, tr->nr_kpairs * sizeof(*p));
	qsort(p, tr->nr_kpairs, sizeof(*p), cmp_kpair);
	for (uint32_t i = 0; i < tr->nr_kpairs; i++) {
		/* NOWARN: a size above kmm's KMALLOC_MAX_SIZE is a difference to
		 * list here, not a report */
		void *obj = kmalloc(p[i].bytes_req, GFP_KERNEL | __GFP_NOWARN);
		uint32_t got = obj ? (uint32_t)ksize(obj) : 0;
		struct rp_kclass_check *last = res->nr_class_diffs ?
			&res->class_diffs[res->nr_class_diffs - 1] : NULL;

		kfree(obj);
		res->classes_pairs++;
		if (got == p[i].bytes_alloc)
			continue;
		if (last && last->traced == p[i].bytes_alloc && last->kmm == got &&
		    last->req_max < p[i].bytes_req) {
			last->req_max = p[i].bytes_req;
			last->count += p[i].count;
			continue;
		}
		struct rp_kclass_check *n = realloc(res->class_diffs,
						    (res->nr_class_diffs + 1) * sizeof(*n));

		if (!n)
			break;
		res->class_diffs = n;
		n[res->nr_class_diffs++] = (struct rp_kclass_check){
			.req_min = p[i].bytes_req, .req_max = p[i].bytes_req,
			.traced = p[i].bytes_alloc, .kmm = got, .count = p[i].count };
	}
	res->classes_checked = true;
	free(p);
}

static int kb_setup(struct rp_engine *e)
{
	const struct rp_trace *tr = e->tr;
	const struct rp_run_opts *o = e->o;
	struct rp_result *res = e->res;
	struct kmm_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		return -1;
	}
	st->reports_before = kmm_bug_count();
	snprintf(res->cmdline, sizeof(res->cmdline), "mem=%luM nr_cpus=%u populate=0%s%s",
		 o->mem_mb ? o->mem_mb : boot_mem_mb(tr), tr->nr_cpus ? tr->nr_cpus : 1,
		 o->cmdline[0] ? " " : "", o->cmdline);
	r = kmm_init(res->cmdline);
	if (r) {
		snprintf(res->error, sizeof(res->error), "kmm_init(\"%s\") failed: %d", res->cmdline, r);
		free(st);
		return -1;
	}
	e->be_state = st;
	probe_classes(e);
	st->nr_caches = tr->nr_caches;
	st->caches = calloc(tr->nr_caches ? tr->nr_caches : 1, sizeof(*st->caches));
	res->cache_kmm_slot = calloc(tr->nr_caches ? tr->nr_caches : 1, sizeof(uint32_t));
	res->cache_peak = calloc(tr->nr_caches ? tr->nr_caches : 1, sizeof(*res->cache_peak));
	res->kclass_peak = calloc(tr->nr_kclasses ? tr->nr_kclasses : 1, sizeof(*res->kclass_peak));
	if (!st->caches || !res->cache_kmm_slot || !res->cache_peak || !res->kclass_peak) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		kmm_exit();
		free(st->caches);
		free(st);
		e->be_state = NULL;
		return -1;
	}
	for (uint32_t i = 0; i < tr->nr_caches; i++) {
		const struct rp_cache *c = &tr->caches[i];
		struct kmem_cache *s = kmem_cache_create(tr->names.str[c->name], c->object_size,
							 c->align, 0, c->ctor ? rp_ctor : NULL);
		void *obj;

		st->caches[i] = s;
		if (!s) {
			fprintf(stderr, "kmm-replay: cache %s (%u bytes, align %u) could not be "
				"created: its allocations fail\n", tr->names.str[c->name],
				c->object_size, c->align);
			continue;
		}
		obj = kmem_cache_alloc(s, GFP_KERNEL);
		if (obj) {
			res->cache_kmm_slot[i] = (uint32_t)ksize(obj);
			kmem_cache_free(s, obj);
		}
		kmem_cache_shrink(s);
	}
	return 0;
}

static void kb_thread_enter(struct rp_engine *e, int cpu)
{
	(void)e;
	kmm_cpu_bind(cpu);
}

static void kb_thread_exit(struct rp_engine *e)
{
	(void)e;
	kmm_cpu_unbind();
}

static void *kb_alloc(struct rp_engine *e, const struct rp_slot *s, void **mem)
{
	struct kmm_state *st = e->be_state;
	struct page *page;

	switch (s->kind) {
	case RP_SLOT_KMALLOC:
		return *mem = kmalloc(s->bytes_req, s->gfp);
	case RP_SLOT_CACHE:
		if (!st->caches[s->cache])
			return NULL;
		return *mem = kmem_cache_alloc(st->caches[s->cache], s->gfp);
	default:
		page = alloc_pages(s->gfp, s->order);
		if (page)
			*mem = page_address(page);
		return page;
	}
}

static void kb_free(struct rp_engine *e, const struct rp_slot *s, void *h)
{
	struct kmm_state *st = e->be_state;

	switch (s->kind) {
	case RP_SLOT_KMALLOC:
		kfree(h);
		break;
	case RP_SLOT_CACHE:
		kmem_cache_free(st->caches[s->cache], h);
		break;
	default:
		__free_pages(h, s->order);
		break;
	}
}

static size_t kb_obj_size(const struct rp_slot *s, void *h)
{
	(void)s;
	return ksize(h);
}

static unsigned long kb_irqs_save(void)
{
	return kmm_local_irq_save();
}

static void kb_irqs_restore(unsigned long flags)
{
	kmm_local_irq_restore(flags);
}

/* "kmalloc-96", "kmalloc-rcl-1k", "dma-kmalloc-8k" -> 96, 1024, 8192. */
static uint32_t kmalloc_line_size(const char *name)
{
	const char *p = strstr(name, "kmalloc-");
	char *end;
	unsigned long v;

	if (!p || (p != name && strncmp(name, "dma-", 4)))
		return 0;
	p += 8;
	if (!strncmp(p, "rcl-", 4) || !strncmp(p, "cg-", 3))
		p = strchr(p, '-') + 1;
	v = strtoul(p, &end, 10);
	if (end == p)
		return 0;
	if (*end == 'k')
		v <<= 10, end++;
	return *end ? 0 : (uint32_t)v;
}

static void keep_peak(struct rp_slabinfo *peak, const struct rp_slabinfo *now)
{
	if (!peak->seen || now->active_objs > peak->active_objs ||
	    (now->active_objs == peak->active_objs && now->num_slabs > peak->num_slabs))
		*peak = *now;
}

static void kb_sample(struct rp_engine *e)
{
	const struct rp_trace *tr = e->tr;
	struct rp_result *res = e->res;
	struct rp_slabinfo *kc;
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint32_t k = 0;

	if (!f)
		return;
	if (kmm_proc_show(f, "slabinfo")) {
		fclose(f);
		free(buf);
		return;
	}
	fclose(f);
	kc = calloc(tr->nr_kclasses ? tr->nr_kclasses : 1, sizeof(*kc));
	if (!kc) {
		free(buf);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct rp_slabinfo now = { .seen = true };
		char name[128];
		unsigned long a, n, slabs;

		if (sscanf(line, "%127s %lu %lu %u %u %u : tunables %*u %*u %*u : slabdata %*u %lu",
			   name, &a, &n, &now.objsize, &now.objperslab, &now.pagesperslab,
			   &slabs) != 7)
			continue;	/* the two header lines */
		now.active_objs = a;
		now.num_objs = n;
		now.num_slabs = slabs;
		if (k < tr->nr_caches) {
			uint32_t ci = tr->nr_caches - 1 - k++;

			if (!strcmp(name, tr->names.str[tr->caches[ci].name]))
				keep_peak(&res->cache_peak[ci], &now);
			continue;
		}
		uint32_t size = kmalloc_line_size(name);

		for (uint32_t i = 0; size && i < tr->nr_kclasses; i++) {
			if (tr->kclasses[i].size != size)
				continue;
			/* the class across its normal, reclaimable and DMA caches */
			kc[i].seen = true;
			kc[i].active_objs += now.active_objs;
			kc[i].num_objs += now.num_objs;
			kc[i].num_slabs += now.num_slabs;
			kc[i].objsize = now.objsize;
			kc[i].objperslab = now.objperslab;
			kc[i].pagesperslab = now.pagesperslab;
		}
	}
	for (uint32_t i = 0; i < tr->nr_kclasses; i++)
		if (kc[i].seen)
			keep_peak(&res->kclass_peak[i], &kc[i]);
	res->samples++;
	free(kc);
	free(buf);
}

static void kb_finish(struct rp_engine *e, void **live, const uint32_t *live_slots, size_t nr)
{
	struct kmm_state *st = e->be_state;
	struct rp_result *res = e->res;

	if (!st)
		return;
	for (size_t i = 0; i < nr; i++)
		kb_free(e, &e->tr->slots[live_slots[i]], live[i]);
	for (uint32_t i = 0; st->caches && i < st->nr_caches; i++)
		if (st->caches[i])
			kmem_cache_destroy(st->caches[i]);
	res->kmm_leaks = kmm_exit();
	res->kmm_reports = kmm_bug_count() - st->reports_before;
	free(st->caches);
	free(st);
	e->be_state = NULL;
}

const struct rp_backend rp_backend_kmm = {
	.name = "kmm",
	.setup = kb_setup,
	.thread_enter = kb_thread_enter,
	.thread_exit = kb_thread_exit,
	.alloc = kb_alloc,
	.free = kb_free,
	.obj_size = kb_obj_size,
	.irq_enter = kmm_irq_enter,
	.irq_exit = kmm_irq_exit,
	.irqs_save = kb_irqs_save,
	.irqs_restore = kb_irqs_restore,
	.preempt_disable = preempt_disable,
	.preempt_enable = preempt_enable,
	.sample = kb_sample,
	.finish = kb_finish,
};
