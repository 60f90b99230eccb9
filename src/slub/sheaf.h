/* The owner's sheaves (sheaf.c): the fast paths of the thread that owns
 * the CPU's sheaves (cpu_owner.h), inline, and the slow paths every other
 * case takes. The protocol and its state table are in docs/design.md
 * §2.4. Locks: none on the owner's fast paths; the
 * slow paths take c->lock and the barn's lock (sheaf.c).
 *
 * The owner pops from and pushes onto the CPU's main sheaf with plain
 * stores, whatever slab an object is from, counted by the sheaf's own word
 * (slab.h). Anything else (not the owner, an empty or full sheaf, zeroing)
 * leaves by a tail call to a noinline slow path, so the inline part needs
 * no saved registers. Budget: the TLS loads of the token and the CPU, the
 * busy store, two loads (owner, main), the sheaf's word and slot, two
 * stores (slot or none, word), the release of busy. */
#ifndef KMM_SLUB_SHEAF_H
#define KMM_SLUB_SHEAF_H

#include "lib/cpu.h"
#include "slub/cpu_owner.h"
#include "slub/slab.h"
#include "slub/slab_check.h"

/* The paths of a thread that is not the CPU's owner, or whose main sheaf
 * is empty or full: the sheaves' slow paths when it may own the CPU, else
 * the CPU slab's (cpu_slab.h). */
void *slab_alloc_shared(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
void slab_free_shared(struct kmem_cache *s, struct page *slab, void *object, unsigned long addr);
/* An object popped for a zeroing allocation: hooks and memset. */
void *slab_zero_object(struct kmem_cache *s, void *object);

/* The CPU part the fast paths use: the bound CPU's, or CPU 0's for a
 * thread bound to none (or bound in an earlier boot): kmm_per_cpu_offset
 * has an entry for every such number. Ownership, not the CPU number, is
 * what makes the plain stores safe, so a thread goes on only if it owns
 * the part it found. */
static always_inline struct kmem_cache_cpu *sheaf_cpu_part(struct kmem_cache *s)
{
	return (struct kmem_cache_cpu *)((unsigned long)s->cpu_slab + kmm_cpu_offsets[kmm_current.cpu]);
}

static always_inline void *slab_alloc_owner(struct kmem_cache *s, gfp_t gfp, unsigned long addr,
					    bool zero)
{
	unsigned long tok = slab_token(), w;
	struct kmem_cache_cpu *c = sheaf_cpu_part(s);
	struct slab_sheaf *sheaf;
	void *object;

	if (unlikely(!cpu_owner_enter(c, tok)))
		goto leave;
	sheaf = atomic_load_relaxed(&c->main);
	if (unlikely(!sheaf))
		goto leave;
	w = atomic_load_relaxed(&sheaf->word);
	if (unlikely(!(w & SHEAF_SIZE_MASK)))
		goto leave;
	object = sheaf->slots[w & SHEAF_SIZE_MASK];
	atomic_store_relaxed(&sheaf->word, w + SHEAF_POP);
	cpu_owner_exit(tok);
	if (zero)
		return slab_zero_object(s, object);
	kasan_unpoison(object, s->object_size);
	return object;
leave:
	cpu_owner_exit(tok);
	return slab_alloc_shared(s, gfp, addr);
}

/* do_slab_free() for one object of `slab`: as the kernel's free_to_pcs()
 * it writes nothing into the object; its double-free check is the
 * kernel's naive one, against the sheaf's top. A copy deeper in the sheaf,
 * or of an object on a freelist, is found when the sheaf is flushed
 * (sheaf.c), and the slow paths check the slot (slab_object_is_free())
 * before anything else. */
static always_inline void slab_free_owner(struct kmem_cache *s, struct page *slab, void *object,
					  unsigned long addr)
{
	unsigned long tok = slab_token(), w;
	struct kmem_cache_cpu *c = sheaf_cpu_part(s);
	struct slab_sheaf *sheaf;
	unsigned int n;

	if (likely(cpu_owner_enter(c, tok))) {
		sheaf = atomic_load_relaxed(&c->main);
		if (likely(sheaf)) {
			w = atomic_load_relaxed(&sheaf->word);
			n = w & SHEAF_SIZE_MASK;
			if (likely(n < s->sheaf_capacity)) {
				if (unlikely(sheaf->slots[n] == object)) {
					cpu_owner_exit(tok);
					return slab_report_double_free(s, slab, object);
				}
				kasan_poison(object, s->object_size);
				sheaf->slots[n + 1] = object;
				atomic_store_relaxed(&sheaf->word, w + SHEAF_PUSH);
				cpu_owner_exit(tok);
				return;
			}
		}
	}
	cpu_owner_exit(tok);
	return slab_free_shared(s, slab, object, addr);
}

/* Cache creation: the sheaf capacity and the barn. */
void sheaf_cache_init(struct kmem_cache *s);
/* Takes a CPU's sheaves away (from any thread) and gives their objects
 * back to their slabs. */
void sheaf_flush_cpu(struct kmem_cache *s, int cpu);
/* kmem_cache_shrink and memory pressure: every sheaf in the barn goes. */
void barn_shrink(struct kmem_cache *s);
/* For kmm_stats: the fast-path operations not yet settled of `cpu`'s main
 * sheaf, added to `counts`; with `reset` they are dropped instead. */
void sheaf_cpu_pending(struct kmem_cache *s, int cpu, unsigned long *counts, bool reset);

#endif
