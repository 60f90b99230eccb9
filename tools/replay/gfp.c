/* The gfp_flags column: names as the kernel's __print_flags prints them
 * (show_gfp_flags in include/trace/events/mmflags.h), joined by '|', with
 * any bits no name covers left as hex. Names map to kmm's bits by meaning,
 * so traces of older kernels (whose bit values differ) read the same.
 *
 * Composite names are matched first by the kernel, so a composite stands
 * for all its bits: 6.x prints GFP_NOWAIT for KSWAPD_RECLAIM|NOWARN; older
 * kernels meant KSWAPD_RECLAIM alone and printed NOWARN apart, so reading
 * it as both is right for either. */
#include <stdio.h>
#include <string.h>
#include <kmm/gfp.h>
#include "trace.h"

#define GFP_TRANSHUGE_LIGHT_BITS \
	((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM)

struct gfp_name {
	const char *name;
	uint32_t bits;
};

static const struct gfp_name gfp_names[] = {
	{ "GFP_TRANSHUGE", GFP_TRANSHUGE_LIGHT_BITS | __GFP_DIRECT_RECLAIM },
	{ "GFP_TRANSHUGE_LIGHT", GFP_TRANSHUGE_LIGHT_BITS },
	{ "GFP_HIGHUSER_MOVABLE", GFP_HIGHUSER_MOVABLE },
	{ "GFP_HIGHUSER", GFP_HIGHUSER },
	{ "GFP_USER", GFP_USER },
	{ "GFP_KERNEL_ACCOUNT", GFP_KERNEL_ACCOUNT },
	{ "GFP_KERNEL", GFP_KERNEL },
	{ "GFP_NOFS", GFP_NOFS },
	{ "GFP_ATOMIC", GFP_ATOMIC },
	{ "GFP_NOIO", GFP_NOIO },
	{ "GFP_NOWAIT", GFP_NOWAIT | __GFP_NOWARN },
	{ "GFP_DMA", GFP_DMA },
	{ "GFP_DMA32", GFP_DMA32 },
	{ "__GFP_RECLAIM", __GFP_RECLAIM },
	{ "__GFP_DMA", __GFP_DMA },
	{ "__GFP_HIGHMEM", __GFP_HIGHMEM },
	{ "__GFP_DMA32", __GFP_DMA32 },
	{ "__GFP_MOVABLE", __GFP_MOVABLE },
	{ "__GFP_RECLAIMABLE", __GFP_RECLAIMABLE },
	{ "__GFP_HIGH", __GFP_HIGH },
	{ "__GFP_IO", __GFP_IO },
	{ "__GFP_FS", __GFP_FS },
	{ "__GFP_ZERO", __GFP_ZERO },
	{ "__GFP_DIRECT_RECLAIM", __GFP_DIRECT_RECLAIM },
	{ "__GFP_KSWAPD_RECLAIM", __GFP_KSWAPD_RECLAIM },
	{ "__GFP_WRITE", __GFP_WRITE },
	{ "__GFP_NOWARN", __GFP_NOWARN },
	{ "__GFP_RETRY_MAYFAIL", __GFP_RETRY_MAYFAIL },
	{ "__GFP_REPEAT", __GFP_RETRY_MAYFAIL },		/* its name before 4.13 */
	{ "__GFP_NOFAIL", __GFP_NOFAIL },
	{ "__GFP_NORETRY", __GFP_NORETRY },
	{ "__GFP_MEMALLOC", __GFP_MEMALLOC },
	{ "__GFP_COMP", __GFP_COMP },
	{ "__GFP_NOMEMALLOC", __GFP_NOMEMALLOC },
	{ "__GFP_HARDWALL", __GFP_HARDWALL },
	{ "__GFP_THISNODE", __GFP_THISNODE },
	{ "__GFP_ACCOUNT", __GFP_ACCOUNT },
	{ "__GFP_WAIT", __GFP_DIRECT_RECLAIM },		/* before 4.4 */
	{ "GFP_IOFS", __GFP_IO | __GFP_FS },			/* before 4.4 */
	{ "GFP_TEMPORARY", GFP_KERNEL | __GFP_RECLAIMABLE },	/* before 4.14 */
	/* Flags that change nothing an allocator does here: KASAN and
	 * memory-tagging hints, lockdep, object extensions, the old hot/cold
	 * and kmemcheck hints, the old atomic marker (GFP_ATOMIC carries its
	 * meaning through __GFP_HIGH). */
	{ "__GFP_ZEROTAGS", 0 },
	{ "__GFP_SKIP_ZERO", 0 },
	{ "__GFP_SKIP_KASAN", 0 },
	{ "__GFP_SKIP_KASAN_POISON", 0 },
	{ "__GFP_SKIP_KASAN_UNPOISON", 0 },
	{ "__GFP_NOLOCKDEP", 0 },
	{ "__GFP_NO_OBJ_EXT", 0 },
	{ "__GFP_COLD", 0 },
	{ "__GFP_NOTRACK", 0 },
	{ "__GFP_NOTRACK_FALSE_POSITIVE", 0 },
	{ "__GFP_OTHER_NODE", 0 },
	{ "__GFP_ATOMIC", 0 },
	{ "__GFP_NOACCOUNT", 0 },
};

bool rp_gfp_parse(const char *s, size_t len, uint32_t *gfp, char *unknown, size_t unknown_len)
{
	const char *end = s + len;
	uint32_t bits = 0;

	unknown[0] = '\0';
	if (len == 4 && !memcmp(s, "none", 4)) {
		*gfp = 0;
		return true;
	}
	if (!len)
		return false;
	while (s < end) {
		const char *bar = memchr(s, '|', (size_t)(end - s));
		size_t n = bar ? (size_t)(bar - s) : (size_t)(end - s);
		bool found = false;

		if (!n)
			return false;
		for (size_t i = 0; i < sizeof(gfp_names) / sizeof(gfp_names[0]); i++) {
			if (strlen(gfp_names[i].name) == n && !memcmp(gfp_names[i].name, s, n)) {
				bits |= gfp_names[i].bits;
				found = true;
				break;
			}
		}
		if (!found) {
			bool hex = n > 2 && s[0] == '0' && s[1] == 'x';

			for (size_t i = 2; hex && i < n; i++)
				hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
				      (s[i] >= 'A' && s[i] <= 'F');
			/* A flag is an identifier; anything else is no flag list. */
			for (size_t i = 0; !hex && i < n; i++) {
				char c = s[i];

				if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				      (i && c >= '0' && c <= '9')))
					return false;
			}
			if (!unknown[0])
				snprintf(unknown, unknown_len, "%.*s", (int)n, s);
		}
		s += n + (bar != NULL);
		if (bar && s == end)
			return false;
	}
	*gfp = bits;
	return true;
}

void rp_gfp_format(uint32_t gfp, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!gfp) {
		snprintf(buf, len, "none");
		return;
	}
	/* The same greedy order as the kernel's printer, composites first. */
	for (size_t i = 0; i < sizeof(gfp_names) / sizeof(gfp_names[0]) && gfp; i++) {
		uint32_t b = gfp_names[i].bits;

		if (!b || (gfp & b) != b)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? "|" : "", gfp_names[i].name);
		gfp &= ~b;
	}
	if (gfp)
		snprintf(buf + used, used < len ? len - used : 0, "%s%#x", used ? "|" : "", gfp);
}
