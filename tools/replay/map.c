/* The pairing map (see map.h), in mappings (mem.h). Grown at half full;
 * aborts when out of memory, as the whole trace is in memory anyway. */
#include <stdlib.h>
#include <string.h>
#include "map.h"
#include "mem.h"

#define RP_MAP_EMPTY UINT64_MAX

static uint32_t slot_of(uint64_t key, uint32_t cap)
{
	key ^= key >> 33;	/* murmur3's finalizer: pointers differ in middle bits */
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (uint32_t)key & (cap - 1);
}

static void grow(struct rp_map *m)
{
	uint32_t cap = m->cap ? m->cap * 2 : 1024;
	uint64_t *keys = NULL;
	uint32_t *vals = NULL;
	size_t kc = 0, vc = 0;

	rp_big_reserve((void **)&keys, &kc, cap, sizeof(*keys));
	rp_big_reserve((void **)&vals, &vc, cap, sizeof(*vals));
	memset(keys, 0xff, cap * sizeof(*keys));
	for (uint32_t i = 0; i < m->cap; i++) {
		uint32_t j;

		if (m->keys[i] == RP_MAP_EMPTY)
			continue;
		for (j = slot_of(m->keys[i], cap); keys[j] != RP_MAP_EMPTY; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	rp_big_free(m->keys, m->cap, sizeof(*m->keys));
	rp_big_free(m->vals, m->cap, sizeof(*m->vals));
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
}

void rp_map_init(struct rp_map *m)
{
	memset(m, 0, sizeof(*m));
	grow(m);
}

void rp_map_free(struct rp_map *m)
{
	rp_big_free(m->keys, m->cap, sizeof(*m->keys));
	rp_big_free(m->vals, m->cap, sizeof(*m->vals));
	memset(m, 0, sizeof(*m));
}

bool rp_map_get(const struct rp_map *m, uint64_t key, uint32_t *val)
{
	for (uint32_t i = slot_of(key, m->cap); m->keys[i] != RP_MAP_EMPTY; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return true;
		}
	}
	return false;
}

void rp_map_put(struct rp_map *m, uint64_t key, uint32_t val)
{
	uint32_t i;

	if ((m->nr + 1) * 2 > m->cap)
		grow(m);
	for (i = slot_of(key, m->cap); m->keys[i] != RP_MAP_EMPTY; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return;
		}
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->nr++;
}

bool rp_map_del(struct rp_map *m, uint64_t key)
{
	uint32_t mask = m->cap - 1, i, j;

	for (i = slot_of(key, m->cap); m->keys[i] != key; i = (i + 1) & mask)
		if (m->keys[i] == RP_MAP_EMPTY)
			return false;
	/* Backward shift: move later entries of the run into the hole when
	 * their home slot does not lie between the hole and them. */
	for (j = (i + 1) & mask; m->keys[j] != RP_MAP_EMPTY; j = (j + 1) & mask) {
		uint32_t home = slot_of(m->keys[j], m->cap);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = RP_MAP_EMPTY;
	m->nr--;
	return true;
}
