/* vmap areas: the vmalloc space's address allocator (DESIGN.md §3).
 *
 * The space is split into nr_vmap_nodes vmap nodes, each a fixed address
 * range with its own lock, as the kernel's 6.9 vmap nodes, so vmalloc and
 * vfree on different CPUs do not serialise. A CPU allocates from its own
 * node first (cpu_id() % nr_vmap_nodes), then from the others in turn; a
 * free goes to the node that owns the address (O(1) arithmetic).
 *
 * In each node, free ranges are kept in an address-ordered tree augmented
 * with subtree_max_size (the largest free range in each subtree), so the
 * lowest-addressed fit is found in O(log n) by descending left whenever the
 * left subtree has a large enough range (the kernel's
 * find_vmap_lowest_match). Busy areas (vmalloc, vmap, and lazily freed ones
 * until they are purged) are in a second tree ordered by address, for
 * O(log n) lookup by any address inside an area.
 *
 * Lock order (outermost first; enum lock_rank in lib/lock.h):
 *   vmap_purge_lock (LOCK_RANK_VMAP_PURGE, mutex, purge.c)  one purge at a
 *       time; held across the unmapping mmap() calls and the page frees
 *   vmap cache lock (LOCK_RANK_VMAP_CACHE, spinlock, vcache.c)  a CPU's
 *       cached areas; nothing is taken inside it
 *   vmap_node.lock  (LOCK_RANK_VMAP, spinlock)  the node's free tree, busy
 *       tree and lazy list; never two nodes at once
 *   block queue lock (LOCK_RANK_VMAP_BLOCK, spinlock, vblock.c)  a CPU's
 *       vmap blocks and their bitmaps; inside a node lock when vfree finds
 *       a block through the busy tree
 *   pkmap lock      (LOCK_RANK_KMAP, mutex, highmem.c)  the kmap window
 * No vmalloc lock is held while calling into the page allocator: a
 * sleeping allocation may reclaim, and reclaim runs the vmap shrinker,
 * which takes vmap_purge_lock. The mapping budget (mapping.c) and the lazy
 * page count (purge.c) are atomics. */
#include <errno.h>
#include <stdlib.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/cpu.h"
#include "lib/host_mem.h"
#include "vmalloc/vmap_area.h"

#define MAX_VMAP_NODES		64

struct vmap_node *vmap_nodes;
unsigned int nr_vmap_nodes;
unsigned long vmap_node_size;

static unsigned long va_key(const struct vtree_node *n)
{
	return container_of(n, struct vmap_area, node)->va_start;
}

static inline unsigned long subtree_max(const struct vtree_node *n)
{
	return n ? container_of(n, struct vmap_area, node)->subtree_max_size : 0;
}

/* compute_subtree_max_size() */
static void va_augment(struct vtree_node *n)
{
	struct vmap_area *va = container_of(n, struct vmap_area, node);

	va->subtree_max_size = MAX(va_size(va), MAX(subtree_max(n->left), subtree_max(n->right)));
}

static const struct vtree_ops busy_ops = { .key = va_key };
static const struct vtree_ops free_ops = { .key = va_key, .augment = va_augment };

static inline struct vmap_area *to_va(struct vtree_node *n)
{
	return n ? container_of(n, struct vmap_area, node) : NULL;
}

int vmap_nodes_init(unsigned long start, unsigned long size)
{
	unsigned int n = MIN(MAX(nr_cpu_ids, 1u), MAX_VMAP_NODES);

	/* Each node must be able to hold something useful. */
	while (n > 1 && size / n < (64UL << 20))
		n--;
	vmap_node_size = (size / n) & PAGE_MASK;
	vmap_nodes = host_aligned_alloc(CACHELINE, sizeof(*vmap_nodes) * n);
	if (!vmap_nodes)
		return -ENOMEM;
	nr_vmap_nodes = n;
	for (unsigned int i = 0; i < n; i++) {
		struct vmap_node *vn = &vmap_nodes[i];
		struct vmap_area *va = host_calloc(1, sizeof(*va));

		if (!va) {
			nr_vmap_nodes = i;
			vmap_nodes_exit();
			return -ENOMEM;
		}
		kmm_spin_init(&vn->lock, "vmap_node", LOCK_RANK_VMAP);
		vn->start = start + i * vmap_node_size;
		vn->end = vn->start + vmap_node_size;
		vn->busy = (struct vtree){ .ops = &busy_ops };
		vn->free = (struct vtree){ .ops = &free_ops };
		INIT_LIST_HEAD(&vn->lazy);
		va->va_start = vn->start;
		va->va_end = vn->end;
		vtree_insert(&vn->free, &va->node);
	}
	return 0;
}

static void free_tree_nodes(struct vtree_node *n)
{
	if (!n)
		return;
	free_tree_nodes(n->left);
	free_tree_nodes(n->right);
	host_free(container_of(n, struct vmap_area, node));
}

/* Busy areas still here at exit were leaked by the caller (vmalloc.c has
 * reported them); their pages stay allocated and count as leaked pages. */
void vmap_nodes_exit(void)
{
	for (unsigned int i = 0; i < nr_vmap_nodes; i++) {
		struct vmap_node *vn = &vmap_nodes[i];

		free_tree_nodes(vn->free.root);
		free_tree_nodes(vn->busy.root);
	}
	host_free(vmap_nodes);
	vmap_nodes = NULL;
	nr_vmap_nodes = 0;
}

/* find_vmap_lowest_match(): the lowest-addressed free range of at least
 * `size` bytes, in O(log n). */
static struct vmap_area *find_lowest_fit_locked(struct vmap_node *vn, unsigned long size)
{
	struct vtree_node *n = vn->free.root;

	lock_assert_held(&vn->lock);
	if (subtree_max(n) < size)
		return NULL;
	while (n) {
		if (subtree_max(n->left) >= size)
			n = n->left;
		else if (va_size(to_va(n)) >= size)
			return to_va(n);
		else
			n = n->right;
	}
	return NULL;
}

static bool node_alloc(struct vmap_node *vn, struct vmap_area *va, unsigned long size)
{
	struct vmap_area *fit, *unused = NULL;

	kmm_spin_lock(&vn->lock);
	fit = find_lowest_fit_locked(vn, size);
	if (!fit) {
		kmm_spin_unlock(&vn->lock);
		return false;
	}
	va->va_start = fit->va_start;
	va->va_end = fit->va_start + size;
	if (va_size(fit) == size) {
		vtree_erase(&vn->free, &fit->node);
		unused = fit;
	} else {
		/* Clip from the left: the key grows but stays below the next
		 * free range's, so only the summaries change. */
		fit->va_start += size;
		vtree_update(&vn->free, &fit->node);
	}
	atomic_store_relaxed(&va->flags, va->flags | VA_UNINITIALIZED);
	vtree_insert(&vn->busy, &va->node);
	kmm_spin_unlock(&vn->lock);
	host_free(unused);
	return true;
}

bool vmap_area_alloc(struct vmap_area *va, unsigned long size)
{
	unsigned int home = (unsigned int)cpu_id() % nr_vmap_nodes;

	for (unsigned int i = 0; i < nr_vmap_nodes; i++)
		if (node_alloc(&vmap_nodes[(home + i) % nr_vmap_nodes], va, size))
			return true;
	return false;
}

/* The lowest free range in n's subtree that holds [a, a + size) with a
 * aligned to `align` and inside [lo, hi); *addr gets a. Subtrees whose
 * ranges are too small, or lie wholly below lo or above hi, are skipped,
 * so this stays O(log n) but where alignment wastes the space found. */
static struct vmap_area *find_fit_range(struct vtree_node *n, unsigned long size,
					unsigned long align, unsigned long lo, unsigned long hi,
					unsigned long *addr)
{
	struct vmap_area *va, *fit;
	unsigned long a;

	if (!n || subtree_max(n) < size)
		return NULL;
	va = to_va(n);
	if (va->va_start > lo) {
		fit = find_fit_range(n->left, size, align, lo, hi, addr);
		if (fit)
			return fit;
	}
	a = ALIGN_UP(MAX(va->va_start, lo), align);
	if (a >= va->va_start && a + size > a && a + size <= MIN(va->va_end, hi)) {
		*addr = a;
		return va;
	}
	if (va->va_end < hi)
		return find_fit_range(n->right, size, align, lo, hi, addr);
	return NULL;
}

static bool node_alloc_range(struct vmap_node *vn, struct vmap_area *va, unsigned long size,
			     unsigned long align, unsigned long lo, unsigned long hi)
{
	struct vmap_area *fit, *unused = NULL, *spare = host_calloc(1, sizeof(*spare));
	unsigned long a, end;

	if (!spare)
		return false;
	kmm_spin_lock(&vn->lock);
	fit = find_fit_range(vn->free.root, size, align, MAX(lo, vn->start), MIN(hi, vn->end), &a);
	if (!fit) {
		kmm_spin_unlock(&vn->lock);
		host_free(spare);
		return false;
	}
	va->va_start = a;
	va->va_end = a + size;
	end = fit->va_end;
	if (a == fit->va_start && a + size == end) {
		vtree_erase(&vn->free, &fit->node);
		unused = fit;
	} else if (a == fit->va_start) {
		fit->va_start += size;
		vtree_update(&vn->free, &fit->node);
	} else {
		/* The left part keeps its key; the right part, if any, is a
		 * new free range. */
		fit->va_end = a;
		vtree_update(&vn->free, &fit->node);
		if (a + size < end) {
			spare->va_start = a + size;
			spare->va_end = end;
			vtree_insert(&vn->free, &spare->node);
			spare = NULL;
		}
	}
	atomic_store_relaxed(&va->flags, va->flags | VA_UNINITIALIZED);
	vtree_insert(&vn->busy, &va->node);
	kmm_spin_unlock(&vn->lock);
	host_free(unused);
	host_free(spare);
	return true;
}

bool vmap_area_alloc_range(struct vmap_area *va, unsigned long size, unsigned long align,
			   unsigned long start, unsigned long end)
{
	for (unsigned int i = 0; i < nr_vmap_nodes; i++) {
		struct vmap_node *vn = &vmap_nodes[i];

		if (vn->end <= start || vn->start >= end)
			continue;
		if (node_alloc_range(vn, va, size, align, start, end))
			return true;
	}
	return false;
}

struct vmap_area *vmap_find_busy_locked(struct vmap_node *vn, unsigned long addr)
{
	struct vmap_area *va;

	lock_assert_held(&vn->lock);
	va = to_va(vtree_floor(&vn->busy, addr));
	return va && addr < va->va_end ? va : NULL;
}

/* merge_or_add_vmap_area(): the range joins a free neighbour when it
 * touches one, else `va` itself becomes a free-tree node. */
void vmap_area_release_locked(struct vmap_node *vn, struct vmap_area *va)
{
	struct vmap_area *prev, *next;
	bool merge_prev, merge_next;

	lock_assert_held(&vn->lock);
	vtree_erase(&vn->busy, &va->node);
	prev = to_va(vtree_floor(&vn->free, va->va_start - 1));
	next = to_va(vtree_ceil(&vn->free, va->va_end));
	merge_prev = prev && prev->va_end == va->va_start;
	merge_next = next && next->va_start == va->va_end;
	if (merge_prev && merge_next) {
		vtree_erase(&vn->free, &next->node);
		prev->va_end = next->va_end;
		vtree_update(&vn->free, &prev->node);
		host_free(next);
		host_free(va);
	} else if (merge_prev) {
		prev->va_end = va->va_end;
		vtree_update(&vn->free, &prev->node);
		host_free(va);
	} else if (merge_next) {
		/* The key drops to va_start; nothing lies between. */
		next->va_start = va->va_start;
		vtree_update(&vn->free, &next->node);
		host_free(va);
	} else {
		*va = (struct vmap_area){ .va_start = va->va_start, .va_end = va->va_end };
		vtree_insert(&vn->free, &va->node);
	}
}

/* ---- invariant walk (tests, debug builds) ---- */

struct check_state {
	struct vmap_node *vn;
	unsigned long last_end;
	bool free_tree;
	bool ok;
};

static bool check_one(struct vtree_node *n, void *arg)
{
	struct check_state *st = arg;
	struct vmap_area *va = to_va(n);

	if (va->va_start >= va->va_end || va->va_start < st->vn->start ||
	    va->va_end > st->vn->end || (va->va_start | va->va_end) & ~PAGE_MASK)
		st->ok = false;
	/* Free ranges never touch: they would have been merged. */
	if (va->va_start < st->last_end || (st->free_tree && va->va_start == st->last_end))
		st->ok = false;
	if (st->free_tree) {
		unsigned long want = MAX(va_size(va), MAX(subtree_max(n->left),
							  subtree_max(n->right)));

		if (va->subtree_max_size != want)
			st->ok = false;
	}
	st->last_end = va->va_end;
	return st->ok;
}

struct overlap_state {
	struct vmap_node *vn;
	bool ok;
};

static bool check_not_free(struct vtree_node *n, void *arg)
{
	struct overlap_state *st = arg;
	struct vmap_area *va = to_va(n), *f;

	f = to_va(vtree_floor(&st->vn->free, va->va_end - 1));
	if (f && f->va_end > va->va_start)
		st->ok = false;
	return st->ok;
}

bool vmap_check_invariants(void)
{
	bool ok = true;

	for (unsigned int i = 0; i < nr_vmap_nodes && ok; i++) {
		struct vmap_node *vn = &vmap_nodes[i];
		struct check_state st = { .vn = vn, .last_end = 0, .ok = true };
		struct overlap_state ov = { .vn = vn, .ok = true };

		kmm_spin_lock(&vn->lock);
		ok = vtree_check(&vn->busy, NULL) && vtree_check(&vn->free, NULL);
		vtree_walk(&vn->busy, check_one, &st);
		st.last_end = 0;
		st.free_tree = true;
		vtree_walk(&vn->free, check_one, &st);
		vtree_walk(&vn->busy, check_not_free, &ov);
		kmm_spin_unlock(&vn->lock);
		ok = ok && st.ok && ov.ok;
	}
	if (!ok)
		kmm_bug("vmap: the vmap trees are corrupted");
	return ok;
}
