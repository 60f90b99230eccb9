/* Shrinkers: caches that give memory back under pressure. */
#ifndef KMM_SHRINKER_H
#define KMM_SHRINKER_H

#include <kmm/types.h>
#include <kmm/gfp.h>

#define SHRINK_STOP	(~0UL)
#define SHRINK_EMPTY	(~0UL - 1)
#define DEFAULT_SEEKS	2
#define SHRINKER_NUMA_AWARE	(1u << 2)

struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
};

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *);
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *);
	long batch;
	int seeks;
	unsigned int flags;
	void *private_data;
};

KMM_EXTERN_C_BEGIN
KMM_API struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
KMM_API void shrinker_register(struct shrinker *shrinker);
KMM_API void shrinker_free(struct shrinker *shrinker);
KMM_EXTERN_C_END

#endif
