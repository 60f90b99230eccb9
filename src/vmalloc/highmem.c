/* Temporary mappings of HighMem pages (DESIGN.md §3, layout=32bit).
 *
 * HighMem pages are not in the direct map: page_address() is NULL until
 * kmap() gives them an address. Lowmem pages (every page in the 64-bit
 * layout) just return their direct-map address.
 *
 * kmap/kunmap: the kernel's pkmap, a window of LAST_PKMAP page slots in a
 * small reservation of its own (outside the vmalloc space, as PKMAP_BASE
 * is). A slot's count is 0 when free, 1 when still mapped but unused, and
 * 1 + users otherwise; page->virtual holds the address while the slot is
 * mapped, so kmap of a page already mapped only bumps the count. Unused
 * slots are unmapped in one sweep when the search wraps around
 * (flush_all_zero_pkmaps), and kmap sleeps when every slot is in use until
 * a kunmap frees one.
 *
 * kmap_local_page/kunmap_local: KM_MAX_IDX slots per thread (the kernel's
 * are per CPU with migration disabled; a thread is the unit that nests
 * here), in a per-thread reservation, strictly LIFO: unmapping anything
 * but the innermost mapping is reported and refused.
 *
 * Lock: pkmap.lock (LOCK_RANK_KMAP, mutex) protects the slot counts, the
 * slot-to-page table and page->virtual of HighMem pages; kmap waits on
 * pkmap.wait under it. Per-thread slots need no lock. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <kmm/highmem.h>
#include <kmm/kmm.h>
#include <kmm/preempt.h>
#include "buddy/mmzone.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/cpu.h"
#include "lib/events.h"
#include "vmalloc/highmem.h"
#include "vmalloc/mapping.h"

#define LAST_PKMAP	512
#define KM_MAX_IDX	16

static struct {
	struct kmm_mutex lock;
	pthread_cond_t wait;
	char *base;			/* NULL: no HighMem in this layout */
	unsigned int last;		/* the kernel's last_pkmap_nr */
	int count[LAST_PKMAP];
	struct page *page[LAST_PKMAP];
} pkmap;

/* Boot generation: a thread's kmap_local state from an earlier boot is
 * stale and is reset on first use. */
static unsigned int kmap_generation;

struct kmap_local {
	char *base;
	unsigned int gen;
	int idx;			/* slots in use */
};

static __thread struct kmap_local kmap_local;
static pthread_key_t kmap_local_key;
static pthread_once_t kmap_local_once = PTHREAD_ONCE_INIT;

static bool have_highmem(void)
{
	return kmm_mem.nr_pages > kmm_mem.lowmem_pages;
}

static int map_page_at(char *addr, const struct page *page)
{
	count_event(EV_vmap_mmap);
	if (mmap(addr, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, kmm_mem.memfd,
		 (off_t)(pfn_of(page) << PAGE_SHIFT)) == MAP_FAILED)
		return -errno;
	return 0;
}

int kmap_init(void)
{
	pkmap.base = NULL;
	if (!have_highmem())
		return 0;
	/* Each slot mapped may split the window: one mapping per slot and
	 * one per gap between them. */
	if (!vmap_mappings_reserve(2 * LAST_PKMAP + 1)) {
		kmm_pr_info("kmm: vm.max_map_count too low for the kmap window");
		return -ENOMEM;
	}
	pkmap.base = mmap(NULL, LAST_PKMAP * PAGE_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pkmap.base == MAP_FAILED) {
		pkmap.base = NULL;
		vmap_mappings_release(2 * LAST_PKMAP + 1);
		return -errno;
	}
	kmm_mutex_init(&pkmap.lock, "pkmap_lock", LOCK_RANK_KMAP);
	pthread_cond_init(&pkmap.wait, NULL);
	pkmap.last = 0;
	for (int i = 0; i < LAST_PKMAP; i++) {
		pkmap.count[i] = 0;
		pkmap.page[i] = NULL;
	}
	return 0;
}

void kmap_exit(void)
{
	atomic_add_relaxed(&kmap_generation, 1);
	if (!pkmap.base)
		return;
	for (int i = 0; i < LAST_PKMAP; i++)
		if (pkmap.page[i])
			atomic_store_relaxed(&pkmap.page[i]->virtual, NULL);
	munmap(pkmap.base, LAST_PKMAP * PAGE_SIZE);
	pkmap.base = NULL;
	vmap_mappings_release(2 * LAST_PKMAP + 1);
	pthread_cond_destroy(&pkmap.wait);
	kmm_mutex_destroy(&pkmap.lock);
}

/* flush_all_zero_pkmaps(): unmap every mapped-but-unused slot, adjacent
 * slots in one call. */
static void flush_all_zero_pkmaps_locked(void)
{
	lock_assert_held(&pkmap.lock);
	for (int i = 0; i < LAST_PKMAP;) {
		int j = i;

		while (j < LAST_PKMAP && pkmap.count[j] == 1) {
			pkmap.count[j] = 0;
			atomic_store_relaxed(&pkmap.page[j]->virtual, NULL);
			pkmap.page[j] = NULL;
			j++;
		}
		if (j > i) {
			vmap_unmap_range((unsigned long)(pkmap.base + (unsigned long)i * PAGE_SIZE),
					 (unsigned long)(j - i) * PAGE_SIZE);
			i = j;
		} else {
			i++;
		}
	}
}

/* map_new_virtual(): a free slot for `page`, waiting for a kunmap when
 * the window is full. Returns the slot, or -1 if mmap failed. */
static int map_new_virtual_locked(struct page *page)
{
	lock_assert_held(&pkmap.lock);
	for (;;) {
		for (int n = 0; n < LAST_PKMAP; n++) {
			int slot;

			pkmap.last = (pkmap.last + 1) & (LAST_PKMAP - 1);
			if (!pkmap.last) {
				/* Slots the flush frees may lie behind us:
				 * one more full round. */
				flush_all_zero_pkmaps_locked();
				n = 0;
			}
			slot = (int)pkmap.last;
			if (pkmap.count[slot])
				continue;
			if (map_page_at(pkmap.base + (unsigned long)slot * PAGE_SIZE, page))
				return -1;
			pkmap.count[slot] = 1;
			pkmap.page[slot] = page;
			atomic_store_release(&page->virtual,
					     pkmap.base + (unsigned long)slot * PAGE_SIZE);
			return slot;
		}
		pthread_cond_wait(&pkmap.wait, &pkmap.lock.mutex);
		/* Someone else may have mapped it meanwhile. */
		if (atomic_load_relaxed(&page->virtual))
			return (int)(((char *)page->virtual - pkmap.base) >> PAGE_SHIFT);
	}
}

static noinline void *kmap_high(struct page *page)
{
	char *vaddr;
	int slot;

	kmm_mutex_lock(&pkmap.lock);
	vaddr = atomic_load_relaxed(&page->virtual);
	if (vaddr) {
		slot = (int)((vaddr - pkmap.base) >> PAGE_SHIFT);
	} else {
		slot = map_new_virtual_locked(page);
		if (slot < 0) {
			kmm_mutex_unlock(&pkmap.lock);
			kmm_pr_info("kmm: kmap: cannot map pfn %#lx: error %d", pfn_of(page), errno);
			return NULL;
		}
		vaddr = pkmap.base + (unsigned long)slot * PAGE_SIZE;
	}
	pkmap.count[slot]++;
	kmm_mutex_unlock(&pkmap.lock);
	return vaddr;
}

void *kmap(struct page *page)
{
	if (unlikely(!page_valid(page))) {
		kmm_bug("kmap: %p is not a kmm struct page", (void *)page);
		return NULL;
	}
	/* kmap may sleep: refused in atomic context (kmap_local_page is the
	 * call for that). */
	if (unlikely(!might_alloc(__GFP_DIRECT_RECLAIM, "kmap")))
		return NULL;
	if (likely(pfn_of(page) < kmm_mem.lowmem_pages))
		return page_address(page);
	return kmap_high(page);
}

void kunmap(struct page *page)
{
	char *vaddr;
	int slot;

	if (unlikely(!page_valid(page))) {
		kmm_bug("kunmap: %p is not a kmm struct page", (void *)page);
		return;
	}
	if (likely(pfn_of(page) < kmm_mem.lowmem_pages))
		return;
	kmm_mutex_lock(&pkmap.lock);
	vaddr = atomic_load_relaxed(&page->virtual);
	slot = vaddr ? (int)((vaddr - pkmap.base) >> PAGE_SHIFT) : -1;
	if (slot < 0 || pkmap.count[slot] < 2) {
		kmm_mutex_unlock(&pkmap.lock);
		kmm_bug("kunmap: HighMem page pfn %#lx is not kmapped", pfn_of(page));
		return;
	}
	/* At 1 the slot is free for the next flush: wake a waiting kmap. */
	if (--pkmap.count[slot] == 1)
		pthread_cond_broadcast(&pkmap.wait);
	kmm_mutex_unlock(&pkmap.lock);
}

/* ---- kmap_local: per-thread, strictly nested ---- */

static void kmap_local_destroy(void *arg)
{
	struct kmap_local *kl = arg;

	if (kl->base)
		munmap(kl->base, KM_MAX_IDX * PAGE_SIZE);
	kl->base = NULL;
}

static void kmap_local_key_init(void)
{
	pthread_key_create(&kmap_local_key, kmap_local_destroy);
}

static struct kmap_local *kmap_local_get(void)
{
	struct kmap_local *kl = &kmap_local;
	unsigned int gen = atomic_load_relaxed(&kmap_generation);

	if (unlikely(kl->gen != gen)) {
		kl->gen = gen;
		kl->idx = 0;
	}
	if (unlikely(!kl->base)) {
		char *base = mmap(NULL, KM_MAX_IDX * PAGE_SIZE, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (base == MAP_FAILED)
			return NULL;
		kl->base = base;
		pthread_once(&kmap_local_once, kmap_local_key_init);
		pthread_setspecific(kmap_local_key, kl);
	}
	return kl;
}

static noinline void *kmap_local_high(struct page *page)
{
	struct kmap_local *kl = kmap_local_get();
	char *addr;

	if (!kl) {
		kmm_pr_info("kmm: kmap_local_page: no address space for the per-thread slots");
		return NULL;
	}
	if (kl->idx >= KM_MAX_IDX) {
		kmm_bug("kmap_local_page: more than %d nested kmap_local mappings (pfn %#lx)",
			KM_MAX_IDX, pfn_of(page));
		return NULL;
	}
	addr = kl->base + (unsigned long)kl->idx * PAGE_SIZE;
	if (map_page_at(addr, page)) {
		kmm_pr_info("kmm: kmap_local_page: cannot map pfn %#lx: error %d", pfn_of(page),
			    errno);
		return NULL;
	}
	kl->idx++;
	return addr;
}

void *kmap_local_page(struct page *page)
{
	if (unlikely(!page_valid(page))) {
		kmm_bug("kmap_local_page: %p is not a kmm struct page", (void *)page);
		return NULL;
	}
	if (likely(pfn_of(page) < kmm_mem.lowmem_pages))
		return page_address(page);
	return kmap_local_high(page);
}

void kunmap_local(const void *addr)
{
	struct kmap_local *kl = &kmap_local;
	uintptr_t a = (uintptr_t)addr & PAGE_MASK, base = (uintptr_t)kl->base;
	int slot;

	if (likely(virt_in_direct_map(addr)))
		return;
	if (!base || a < base || a >= base + KM_MAX_IDX * PAGE_SIZE ||
	    kl->gen != atomic_load_relaxed(&kmap_generation)) {
		kmm_bug("kunmap_local: %p was not mapped by kmap_local_page in this thread", addr);
		return;
	}
	slot = (int)((a - base) >> PAGE_SHIFT);
	if (slot != kl->idx - 1) {
		if (slot >= kl->idx)
			kmm_bug("kunmap_local: %p (slot %d) is not mapped", addr, slot);
		else
			kmm_bug("kunmap_local: %p (slot %d) unmapped out of order: the innermost "
				"kmap_local mapping is slot %d", addr, slot, kl->idx - 1);
		return;
	}
	vmap_unmap_range(a, PAGE_SIZE);
	kl->idx--;
}
