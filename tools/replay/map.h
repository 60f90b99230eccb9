/* A hash map from 64-bit keys (pointers, pfns, packed pairs) to 32-bit
 * values: open addressing with linear probing and backward-shift
 * deletion, so lookups never walk tombstones. UINT64_MAX is no key. */
#ifndef RP_MAP_H
#define RP_MAP_H

#include <stdbool.h>
#include <stdint.h>

struct rp_map {
	uint64_t *keys;
	uint32_t *vals;
	uint32_t cap;		/* a power of two */
	uint32_t nr;
};

void rp_map_init(struct rp_map *m);
void rp_map_free(struct rp_map *m);
/* The value of `key`, or false. */
bool rp_map_get(const struct rp_map *m, uint64_t key, uint32_t *val);
/* Sets key -> val (replacing any value). */
void rp_map_put(struct rp_map *m, uint64_t key, uint32_t val);
/* Removes `key`; false if it was not there. */
bool rp_map_del(struct rp_map *m, uint64_t key);

#endif
