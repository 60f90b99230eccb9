/* Reports of slab misuse: a pointer that is not an object start of the
 * expected cache (the wrong cache, inside an object, a vmalloc address,
 * memory kmm never handed out), and a double free. Each is one counted
 * report; nothing changes. No locks: reports take only the report lock. */
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "slub/slab_check.h"
#include "slub/slub_debug.h"

const char *slab_describe_bad_pointer(const void *x)
{
	struct page *page;

	if (!atomic_load_acquire(&kmm_mem.lowmem_bytes))
		return "not memory kmm handed out (kmm is not booted)";
	if (is_vmalloc_addr(x))
		return "a vmalloc address (free it with vfree or kvfree)";
	page = object_head_page(x);
	if (!page)
		return "not memory kmm handed out";
	if (PageSlab(page))
		return "not the start of a slab object";
	if (PageLargeKmalloc(page))
		return "inside a large kmalloc block, not at its start";
	return "a page that is neither slab nor kmalloc memory";
}

noinline void slab_report_bad_pointer(const char *caller, const void *x)
{
	kmm_bug("%s: %p is %s", caller, x, slab_describe_bad_pointer(x));
}

noinline void slab_free_bad(struct kmem_cache *s, const void *x, struct page *page,
			    const char *caller)
{
	if (page && PageSlab(page)) {
		struct kmem_cache *owner = atomic_load_relaxed(&page->slab_cache);

		/* The wrong cache is cache_free_bad()'s: only it may read a
		 * cache's name. */
		slab_err(owner, page, "Invalid object pointer %p", x);
		kmm_report_cont("INFO: %s(%p): not the start of an object", caller, x);
		return;
	}
	slab_report_bad_pointer(caller, x);
}

noinline void slab_report_double_free(struct kmem_cache *s, struct page *slab, void *object)
{
	slab_err(s, slab, "Object already free");
	kmm_report_cont("INFO: double free of %p (it is already on a freelist or in a sheaf)",
			object);
}
