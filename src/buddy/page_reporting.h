/* Free page reporting (page_reporting.c): free blocks that stay free give
 * their memory back to the host. */
#ifndef KMM_BUDDY_PAGE_REPORTING_H
#define KMM_BUDDY_PAGE_REPORTING_H

/* Boot: starts the reporter when page_reporting is on (by default unless
 * populate=1). A failure to start is reported; kmm runs on without it. */
void page_reporting_start(void);
void page_reporting_stop(void);

/* Called on the reporter thread before each pass, with no lock held, so
 * that a layer above gives back the memory it keeps idle (the slab
 * allocator shrinks its caches, as the kernel has every cache shrunk
 * before memory goes offline). The pages it frees are drained from the
 * per-CPU lists before the pass. It returns how much it gave back (the
 * reporter idles only after a pass where neither it nor the pass gave
 * anything back). NULL: none. */
void page_reporting_set_prepare(unsigned long (*prepare)(void));

/* One pass over every zone now, without the delay or the per-pass budget
 * (tests). Returns the pages it reported. */
unsigned long page_reporting_run(void);

/* Free pages whose memory the host does not hold: reported blocks, and the
 * deferred blocks never touched since boot (when memory was not
 * populated). meminfo's FreeReported. */
unsigned long page_reporting_free_reported(void);

#endif
