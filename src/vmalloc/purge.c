/* Lazy freeing of vmap areas (the kernel's lazy TLB-flush batching, here
 * batching the mmap() calls that remove mappings).
 *
 * vfree marks an area VA_LAZY and puts it in its CPU's vmap cache
 * (vcache.c) or on its node's lazy list; nothing else happens until the
 * purge, which runs when the lazily freed total passes lazy_max_pages(),
 * under memory pressure (the "vmap-lazy" shrinker, called by kswapd and
 * direct reclaim), from vm_unmap_aliases(), and when vmalloc runs short of
 * pages, mappings or address space. The purge first moves every cached
 * area and every empty vmap block (vblock.c) to the lazy lists, then
 * takes every node's lazy list, sorts the areas by address, remaps
 * each run of adjacent areas PROT_NONE with one mmap() call, and only then
 * frees their pages (a page must never be reused while a vmalloc mapping
 * still reaches it) and gives their ranges back to the free trees.
 *
 * vfree in interrupt context pushes the area on vmap_deferred, a lock-free
 * list (push: compare-and-swap with release; take all: exchange with
 * acquire, so the pusher's writes to the area are visible to the drainer);
 * the next process-context vmalloc/vfree or purge drains it.
 *
 * Locks: vmap_purge_lock (LOCK_RANK_VMAP_PURGE) serialises purges and is
 * held across the mmap() calls and page frees; it is taken before any
 * node lock (vmap_area.c). */
#include <errno.h>
#include <stdlib.h>
#include <kmm/kmm.h>
#include <kmm/shrinker.h>
#include "buddy/mmzone.h"
#include "lib/bitops.h"
#include "lib/bug.h"
#include "lib/cpu.h"
#include "lib/host_mem.h"
#include "vmalloc/mapping.h"
#include "vmalloc/pages.h"
#include "vmalloc/purge.h"
#include "vmalloc/space.h"
#include "vmalloc/vblock.h"
#include "vmalloc/vcache.h"

long vmap_lazy_nr;
struct vmap_area *vmap_deferred;

static struct kmm_mutex vmap_purge_lock;
static struct shrinker *vmap_shrinker;

/* lazy_max_pages(): 32 MiB scaled by log2 of the CPUs, as the kernel's
 * fls(num_online_cpus()) * (32 MiB / PAGE_SIZE). */
unsigned long lazy_max_pages(void)
{
	return fls_ul(MAX(nr_cpu_ids, 1u)) * ((32UL << 20) >> PAGE_SHIFT);
}

void vmap_lazy_account(unsigned long nr_pages)
{
	long total = atomic_add_acq_rel(&vmap_lazy_nr, (long)nr_pages);

	if ((unsigned long)total > lazy_max_pages())
		vmap_purge(false);
}

/* Once linked, a concurrent purge may free `va`: read it before. */
void vmap_lazy_add(struct vmap_area *va)
{
	unsigned long pages = va_size(va) >> PAGE_SHIFT;

	vmap_lazy_link(va);
	vmap_lazy_account(pages);
}

void vmap_defer_free(struct vmap_area *va)
{
	struct vmap_area *head = atomic_load_relaxed(&vmap_deferred);

	do {
		va->chain = head;
	} while (!atomic_cas_acq_rel(&vmap_deferred, &head, va));
}

/* Moves the deferred areas to their lazy lists; returns their pages. */
static unsigned long drain_deferred_link(void)
{
	struct vmap_area *va = atomic_xchg_acq_rel(&vmap_deferred, NULL);
	unsigned long pages = 0;

	while (va) {
		struct vmap_area *next = va->chain;

		pages += va_size(va) >> PAGE_SHIFT;
		vmap_lazy_link(va);
		va = next;
	}
	return pages;
}

noinline void vmap_drain_deferred_slow(void)
{
	unsigned long pages = drain_deferred_link();

	if (pages)
		vmap_lazy_account(pages);
}

static int cmp_va(const void *a, const void *b)
{
	const struct vmap_area *x = *(struct vmap_area *const *)a;
	const struct vmap_area *y = *(struct vmap_area *const *)b;

	return x->va_start < y->va_start ? -1 : x->va_start > y->va_start;
}

/* Takes every node's lazy list into an array sorted by address. */
static struct vmap_area **collect_lazy(size_t *nr)
{
	struct vmap_area **arr = NULL;
	size_t n = 0, cap = 0;
	struct list_head local;

	INIT_LIST_HEAD(&local);
	for (unsigned int i = 0; i < nr_vmap_nodes; i++) {
		struct vmap_node *vn = &vmap_nodes[i];

		kmm_spin_lock(&vn->lock);
		while (!list_empty(&vn->lazy))
			list_move_tail(vn->lazy.next, &local);
		kmm_spin_unlock(&vn->lock);
	}
	while (!list_empty(&local)) {
		struct vmap_area *va = list_first_entry(&local, struct vmap_area, lazy);

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct vmap_area **narr = host_realloc(arr, ncap * sizeof(*arr));

			if (!narr) {
				/* Out of memory for the array: put the rest
				 * back for the next purge. */
				while (!list_empty(&local)) {
					struct vmap_area *rest =
						list_first_entry(&local, struct vmap_area, lazy);

					list_del(&rest->lazy);
					vmap_lazy_link(rest);
				}
				break;
			}
			arr = narr;
			cap = ncap;
		}
		list_del(&va->lazy);
		arr[n++] = va;
	}
	if (n > 1)
		qsort(arr, n, sizeof(*arr), cmp_va);
	*nr = n;
	return arr;
}

/* The purge proper; vmap_purge_lock is held. Returns the pages freed. */
static unsigned long purge_locked(void)
{
	unsigned long freed = 0, lazy_pages, mappings = 0;
	struct vmap_area **arr;
	size_t n, i, j;

	lock_assert_held(&vmap_purge_lock);
	lazy_pages = drain_deferred_link() + vcache_drain_link() + vblock_drain_link();
	atomic_add_acq_rel(&vmap_lazy_nr, (long)lazy_pages);
	arr = collect_lazy(&n);
	if (!n) {
		host_free(arr);
		return 0;
	}
	/* Adjacent areas (their guard pages included) go in one call. */
	for (i = 0; i < n; i = j) {
		unsigned long end = arr[i]->va_end;

		for (j = i + 1; j < n && arr[j]->va_start == end; j++)
			end = arr[j]->va_end;
		vmap_unmap_range(arr[i]->va_start, end - arr[i]->va_start);
		/* vfree poisoned it for ASan; unmapped, it faults anyway, and
		 * the shadow must be clean when the range is reused, or after
		 * exit when the address space goes back to the process. */
		kasan_unpoison((void *)arr[i]->va_start, end - arr[i]->va_start);
	}
	lazy_pages = 0;
	for (i = 0; i < n; i++) {
		struct vmap_area *va = arr[i];
		unsigned int flags = atomic_load_relaxed(&va->flags);

		if (flags & VM_ALLOC) {
			vmap_area_free_pages(va);
			freed += va->nr_pages;
		}
		if (!(flags & VA_UNMAPPED))
			mappings += va->nr_runs + 1UL;
		lazy_pages += va_size(va) >> PAGE_SHIFT;
		if (flags & VA_BLOCK)
			vblock_free_struct(va);
		host_free(va->pages);
		va->pages = NULL;
	}
	vmap_mappings_release(mappings);
	/* The array is sorted, so each node's areas are consecutive. */
	for (i = 0; i < n; i = j) {
		struct vmap_node *vn = addr_to_node(arr[i]->va_start);

		kmm_spin_lock(&vn->lock);
		for (j = i; j < n && addr_to_node(arr[j]->va_start) == vn; j++)
			vmap_area_release_locked(vn, arr[j]);
		kmm_spin_unlock(&vn->lock);
	}
	atomic_sub_relaxed(&vmap_lazy_nr, (long)lazy_pages);
	host_free(arr);
	if (KMM_DEBUG_ON)
		vmap_check_invariants();
	return freed;
}

unsigned long vmap_purge(bool wait)
{
	unsigned long freed;

	if (wait)
		kmm_mutex_lock(&vmap_purge_lock);
	else if (!kmm_mutex_trylock(&vmap_purge_lock))
		return 0;	/* another thread is purging right now */
	freed = purge_locked();
	kmm_mutex_unlock(&vmap_purge_lock);
	return freed;
}

void vm_unmap_aliases(void)
{
	if (!atomic_load_relaxed(&vmalloc_start))
		return;
	vmap_purge(true);
}

/* ---- the shrinker: purge under memory pressure ---- */

static unsigned long vmap_lazy_count(struct shrinker *s, struct shrink_control *sc)
{
	long nr = atomic_load_relaxed(&vmap_lazy_nr) + (long)atomic_load_relaxed(&vcache_nr_pages);

	(void)s;
	(void)sc;
	if (nr <= 0 && !atomic_load_relaxed(&vmap_deferred))
		return SHRINK_EMPTY;
	return nr > 0 ? (unsigned long)nr : 1;
}

static unsigned long vmap_lazy_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long nr = vmap_lazy_count(s, sc);

	/* One purge takes everything: tell the caller all was scanned. */
	sc->nr_scanned = MAX(sc->nr_to_scan, nr == SHRINK_EMPTY ? 0 : nr);
	return vmap_purge(true);
}

int vmap_purge_init(void)
{
	kmm_mutex_init(&vmap_purge_lock, "vmap_purge_lock", LOCK_RANK_VMAP_PURGE);
	atomic_store_relaxed(&vmap_lazy_nr, 0);
	atomic_store_relaxed(&vmap_deferred, NULL);
	vmap_shrinker = shrinker_alloc(0, "vmap-lazy");
	if (!vmap_shrinker)
		return -ENOMEM;
	vmap_shrinker->count_objects = vmap_lazy_count;
	vmap_shrinker->scan_objects = vmap_lazy_scan;
	vmap_shrinker->seeks = 0;
	shrinker_register(vmap_shrinker);
	return 0;
}

void vmap_purge_exit(void)
{
	shrinker_free(vmap_shrinker);
	vmap_shrinker = NULL;
	kmm_mutex_destroy(&vmap_purge_lock);
}
